// The WebSocket reactor and upgrade over real loopback sockets: handshakes, echo, fragments, heartbeats, both
// close handshakes, malformed frames, a slow consumer, a thousand connections, and stop().
#include "ws_test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/WebSocket.h>

#include <thread>

using namespace ws_test;
namespace close_code = rt::close_code;

namespace {

// A reactor, a recording handler and a loopback server upgrading into it. Members end in reverse: the HTTP
// server first, then the reactor (stop), so every onClose has been recorded before the recorder goes.
struct Rig {
    explicit Rig(rt::ReactorOptions options = {}) : reactor(options), server(reactor, recorder) { reactor.start(); }
    std::shared_ptr<Recorder> recorder = std::make_shared<Recorder>();
    rt::Reactor reactor;
    UpgradeServer server;
};

std::string statusLine(const std::string& head) { return head.substr(0, head.find("\r\n")); }

std::string rawRequest(Poco::UInt16 port, const std::string& request) {
    RawClient client(port);
    client.sendRaw(request);
    return client.readHead();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(reactor)

BOOST_AUTO_TEST_CASE(accept_key_matches_the_rfc_example) {
    BOOST_TEST(rt::acceptKey("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

BOOST_AUTO_TEST_CASE(bad_handshakes_are_refused_with_the_right_status) {
    Rig rig;
    auto port = rig.server.port();
    const std::string key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    std::string no_upgrade = "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n" + key +
                             "Sec-WebSocket-Version: 13\r\n\r\n";
    BOOST_TEST(statusLine(rawRequest(port, no_upgrade)) == "HTTP/1.1 400 Bad Request");

    std::string old_version = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + key +
                              "Sec-WebSocket-Version: 8\r\n\r\n";
    std::string head = rawRequest(port, old_version);
    BOOST_TEST(statusLine(head) == "HTTP/1.1 426 Upgrade Required");
    BOOST_TEST(head.find("Sec-WebSocket-Version: 13\r\n") != std::string::npos);

    std::string short_key = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            "Sec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n\r\n";
    BOOST_TEST(statusLine(rawRequest(port, short_key)) == "HTTP/1.1 400 Bad Request");

    // Connection is a token list, compared without case.
    std::string listed = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\nConnection: keep-alive, upgrade\r\n" +
                         key + "Sec-WebSocket-Version: 13\r\n\r\n";
    BOOST_TEST(statusLine(rawRequest(port, listed)) == "HTTP/1.1 101 Switching Protocols");
    // Only that one was adopted; its client has gone since, without a close frame.
    BOOST_REQUIRE(rig.recorder->waitClosed(1));
    BOOST_TEST(rig.recorder->closed(rig.recorder->idOf(0))->code == close_code::kAbnormal);
    BOOST_TEST(rig.recorder->eachClosedOnce());
}

BOOST_AUTO_TEST_CASE(echo_over_a_raw_socket) {
    Rig rig;
    RawClient client(rig.server.port());
    std::string head = client.handshake();
    BOOST_TEST(statusLine(head) == "HTTP/1.1 101 Switching Protocols");
    BOOST_TEST(head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);
    BOOST_TEST(head.find("Content-Length") == std::string::npos);
    client.sendText("hello \xe2\x82\xac");
    auto echo = client.readNonPing();
    BOOST_REQUIRE(echo);
    BOOST_TEST((echo->opcode == rt::Opcode::text));
    BOOST_TEST(echo->payload == "hello \xe2\x82\xac");
    BOOST_TEST(rig.reactor.connections() == 1u);
    BOOST_TEST(rig.recorder->opened(0)->peerAddress().rfind("127.0.0.1:", 0) == 0u);

    // Poco's pool thread let go of the connection when the handler returned; the WebSocket lives on.
    auto deadline = Clock::now() + kPatience;
    while (rig.server.busyThreads() > 0 && Clock::now() < deadline) std::this_thread::yield();
    BOOST_TEST(rig.server.busyThreads() == 0);
    client.sendText("still open");
    auto again = client.readNonPing();
    BOOST_REQUIRE(again);
    BOOST_TEST(again->payload == "still open");
}

BOOST_AUTO_TEST_CASE(a_frame_sent_with_the_handshake_is_not_lost) {
    Rig rig;
    RawClient client(rig.server.port());
    // One write: Poco's session reads the frame into its buffer with the request; upgrade() must pass it on.
    client.handshake(rt::encodeFrame(rt::Opcode::text, "early", true, std::array<std::uint8_t, 4>{1, 2, 3, 4}));
    auto echo = client.readNonPing();
    BOOST_REQUIRE(echo);
    BOOST_TEST(echo->payload == "early");
}

BOOST_AUTO_TEST_CASE(poco_websocket_client_interoperates) {
    Rig rig;
    Poco::Net::HTTPClientSession session("127.0.0.1", rig.server.port());
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/ws", Poco::Net::HTTPMessage::HTTP_1_1);
    Poco::Net::HTTPResponse response;
    Poco::Net::WebSocket ws(session, request, response);
    ws.setReceiveTimeout(Poco::Timespan(10, 0));
    char buffer[256];
    int flags = 0;

    ws.sendFrame("interop", 7, Poco::Net::WebSocket::FRAME_TEXT);
    int n = ws.receiveFrame(buffer, sizeof buffer, flags);
    BOOST_TEST(std::string(buffer, n) == "interop");
    BOOST_TEST((flags & Poco::Net::WebSocket::FRAME_OP_BITMASK) == Poco::Net::WebSocket::FRAME_OP_TEXT);

    ws.sendFrame("p", 1, int(Poco::Net::WebSocket::FRAME_FLAG_FIN) | int(Poco::Net::WebSocket::FRAME_OP_PING));
    n = ws.receiveFrame(buffer, sizeof buffer, flags);
    BOOST_TEST((flags & Poco::Net::WebSocket::FRAME_OP_BITMASK) == Poco::Net::WebSocket::FRAME_OP_PONG);
    BOOST_TEST(std::string(buffer, n) == "p");

    ws.shutdown(Poco::Net::WebSocket::WS_NORMAL_CLOSE, "done");
    n = ws.receiveFrame(buffer, sizeof buffer, flags);
    BOOST_TEST((flags & Poco::Net::WebSocket::FRAME_OP_BITMASK) == Poco::Net::WebSocket::FRAME_OP_CLOSE);
    BOOST_REQUIRE(rig.recorder->waitClosed(1));
    auto closed = rig.recorder->closed(rig.recorder->idOf(0));
    BOOST_TEST(closed->code == close_code::kNormal);
    BOOST_TEST(closed->reason == "done");
}

BOOST_AUTO_TEST_CASE(fragments_are_reassembled_around_control_frames) {
    Rig rig;
    RawClient client(rig.server.port());
    client.handshake();
    client.sendText("Hel", false);
    client.sendText("ping!", true, rt::Opcode::ping);
    client.sendText("lo, ", false, rt::Opcode::continuation);
    client.sendText("world", true, rt::Opcode::continuation);
    auto pong = client.readFrame();
    BOOST_REQUIRE(pong);
    BOOST_TEST((pong->opcode == rt::Opcode::pong));
    BOOST_TEST(pong->payload == "ping!");
    auto message = client.readNonPing();
    BOOST_REQUIRE(message);
    BOOST_TEST(message->payload == "Hello, world");
    BOOST_TEST(rig.recorder->messages() == std::vector<std::string>{"Hello, world"});
}

BOOST_AUTO_TEST_CASE(server_started_close_handshake) {
    Rig rig;
    RawClient client(rig.server.port());
    client.handshake();
    client.sendText("close:4000");
    auto close = client.readNonPing();
    BOOST_REQUIRE(close);
    BOOST_TEST((close->opcode == rt::Opcode::close));
    BOOST_TEST(close->closeCode() == 4000);
    BOOST_TEST(close->payload.substr(2) == "asked to");
    BOOST_TEST(!rig.recorder->opened(0)->send("too late"));
    client.sendClose(4000, "");
    BOOST_TEST(client.waitEnd());  // the server closes the TCP connection once both close frames crossed
    BOOST_REQUIRE(rig.recorder->waitClosed(1));
    auto closed = rig.recorder->closed(rig.recorder->idOf(0));
    BOOST_TEST(closed->code == 4000);
    BOOST_TEST(closed->reason == "asked to");
    BOOST_TEST(rig.reactor.connections() == 0u);
}

BOOST_AUTO_TEST_CASE(client_started_close_handshake) {
    Rig rig;
    RawClient client(rig.server.port());
    client.handshake();
    client.sendClose(1000, "bye");
    auto echo = client.readNonPing();
    BOOST_REQUIRE(echo);
    BOOST_TEST((echo->opcode == rt::Opcode::close));
    BOOST_TEST(echo->closeCode() == 1000);
    BOOST_TEST(client.waitEnd());
    BOOST_REQUIRE(rig.recorder->waitClosed(1));
    auto closed = rig.recorder->closed(rig.recorder->idOf(0));
    BOOST_TEST(closed->code == 1000);
    BOOST_TEST(closed->reason == "bye");
}

BOOST_AUTO_TEST_CASE(an_unanswered_close_is_dropped_after_close_timeout) {
    rt::ReactorOptions options;
    options.close_timeout_ms = 200;
    Rig rig(options);
    RawClient client(rig.server.port());
    client.handshake();
    client.sendText("close:4001");
    auto close = client.readNonPing();
    BOOST_REQUIRE(close);
    BOOST_TEST(close->closeCode() == 4001);
    BOOST_TEST(client.waitEnd());  // never answered: the server gives up
    BOOST_REQUIRE(rig.recorder->waitClosed(1));
    BOOST_TEST(rig.recorder->closed(rig.recorder->idOf(0))->code == 4001);
}

BOOST_AUTO_TEST_CASE(a_peer_that_vanishes_is_reported_as_1006) {
    Rig rig;
    {
        RawClient client(rig.server.port());
        client.handshake();
        BOOST_REQUIRE(rig.recorder->waitOpened(1));
    }
    BOOST_REQUIRE(rig.recorder->waitClosed(1));
    BOOST_TEST(rig.recorder->closed(rig.recorder->idOf(0))->code == close_code::kAbnormal);
}

BOOST_AUTO_TEST_CASE(malformed_frames_get_the_right_close_codes) {
    rt::ReactorOptions options;
    options.max_message_bytes = 1024;
    Rig rig(options);
    const std::array<std::uint8_t, 4> mask{9, 8, 7, 6};
    std::string bad_opcode = rt::encodeFrame(rt::Opcode::text, "x", true, mask);
    bad_opcode[0] = static_cast<char>(0x83);
    struct Case {
        const char* what;
        std::string bytes;
        std::uint16_t code;
    };
    std::vector<Case> cases{
        {"unmasked", rt::encodeFrame(rt::Opcode::text, "hello"), close_code::kProtocolError},
        {"unknown opcode", bad_opcode, close_code::kProtocolError},
        {"oversize", rt::encodeFrame(rt::Opcode::text, std::string(2000, 'a'), true, mask),
         close_code::kMessageTooBig},
        {"invalid UTF-8", rt::encodeFrame(rt::Opcode::text, "\xc3\x28", true, mask), close_code::kInvalidPayload},
        {"binary", rt::encodeFrame(rt::Opcode::binary, "\x01", true, mask), close_code::kUnsupportedData},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        BOOST_TEST_CONTEXT(cases[i].what) {
            RawClient client(rig.server.port());
            client.handshake();
            client.sendRaw(cases[i].bytes);
            auto close = client.readNonPing();
            BOOST_REQUIRE(close);
            BOOST_TEST((close->opcode == rt::Opcode::close));
            BOOST_TEST(close->closeCode() == cases[i].code);
            BOOST_TEST(client.waitEnd());  // after a protocol error the server half-closes...
            client.socket().close();       // ...and ends when the client does, as a browser would
            BOOST_REQUIRE(rig.recorder->waitClosed(i + 1));
            BOOST_TEST(rig.recorder->closed(rig.recorder->idOf(i))->code == cases[i].code);
        }
    }
    BOOST_TEST(rig.recorder->messages().empty());
}

BOOST_AUTO_TEST_CASE(pings_after_silence_keep_a_live_peer_and_drop_a_dead_one) {
    rt::ReactorOptions options;
    options.ping_interval_ms = 50;
    options.idle_timeout_ms = 300;
    Rig rig(options);

    RawClient live(rig.server.port());
    live.handshake();
    BOOST_REQUIRE(rig.recorder->waitOpened(1));  // so opened(0) is this one
    RawClient dead(rig.server.port());
    dead.handshake();
    BOOST_REQUIRE(rig.recorder->waitOpened(2));

    // The live peer answers every ping; after twice the idle timeout it is still open.
    auto started = Clock::now();
    int pings = 0;
    while (Clock::now() - started < std::chrono::milliseconds(options.idle_timeout_ms * 2)) {
        auto frame = live.readFrame();
        BOOST_REQUIRE(frame);
        BOOST_REQUIRE((frame->opcode == rt::Opcode::ping));
        live.sendText(frame->payload, true, rt::Opcode::pong);
        ++pings;
    }
    BOOST_TEST(pings >= 2);
    BOOST_TEST(rig.recorder->opened(0) != nullptr);
    BOOST_TEST(rig.recorder->opened(0)->open());

    // Meanwhile the dead peer was pinged, did not answer, and was dropped after the idle timeout.
    auto ping = dead.readFrame();
    BOOST_REQUIRE(ping);
    BOOST_TEST((ping->opcode == rt::Opcode::ping));
    BOOST_TEST(dead.waitEnd());
    BOOST_REQUIRE(rig.recorder->waitClosed(1));
    auto closed = rig.recorder->closed(rig.recorder->idOf(1));
    BOOST_REQUIRE(closed);
    BOOST_TEST(closed->code == close_code::kAbnormal);
    BOOST_TEST(closed->reason == "idle timeout");
    BOOST_TEST(rig.recorder->closedCount() == 1u);
}

BOOST_AUTO_TEST_CASE(a_slow_consumer_is_cut_off_while_its_neighbour_keeps_receiving) {
    rt::ReactorOptions options;
    options.threads = 1;  // both on one thread: a stall would show
    options.max_queued_bytes = 256 * 1024;
    options.close_timeout_ms = 300;
    Rig rig(options);
    RawClient slow(rig.server.port());
    slow.handshake();
    BOOST_REQUIRE(rig.recorder->waitOpened(1));  // so opened(0) is this one
    RawClient fast(rig.server.port());
    fast.handshake();
    BOOST_REQUIRE(rig.recorder->waitOpened(2));
    auto slow_connection = rig.recorder->opened(0);
    auto fast_connection = rig.recorder->opened(1);

    // Sent from this thread, not a reactor thread: send() never waits for the peer.
    const std::string chunk(16 * 1024, 's');
    bool cut_off = false;
    for (int i = 0; i < 100000 && !cut_off; ++i) {
        cut_off = !slow_connection->send(chunk);
        if (i % 64 == 0) {
            std::string tick = "tick " + std::to_string(i);
            BOOST_REQUIRE(fast_connection->send(tick));
            auto got = fast.readNonPing();
            BOOST_REQUIRE(got);
            BOOST_REQUIRE(got->payload == tick);
        }
    }
    BOOST_REQUIRE(cut_off);
    BOOST_TEST(!slow_connection->open());
    BOOST_TEST(!slow_connection->send("more"));
    BOOST_REQUIRE(rig.recorder->waitClosed(1));
    auto closed = rig.recorder->closed(slow_connection->id());
    BOOST_REQUIRE(closed);
    BOOST_TEST(closed->code == close_code::kPolicyViolation);
    BOOST_TEST(closed->reason == "slow consumer");

    fast.sendText("still here");
    auto echo = fast.readNonPing();
    BOOST_REQUIRE(echo);
    BOOST_TEST(echo->payload == "still here");
}

BOOST_AUTO_TEST_CASE(a_thousand_connections_on_two_threads) {
    rt::ReactorOptions options;
    options.threads = 2;
    Rig rig(options);
    constexpr int kClients = 1000;
    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < kClients; ++i) {
        clients.push_back(std::make_unique<RawClient>(rig.server.port()));
        BOOST_REQUIRE(statusLine(clients.back()->handshake()) == "HTTP/1.1 101 Switching Protocols");
    }
    BOOST_REQUIRE(rig.recorder->waitOpened(kClients));
    BOOST_TEST(rig.reactor.connections() == std::size_t(kClients));
    for (int i = 0; i < kClients; ++i) clients[i]->sendText("n" + std::to_string(i));
    int echoed = 0;
    for (int i = 0; i < kClients; ++i) {
        auto frame = clients[i]->readNonPing();
        if (frame && frame->payload == "n" + std::to_string(i)) ++echoed;
    }
    BOOST_TEST(echoed == kClients);

    // Half leave on their own, the rest are closed by stop(); each is reported once.
    for (int i = 0; i < kClients / 2; ++i) clients[i].reset();
    BOOST_REQUIRE(rig.recorder->waitClosed(kClients / 2));
    rig.reactor.stop();
    BOOST_TEST(rig.recorder->closedCount() == std::size_t(kClients));
    BOOST_TEST(rig.recorder->eachClosedOnce());
    BOOST_TEST(rig.reactor.connections() == 0u);
}

BOOST_AUTO_TEST_CASE(stop_closes_everything_with_1001_and_reports_each_once) {
    Rig rig;
    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < 10; ++i) {
        clients.push_back(std::make_unique<RawClient>(rig.server.port()));
        clients.back()->handshake();
    }
    BOOST_REQUIRE(rig.recorder->waitOpened(10));
    rig.reactor.stop();
    BOOST_TEST(rig.reactor.connections() == 0u);
    BOOST_TEST(rig.recorder->closedCount() == 10u);
    BOOST_TEST(rig.recorder->eachClosedOnce());
    for (int i = 0; i < 10; ++i) {
        BOOST_TEST(rig.recorder->closed(rig.recorder->idOf(i))->code == close_code::kGoingAway);
        auto close = clients[i]->readNonPing();
        BOOST_REQUIRE(close);
        BOOST_TEST((close->opcode == rt::Opcode::close));
        BOOST_TEST(close->closeCode() == close_code::kGoingAway);
        BOOST_TEST(close->payload.substr(2) == "server shutting down");
        BOOST_TEST(clients[i]->waitEnd());
    }
    // After stop, an upgrade is answered but the reactor refuses the socket: no onOpen, the stream ends.
    RawClient late(rig.server.port());
    BOOST_TEST(statusLine(late.handshake()) == "HTTP/1.1 101 Switching Protocols");
    BOOST_TEST(late.waitEnd());
    BOOST_TEST(rig.recorder->closedCount() == 10u);
}

BOOST_AUTO_TEST_SUITE_END()

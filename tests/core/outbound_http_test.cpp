// The guarded outgoing HTTP client: private targets refused, retries, size caps, against a loopback server.
#include "net/outbound_http.hpp"

#include <boost/test/unit_test.hpp>

#include <mutex>
#include <set>
#include <thread>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>

#include <atomic>

using namespace parley::core;

namespace {

// A loopback server: /flaky answers 503 twice then 200; /big sends 2 MiB; anything else echoes the path.
struct LoopbackServer {
    std::atomic<int> flaky_calls{0};
    std::mutex ports_mutex;
    std::set<unsigned short> client_ports;  // the client ports /port was called from
    struct Handler : Poco::Net::HTTPRequestHandler {
        LoopbackServer& s;
        explicit Handler(LoopbackServer& server) : s(server) {}
        void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
            if (req.getURI() == "/flaky" && s.flaky_calls++ < 2) {
                resp.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
                resp.send() << "busy";
                return;
            }
            if (req.getURI() == "/port") {
                std::lock_guard lock(s.ports_mutex);
                s.client_ports.insert(req.clientAddress().port());
                resp.setContentLength(2);  // a body of known length: the connection may stay open
                resp.send() << "ok";
                return;
            }
            if (req.getURI() == "/big") {
                resp.send() << std::string(2 << 20, 'x');
                return;
            }
            resp.set("X-Seen-Host", req.getHost());
            resp.send() << "path=" << req.getURI();
        }
    };
    struct Factory : Poco::Net::HTTPRequestHandlerFactory {
        LoopbackServer& s;
        explicit Factory(LoopbackServer& server) : s(server) {}
        Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
            return new Handler(s);
        }
    };
    Poco::Net::ServerSocket socket{Poco::Net::SocketAddress("127.0.0.1", 0)};
    Poco::Net::HTTPServer server;
    explicit LoopbackServer(int keep_alive_ms = 10000)
        : server(new Factory(*this), socket, params(keep_alive_ms)) { server.start(); }
    static Poco::Net::HTTPServerParams* params(int keep_alive_ms) {
        auto* p = new Poco::Net::HTTPServerParams;
        p->setKeepAliveTimeout(Poco::Timespan(static_cast<long>(keep_alive_ms) * 1000));
        return p;
    }
    ~LoopbackServer() { server.stopAll(true); }
    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(socket.address().port()) + path;
    }
};

OutboundPolicy openPolicy() {
    OutboundPolicy p;
    p.allow_private_targets = true;
    return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(outbound_http)

BOOST_AUTO_TEST_CASE(requests_from_one_thread_to_one_target_reuse_one_connection) {
    LoopbackServer s;
    OutboundRequest req;
    req.method = "POST";
    req.url = s.url("/port");
    req.body = "{}";
    for (int i = 0; i < 5; ++i) BOOST_TEST(sendOutbound(req, openPolicy()).status == 200);
    BOOST_TEST(s.client_ports.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_kept_alive_connection_the_server_closed_is_replaced_without_failing_the_request) {
    LoopbackServer s(100);  // the server drops idle connections after 100 ms
    OutboundRequest req;
    req.url = s.url("/port");
    BOOST_TEST(sendOutbound(req, openPolicy()).status == 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    OutboundResponse r = sendOutbound(req, openPolicy());
    BOOST_TEST(r.status == 200);
    BOOST_TEST(r.attempts == 1);
    BOOST_TEST(s.client_ports.size() == 2u);
}

BOOST_AUTO_TEST_CASE(private_and_special_addresses_are_recognised) {
    struct Case {
        std::string ip;
        bool is_private;
    };
    for (const auto& c : std::vector<Case>{{"127.0.0.1", true},   {"10.0.0.8", true},     {"172.16.5.4", true},
                                          {"172.32.0.1", false},  {"192.168.1.1", true},  {"169.254.169.254", true},
                                          {"100.64.0.1", true},   {"100.128.0.1", false}, {"0.0.0.0", true},
                                          {"224.0.0.1", true},    {"8.8.8.8", false},     {"::1", true},
                                          {"fd00::1", true},      {"fe80::1", true},      {"::ffff:127.0.0.1", true},
                                          {"::ffff:8.8.8.8", false}, {"2001:4860:4860::8888", false},
                                          {"not-an-ip", true}}) {
        BOOST_TEST_CONTEXT(c.ip) { BOOST_TEST(isPrivateAddress(c.ip) == c.is_private); }
    }
}

BOOST_AUTO_TEST_CASE(a_loopback_target_is_refused_before_connecting_unless_allowed) {
    LoopbackServer s;
    OutboundRequest req;
    req.url = s.url("/hello");
    try {
        sendOutbound(req, OutboundPolicy{});
        BOOST_FAIL("a loopback target must be refused by default");
    } catch (const OutboundRefused& e) {
        BOOST_TEST(e.denied());
        BOOST_TEST(std::string(e.what()).find("private address 127.0.0.1") != std::string::npos);
    }
    OutboundPolicy by_name;
    by_name.allowed_hosts = {"127.0.0.1"};
    BOOST_TEST(sendOutbound(req, by_name).status == 200);
    OutboundResponse r = sendOutbound(req, openPolicy());
    BOOST_TEST(r.body == "path=/hello");
}

BOOST_AUTO_TEST_CASE(a_name_that_resolves_to_loopback_is_refused_unless_listed) {
    OutboundRequest req;
    req.url = "http://localhost:1/";
    BOOST_CHECK_EXCEPTION(sendOutbound(req, OutboundPolicy{}), OutboundRefused,
                          [](const OutboundRefused& e) { return e.denied(); });
    OutboundPolicy listed;
    listed.allowed_hosts = {"localhost"};
    // Allowed by name, so it gets as far as connecting (nothing listens on port 1).
    BOOST_CHECK_THROW(sendOutbound(req, listed), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(malformed_and_non_http_urls_are_refused) {
    OutboundRequest req;
    for (std::string url : {"ftp://example.com/", "not a url", "http:///nohost"}) {
        req.url = url;
        BOOST_CHECK_THROW(sendOutbound(req, openPolicy()), OutboundRefused);
    }
}

BOOST_AUTO_TEST_CASE(retries_on_503_until_success_and_counts_attempts) {
    LoopbackServer s;
    OutboundRequest req;
    req.url = s.url("/flaky");
    req.retries = 3;
    OutboundResponse r = sendOutbound(req, openPolicy());
    BOOST_TEST(r.status == 200);
    BOOST_TEST(r.attempts == 3);
}

BOOST_AUTO_TEST_CASE(without_retries_a_503_is_returned_as_is) {
    LoopbackServer s;
    OutboundRequest req;
    req.url = s.url("/flaky");
    BOOST_TEST(sendOutbound(req, openPolicy()).status == 503);
}

BOOST_AUTO_TEST_CASE(a_body_over_the_cap_fails_the_request) {
    LoopbackServer s;
    OutboundRequest req;
    req.url = s.url("/big");
    req.max_response_bytes = 1 << 20;
    BOOST_CHECK_EXCEPTION(sendOutbound(req, openPolicy()), std::runtime_error, [](const std::runtime_error& e) {
        return std::string(e.what()).find("exceeds 1048576 bytes") != std::string::npos;
    });
}

BOOST_AUTO_TEST_CASE(a_refused_connection_fails_after_every_attempt) {
    OutboundRequest req;
    req.url = "http://127.0.0.1:1/";
    req.retries = 1;
    BOOST_CHECK_EXCEPTION(sendOutbound(req, openPolicy()), std::runtime_error, [](const std::runtime_error& e) {
        return std::string(e.what()).find("failed after 2 attempt(s)") != std::string::npos;
    });
}

BOOST_AUTO_TEST_SUITE_END()

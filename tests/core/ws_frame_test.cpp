// The RFC 6455 framer: the RFC's own examples, every way of splitting the input, every protocol error.
#include "realtime/ws_frame.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace parley::core::realtime;

namespace {

const std::array<std::uint8_t, 4> kMask{0x37, 0xfa, 0x21, 0x3d};  // the key of RFC 6455 section 5.7

std::string bytes(std::initializer_list<int> values) {
    std::string out;
    for (int v : values) out.push_back(static_cast<char>(v));
    return out;
}

std::string clientFrame(Opcode op, std::string_view payload, bool fin = true) {
    return encodeFrame(op, payload, fin, kMask);
}

// Feeds `input` in pieces cut at `cuts` (offsets, ascending) and returns every event, errors included.
std::vector<WsEvent> decode(const std::string& input, std::vector<std::size_t> cuts = {},
                            std::size_t max_message = 1 << 20) {
    WsDecoder decoder(max_message);
    std::vector<WsEvent> events;
    std::size_t from = 0;
    cuts.push_back(input.size());
    for (std::size_t to : cuts) {
        std::string_view piece(input.data() + from, to - from);
        WsEvent event;
        while (decoder.next(piece, event)) events.push_back(event);
        from = to;
    }
    return events;
}

std::vector<std::size_t> everyByte(std::size_t n) {
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < n; ++i) cuts.push_back(i);
    return cuts;
}

WsEvent onlyEvent(const std::string& input, std::size_t max_message = 1 << 20) {
    auto events = decode(input, {}, max_message);
    BOOST_REQUIRE_EQUAL(events.size(), 1u);
    return events[0];
}

void requireError(const std::string& input, std::uint16_t code, std::size_t max_message = 1 << 20) {
    auto events = decode(input, {}, max_message);
    BOOST_REQUIRE_MESSAGE(!events.empty(), "no event, expected error " << code);
    BOOST_TEST((events.back().kind == WsEvent::Kind::error));
    BOOST_TEST(events.back().code == code);
}

bool sameEvents(const std::vector<WsEvent>& a, const std::vector<WsEvent>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].kind != b[i].kind || a[i].payload != b[i].payload || a[i].code != b[i].code) return false;
    return true;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ws_frame)

BOOST_AUTO_TEST_CASE(rfc_examples_decode_as_the_rfc_says) {
    // 5.7: a single-frame masked text message "Hello".
    WsEvent hello = onlyEvent(bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
    BOOST_TEST((hello.kind == WsEvent::Kind::text));
    BOOST_TEST(hello.payload == "Hello");
    // 5.7: a masked pong whose body is "Hello".
    WsEvent pong = onlyEvent(bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
    BOOST_TEST((pong.kind == WsEvent::Kind::pong));
    BOOST_TEST(pong.payload == "Hello");
    // 5.7: the unmasked "Hello" is what a server sends; from a client it is a protocol error.
    requireError(bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}), close_code::kProtocolError);
    // 5.7: the fragmented "Hel" + "lo", masked as a client must.
    auto events = decode(clientFrame(Opcode::text, "Hel", false) + clientFrame(Opcode::continuation, "lo"));
    BOOST_REQUIRE_EQUAL(events.size(), 1u);
    BOOST_TEST(events[0].payload == "Hello");
}

BOOST_AUTO_TEST_CASE(rfc_examples_encode_byte_for_byte) {
    BOOST_TEST(encodeFrame(Opcode::text, "Hello") == bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
    BOOST_TEST(clientFrame(Opcode::text, "Hello") ==
               bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
    BOOST_TEST(encodeFrame(Opcode::ping, "Hello") == bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
    BOOST_TEST(encodeFrame(Opcode::text, "Hel", false) == bytes({0x01, 0x03, 0x48, 0x65, 0x6c}));
    BOOST_TEST(encodeFrame(Opcode::continuation, "lo") == bytes({0x80, 0x02, 0x6c, 0x6f}));
    // 256 bytes take a 16-bit length, 64 KiB a 64-bit one.
    BOOST_TEST(encodeFrame(Opcode::binary, std::string(256, 'x')).substr(0, 4) == bytes({0x82, 0x7e, 0x01, 0x00}));
    BOOST_TEST(encodeFrame(Opcode::binary, std::string(65536, 'x')).substr(0, 10) ==
               bytes({0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0}));
}

BOOST_AUTO_TEST_CASE(close_frames_carry_code_and_reason) {
    BOOST_TEST(encodeClose(1000, "bye") == bytes({0x88, 0x05, 0x03, 0xe8, 'b', 'y', 'e'}));
    WsEvent close = onlyEvent(encodeClose(4001, "done", kMask));
    BOOST_TEST((close.kind == WsEvent::Kind::close));
    BOOST_TEST(close.code == 4001);
    BOOST_TEST(close.payload == "done");
    WsEvent bare = onlyEvent(clientFrame(Opcode::close, ""));
    BOOST_TEST(bare.code == close_code::kNoStatus);
    // A reason is cut to 123 bytes without splitting a character: 61 two-byte characters plus one more.
    std::string long_reason;
    for (int i = 0; i < 62; ++i) long_reason += "\xc3\xa9";
    std::string frame = encodeClose(1000, long_reason);
    BOOST_TEST(frame.size() == 2u + 2u + 122u);
    BOOST_TEST(validUtf8(frame.substr(4)));
}

BOOST_AUTO_TEST_CASE(every_length_encoding_round_trips) {
    for (std::size_t n : {0, 1, 125, 126, 127, 65535, 65536, 70000}) {
        std::string payload(n, 'a');
        for (std::size_t i = 0; i < n; ++i) payload[i] = static_cast<char>('a' + i % 26);
        WsEvent event = onlyEvent(clientFrame(Opcode::text, payload));
        BOOST_TEST(event.payload == payload, "length " << n);
    }
}

BOOST_AUTO_TEST_CASE(splitting_the_input_anywhere_gives_the_same_events) {
    std::string stream = clientFrame(Opcode::text, "first") + clientFrame(Opcode::text, std::string(300, 'x')) +
                         clientFrame(Opcode::text, "frag", false) + clientFrame(Opcode::ping, "mid") +
                         clientFrame(Opcode::continuation, "men", false) +
                         clientFrame(Opcode::continuation, "ted \xe2\x82\xac") + clientFrame(Opcode::pong, "") +
                         clientFrame(Opcode::text, "") + encodeClose(1000, "bye", kMask);
    auto whole = decode(stream);
    BOOST_REQUIRE_EQUAL(whole.size(), 7u);
    BOOST_TEST(whole[0].payload == "first");
    BOOST_TEST(whole[1].payload == std::string(300, 'x'));
    BOOST_TEST((whole[2].kind == WsEvent::Kind::ping));  // control frames may come between fragments
    BOOST_TEST(whole[3].payload == "fragmented \xe2\x82\xac");
    BOOST_TEST((whole[4].kind == WsEvent::Kind::pong));
    BOOST_TEST((whole[5].kind == WsEvent::Kind::text && whole[5].payload.empty()));
    BOOST_TEST((whole[6].kind == WsEvent::Kind::close && whole[6].code == 1000 && whole[6].payload == "bye"));

    BOOST_TEST(sameEvents(decode(stream, everyByte(stream.size())), whole), "one byte at a time");
    for (std::size_t cut = 1; cut < stream.size(); ++cut)
        BOOST_TEST(sameEvents(decode(stream, {cut}), whole), "split at " << cut);
}

BOOST_AUTO_TEST_CASE(a_character_split_across_fragments_is_valid) {
    // "€" is E2 82 AC: each fragment alone is invalid UTF-8, the message is not.
    auto events = decode(clientFrame(Opcode::text, "\xe2", false) + clientFrame(Opcode::continuation, "\x82\xac"));
    BOOST_REQUIRE_EQUAL(events.size(), 1u);
    BOOST_TEST((events[0].kind == WsEvent::Kind::text));
}

BOOST_AUTO_TEST_CASE(protocol_violations_close_with_1002) {
    const std::uint16_t k1002 = close_code::kProtocolError;
    std::string hello = clientFrame(Opcode::text, "Hello");
    for (int rsv : {0x40, 0x20, 0x10}) {
        std::string frame = hello;
        frame[0] = static_cast<char>(frame[0] | rsv);
        requireError(frame, k1002);
    }
    for (int op : {0x3, 0x7, 0xB, 0xF}) {
        std::string frame = hello;
        frame[0] = static_cast<char>(0x80 | op);
        requireError(frame, k1002);
    }
    requireError(clientFrame(Opcode::ping, std::string(126, 'p')), k1002);      // control frame too long
    requireError(clientFrame(Opcode::ping, "p", false), k1002);                 // fragmented control frame
    requireError(clientFrame(Opcode::continuation, "orphan"), k1002);           // no message to continue
    requireError(clientFrame(Opcode::text, "a", false) + hello, k1002);         // new message mid-message
    requireError(clientFrame(Opcode::close, "x"), k1002);                       // one-byte close payload
    for (int code : {0, 999, 1004, 1005, 1006, 1015, 2999, 5000})
        requireError(encodeClose(static_cast<std::uint16_t>(code), "", kMask), k1002);
    // A 64-bit length with the top bit set.
    requireError(bytes({0x81, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4}), k1002);
}

BOOST_AUTO_TEST_CASE(binary_messages_close_with_1003) {
    requireError(clientFrame(Opcode::binary, "\x01\x02"), close_code::kUnsupportedData);
}

BOOST_AUTO_TEST_CASE(invalid_utf8_closes_with_1007) {
    requireError(clientFrame(Opcode::text, "bad \xc3\x28"), close_code::kInvalidPayload);
    requireError(clientFrame(Opcode::text, "\xe2\x82", false) + clientFrame(Opcode::continuation, "x"),
                 close_code::kInvalidPayload);
    requireError(encodeClose(1000, std::string("\xff"), kMask), close_code::kInvalidPayload);
}

BOOST_AUTO_TEST_CASE(oversize_messages_close_with_1009_from_the_header_alone) {
    // Only the header of a 2 MiB frame is fed: the error must come before any payload.
    std::string header = clientFrame(Opcode::text, std::string(2 << 20, 'x')).substr(0, 14);
    requireError(header, close_code::kMessageTooBig, 1024);
    // Fragments that each fit but together do not.
    requireError(clientFrame(Opcode::text, std::string(600, 'a'), false) +
                     clientFrame(Opcode::continuation, std::string(600, 'b')).substr(0, 8),
                 close_code::kMessageTooBig, 1024);
    // Exactly the limit is fine.
    BOOST_TEST((onlyEvent(clientFrame(Opcode::text, std::string(1024, 'a')), 1024).kind == WsEvent::Kind::text));
}

BOOST_AUTO_TEST_CASE(a_failed_decoder_stays_failed_and_holds_nothing) {
    WsDecoder decoder(1024);
    std::string input = clientFrame(Opcode::text, "\xff") + clientFrame(Opcode::text, "fine");
    std::string_view view(input);
    WsEvent event;
    BOOST_TEST(decoder.next(view, event));
    BOOST_TEST((event.kind == WsEvent::Kind::error));
    BOOST_TEST(decoder.failed());
    BOOST_TEST(!decoder.next(view, event));
    BOOST_TEST(view.empty());
    BOOST_TEST(decoder.buffered() == 0u);
}

BOOST_AUTO_TEST_CASE(nothing_stays_buffered_after_a_message) {
    WsDecoder decoder(1 << 20);
    std::string input = clientFrame(Opcode::text, std::string(100000, 'z'));
    std::string_view view(input.data(), 50000);
    WsEvent event;
    BOOST_TEST(!decoder.next(view, event));
    BOOST_TEST(decoder.buffered() > 0u);
    view = std::string_view(input).substr(50000);
    BOOST_TEST(decoder.next(view, event));
    BOOST_TEST(event.payload.size() == 100000u);
    BOOST_TEST(decoder.buffered() == 0u);
}

BOOST_AUTO_TEST_CASE(utf8_validation_follows_the_standard) {
    for (std::string good : {std::string(""), std::string("plain ascii"), std::string("\xc3\xa9"),
                             std::string("\xe2\x82\xac"), std::string("\xf0\x9f\x98\x80"),
                             std::string("\xf4\x8f\xbf\xbf"), std::string("\xed\x9f\xbf")})
        BOOST_TEST(validUtf8(good), "should accept " << good);
    for (std::string bad : {std::string("\x80"), std::string("\xc0\x80"), std::string("\xc1\xbf"),
                            std::string("\xe0\x80\x80"), std::string("\xf0\x80\x80\x80"),
                            std::string("\xed\xa0\x80"), std::string("\xf4\x90\x80\x80"), std::string("\xf5"),
                            std::string("\xfe"), std::string("\xff"), std::string("\xe2\x82"),
                            std::string("a\xc3")})
        BOOST_TEST(!validUtf8(bad), "should refuse a sequence of " << bad.size() << " bytes");
}

BOOST_AUTO_TEST_SUITE_END()

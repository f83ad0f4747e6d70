// RFC 6455 framing for the server side: an incremental decoder of client frames (fed whatever bytes the socket
// gave, down to one at a time) and an encoder of server frames.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley::core::realtime {

enum class Opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

// Close codes (RFC 6455 section 7.4.1) the core sends or reports.
namespace close_code {
constexpr std::uint16_t kNormal = 1000;
constexpr std::uint16_t kGoingAway = 1001;
constexpr std::uint16_t kProtocolError = 1002;
constexpr std::uint16_t kUnsupportedData = 1003;
constexpr std::uint16_t kNoStatus = 1005;  // reported only: the peer's close frame carried no code
constexpr std::uint16_t kAbnormal = 1006;  // reported only: the connection ended without a close frame
constexpr std::uint16_t kInvalidPayload = 1007;
constexpr std::uint16_t kPolicyViolation = 1008;
constexpr std::uint16_t kMessageTooBig = 1009;
constexpr std::uint16_t kInternalError = 1011;
}  // namespace close_code

// What the decoder found: a whole text message, a control frame, or the error that must close the connection.
struct WsEvent {
    enum class Kind { text, ping, pong, close, error };
    Kind kind = Kind::error;
    std::string payload;     // the message, the ping/pong data, the close reason, or what was wrong
    std::uint16_t code = 0;  // close: the peer's code (kNoStatus when it sent none); error: the code to close with
};

// Decodes the frames a client sends. Keeps only the partial header and the message being reassembled, so an
// idle connection costs a few dozen bytes. After an error it stays failed and consumes nothing more.
class WsDecoder {
public:
    explicit WsDecoder(std::size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

    // Consumes bytes from the front of `input` until one event is complete (returns true, `event` set; the rest
    // of `input` is left for the next call) or `input` is empty (returns false). Binary messages are refused
    // with 1003: the protocol is JSON text.
    bool next(std::string_view& input, WsEvent& event);

    bool failed() const { return failed_; }
    // Bytes held for a message still arriving (for tests and memory accounting).
    std::size_t buffered() const { return message_.size() + control_.size(); }

private:
    enum class Stage : std::uint8_t { header, payload };

    bool fail(WsEvent& event, std::uint16_t code, std::string why);
    // Called when the header is complete: checks it against the protocol; false (and `event` set) on error.
    bool acceptHeader(WsEvent& event);
    bool finishFrame(WsEvent& event);

    std::size_t max_message_bytes_;
    Stage stage_ = Stage::header;
    bool failed_ = false;
    std::array<std::uint8_t, 14> header_{};  // 2 + 8 (length) + 4 (mask) at most
    std::uint8_t header_have_ = 0;
    std::uint8_t header_need_ = 2;
    bool fin_ = false;
    Opcode opcode_ = Opcode::continuation;
    std::array<std::uint8_t, 4> mask_{};
    std::uint64_t payload_left_ = 0;
    std::uint8_t mask_index_ = 0;
    bool in_message_ = false;  // a fragmented text message has started and awaits its continuation frames
    std::string message_;      // the text message being reassembled
    std::string control_;      // the payload of the control frame being read (at most 125 bytes)
};

// A server frame (unmasked), or, with `mask`, a client frame (for tests and the bench client).
std::string encodeFrame(Opcode opcode, std::string_view payload, bool fin = true,
                        std::optional<std::array<std::uint8_t, 4>> mask = std::nullopt);
// A close frame carrying `code` and `reason` (cut to 123 bytes on a UTF-8 boundary).
std::string encodeClose(std::uint16_t code, std::string_view reason,
                        std::optional<std::array<std::uint8_t, 4>> mask = std::nullopt);

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool validUtf8(std::string_view text);

// `reason` cut to at most `max_bytes` without splitting a UTF-8 sequence.
std::string_view truncateUtf8(std::string_view reason, std::size_t max_bytes);

}  // namespace parley::core::realtime

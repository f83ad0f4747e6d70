// RFC 6455 framing: the incremental client-frame decoder, the server-frame encoder and UTF-8 checks.
#include "realtime/ws_frame.hpp"

#include <algorithm>
#include <cstring>

namespace parley::core::realtime {

namespace {

constexpr std::uint8_t kFin = 0x80;
constexpr std::uint8_t kReservedBits = 0x70;
constexpr std::uint8_t kMaskBit = 0x80;
constexpr std::size_t kMaxControlPayload = 125;
constexpr std::size_t kMaxCloseReason = 123;

bool isControl(Opcode op) { return (static_cast<std::uint8_t>(op) & 0x8) != 0; }

bool knownOpcode(std::uint8_t op) { return op <= 0x2 || (op >= 0x8 && op <= 0xA); }

// Codes a peer may put in a close frame (section 7.4 and the IANA registry); 1005, 1006 and 1015 are for
// reporting only and never travel.
bool sendableCloseCode(std::uint16_t code) {
    if (code >= 3000 && code <= 4999) return true;
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014);
}

void appendLength(std::string& out, std::uint8_t mask_bit, std::uint64_t n) {
    if (n < 126) {
        out.push_back(static_cast<char>(mask_bit | n));
    } else if (n <= 0xFFFF) {
        out.push_back(static_cast<char>(mask_bit | 126));
        out.push_back(static_cast<char>(n >> 8));
        out.push_back(static_cast<char>(n & 0xFF));
    } else {
        out.push_back(static_cast<char>(mask_bit | 127));
        for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xFF));
    }
}

}  // namespace

bool WsDecoder::fail(WsEvent& event, std::uint16_t code, std::string why) {
    failed_ = true;
    message_ = std::string();
    control_ = std::string();
    event.kind = WsEvent::Kind::error;
    event.code = code;
    event.payload = std::move(why);
    return false;
}

bool WsDecoder::next(std::string_view& input, WsEvent& event) {
    if (failed_) {
        input = {};  // nothing after a protocol error means anything
        return false;
    }
    while (!input.empty()) {
        if (stage_ == Stage::header) {
            std::size_t take = std::min<std::size_t>(header_need_ - header_have_, input.size());
            std::memcpy(header_.data() + header_have_, input.data(), take);
            input.remove_prefix(take);
            header_have_ = static_cast<std::uint8_t>(header_have_ + take);
            if (header_have_ < header_need_) continue;
            if (header_have_ == 2) {
                // The first two bytes say everything but the length and the mask: check them at once, so a
                // bad frame fails before anything more is read.
                std::uint8_t b0 = header_[0], b1 = header_[1];
                if (b0 & kReservedBits) return fail(event, close_code::kProtocolError, "reserved bits set"), true;
                if (!knownOpcode(b0 & 0x0F))
                    return fail(event, close_code::kProtocolError, "unknown opcode"), true;
                if (!(b1 & kMaskBit))
                    return fail(event, close_code::kProtocolError, "client frames must be masked"), true;
                fin_ = (b0 & kFin) != 0;
                opcode_ = static_cast<Opcode>(b0 & 0x0F);
                std::uint8_t len7 = b1 & 0x7F;
                if (isControl(opcode_) && (!fin_ || len7 > kMaxControlPayload))
                    return fail(event, close_code::kProtocolError, "control frames must be whole and <= 125 bytes"),
                           true;
                header_need_ = static_cast<std::uint8_t>(2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + 4);
                continue;
            }
            if (!acceptHeader(event)) return true;
            if (payload_left_ == 0 && finishFrame(event)) return true;
            continue;
        }
        std::string& into = isControl(opcode_) ? control_ : message_;
        std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(payload_left_, input.size()));
        std::size_t at = into.size();
        into.append(input.data(), take);
        for (std::size_t i = at; i < at + take; ++i) {
            into[i] = static_cast<char>(into[i] ^ mask_[mask_index_]);
            mask_index_ = (mask_index_ + 1) & 3;
        }
        input.remove_prefix(take);
        payload_left_ -= take;
        if (payload_left_ == 0 && finishFrame(event)) return true;
    }
    return false;
}

bool WsDecoder::acceptHeader(WsEvent& event) {
    std::uint8_t len7 = header_[1] & 0x7F;
    std::size_t at = 2;
    std::uint64_t length = len7;
    if (len7 == 126) {
        length = (std::uint64_t{header_[2]} << 8) | header_[3];
        at = 4;
    } else if (len7 == 127) {
        length = 0;
        for (int i = 0; i < 8; ++i) length = (length << 8) | header_[2 + i];
        at = 10;
        if (length >> 63) return fail(event, close_code::kProtocolError, "64-bit length with its top bit set");
    }
    std::memcpy(mask_.data(), header_.data() + at, 4);
    mask_index_ = 0;
    payload_left_ = length;
    stage_ = Stage::payload;

    if (!isControl(opcode_)) {
        if (opcode_ == Opcode::binary)
            return fail(event, close_code::kUnsupportedData, "binary messages are not supported");
        if (opcode_ == Opcode::text && in_message_)
            return fail(event, close_code::kProtocolError, "a new message before the previous one ended");
        if (opcode_ == Opcode::continuation && !in_message_)
            return fail(event, close_code::kProtocolError, "a continuation frame without a message");
        // Checked before a byte of payload is buffered, so an oversize claim costs nothing.
        if (length > max_message_bytes_ - std::min(message_.size(), max_message_bytes_))
            return fail(event, close_code::kMessageTooBig,
                        "message larger than " + std::to_string(max_message_bytes_) + " bytes");
        in_message_ = true;
        message_.reserve(message_.size() + length);
    }
    return true;
}

bool WsDecoder::finishFrame(WsEvent& event) {
    stage_ = Stage::header;
    header_have_ = 0;
    header_need_ = 2;
    switch (opcode_) {
        case Opcode::ping:
        case Opcode::pong:
            event.kind = opcode_ == Opcode::ping ? WsEvent::Kind::ping : WsEvent::Kind::pong;
            event.code = 0;
            event.payload = std::move(control_);
            control_ = std::string();
            return true;
        case Opcode::close: {
            std::string payload = std::move(control_);
            control_ = std::string();
            if (payload.empty()) {
                event.kind = WsEvent::Kind::close;
                event.code = close_code::kNoStatus;
                event.payload.clear();
                return true;
            }
            if (payload.size() == 1) return fail(event, close_code::kProtocolError, "close frame of 1 byte"), true;
            auto code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) |
                                                   static_cast<std::uint8_t>(payload[1]));
            if (!sendableCloseCode(code))
                return fail(event, close_code::kProtocolError, "invalid close code " + std::to_string(code)), true;
            std::string_view reason = std::string_view(payload).substr(2);
            if (!validUtf8(reason))
                return fail(event, close_code::kInvalidPayload, "close reason is not UTF-8"), true;
            event.kind = WsEvent::Kind::close;
            event.code = code;
            event.payload.assign(reason);
            return true;
        }
        default:
            if (!fin_) return false;  // more fragments to come
            in_message_ = false;
            if (!validUtf8(message_)) return fail(event, close_code::kInvalidPayload, "text is not UTF-8"), true;
            event.kind = WsEvent::Kind::text;
            event.code = 0;
            event.payload = std::move(message_);
            message_ = std::string();  // the capacity left with the message: nothing kept after a burst
            return true;
    }
}

std::string encodeFrame(Opcode opcode, std::string_view payload, bool fin,
                        std::optional<std::array<std::uint8_t, 4>> mask) {
    std::string out;
    out.reserve(payload.size() + 14);
    out.push_back(static_cast<char>((fin ? kFin : 0) | static_cast<std::uint8_t>(opcode)));
    appendLength(out, mask ? kMaskBit : 0, payload.size());
    if (!mask) {
        out.append(payload);
        return out;
    }
    out.append(reinterpret_cast<const char*>(mask->data()), 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        out.push_back(static_cast<char>(payload[i] ^ (*mask)[i & 3]));
    return out;
}

std::string encodeClose(std::uint16_t code, std::string_view reason, std::optional<std::array<std::uint8_t, 4>> mask) {
    std::string payload;
    payload.push_back(static_cast<char>(code >> 8));
    payload.push_back(static_cast<char>(code & 0xFF));
    payload.append(truncateUtf8(reason, kMaxCloseReason));
    return encodeFrame(Opcode::close, payload, true, mask);
}

bool validUtf8(std::string_view text) {
    auto p = reinterpret_cast<const unsigned char*>(text.data());
    const unsigned char* end = p + text.size();
    while (p < end) {
        unsigned char c = *p;
        if (c < 0x80) {
            ++p;
            continue;
        }
        int more;
        std::uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            more = 1, cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            more = 2, cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            more = 3, cp = c & 0x07;
        } else {
            return false;  // a stray continuation byte, an overlong lead (C0, C1) or beyond U+10FFFF (F5..FF)
        }
        if (end - p <= more) return false;
        for (int i = 1; i <= more; ++i) {
            if ((p[i] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if (more == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return false;
        if (more == 3 && (cp < 0x10000 || cp > 0x10FFFF)) return false;
        p += more + 1;
    }
    return true;
}

std::string_view truncateUtf8(std::string_view reason, std::size_t max_bytes) {
    if (reason.size() <= max_bytes) return reason;
    std::size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) --cut;
    return reason.substr(0, cut);
}

}  // namespace parley::core::realtime

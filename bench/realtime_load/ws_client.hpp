// A non-blocking WebSocket client connection for load generators: many of them share one epoll thread. It
// speaks the client side of RFC 6455 (masked frames out, unmasked server frames in, ping answered) and
// leaves what the text frames mean to its owner.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace parley::bench {

// A server frame as the decoder hands it out.
struct ServerFrame {
    std::uint8_t opcode = 0;  // 0x1 text, 0x2 binary, 0x8 close, 0x9 ping, 0xA pong
    std::string_view payload;
};

class WsClient {
public:
    enum class State { connecting, handshake, open, closed };

    // Starts a non-blocking connect to 127.0.0.1:port; the upgrade request (with `headers`, each "Name: value")
    // is queued and goes out once connected. Throws std::runtime_error when no socket can be made.
    WsClient(int port, const std::string& target, const std::vector<std::string>& headers);
    ~WsClient();
    WsClient(const WsClient&) = delete;
    WsClient& operator=(const WsClient&) = delete;

    int fd() const { return fd_; }
    State state() const { return state_; }
    const std::string& error() const { return error_; }

    // Queues a masked text frame (sent by flush()).
    void sendText(std::string_view text) { queueFrame(0x1, text); }
    void queueFrame(std::uint8_t opcode, std::string_view payload);
    // Writes what is queued; returns true while bytes remain (the caller should wait for EPOLLOUT).
    bool flush();
    // Reads what the socket has and calls on_frame(const ServerFrame&) for every complete frame after the
    // handshake (pings are answered here, and still reported). Returns false when the connection ended.
    template <typename OnFrame>
    bool readAvailable(OnFrame&& on_frame);
    bool wantsWrite() const { return out_.size() > out_at_; }

private:
    bool fill();  // one recv into in_; false on end of stream or error
    bool parseHandshake();
    void fail(std::string why);

    int fd_ = -1;
    State state_ = State::connecting;
    std::string in_;
    std::size_t in_at_ = 0;
    std::string out_;
    std::size_t out_at_ = 0;
    std::string error_;
    std::uint32_t mask_seed_;
};

// Decodes one unmasked server frame at the start of `bytes`; returns its total length (0 when incomplete).
std::size_t decodeServerFrame(std::string_view bytes, ServerFrame& frame);

template <typename OnFrame>
bool WsClient::readAvailable(OnFrame&& on_frame) {
    if (!fill()) return false;
    if (state_ == State::handshake && !parseHandshake()) return state_ != State::closed;
    while (state_ == State::open) {
        ServerFrame frame;
        std::size_t used = decodeServerFrame(std::string_view(in_).substr(in_at_), frame);
        if (used == 0) break;
        if (frame.opcode == 0x9) queueFrame(0xA, frame.payload);  // ping: answer with the same payload
        if (frame.opcode == 0x8) state_ = State::closed;
        on_frame(frame);
        in_at_ += used;
    }
    if (in_at_ == in_.size()) {
        in_.clear();
        in_at_ = 0;
    } else if (in_at_ > (1u << 16)) {
        in_.erase(0, in_at_);
        in_at_ = 0;
    }
    if (wantsWrite()) flush();
    return state_ != State::closed;
}

}  // namespace parley::bench

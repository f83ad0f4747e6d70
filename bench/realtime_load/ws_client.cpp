// The non-blocking WebSocket client of the realtime load generator.
#include "ws_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace parley::bench {

WsClient::WsClient(int port, const std::string& target, const std::vector<std::string>& headers)
    : mask_seed_(0x9E3779B9u ^ static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(this))) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno) + " (raise ulimit -n?)");
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 && errno != EINPROGRESS) {
        int e = errno;
        ::close(fd_);
        throw std::runtime_error(std::string("connect: ") + std::strerror(e));
    }
    out_ = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
           "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           "Sec-WebSocket-Version: 13\r\n";
    for (const auto& h : headers) out_ += h + "\r\n";
    out_ += "\r\n";
    state_ = State::handshake;  // the request goes out as soon as the socket is writable
}

WsClient::~WsClient() {
    if (fd_ >= 0) ::close(fd_);
}

void WsClient::fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
    state_ = State::closed;
}

void WsClient::queueFrame(std::uint8_t opcode, std::string_view text) {
    char header[14];
    std::size_t n = 0;
    header[n++] = char(0x80 | opcode);
    if (text.size() < 126) {
        header[n++] = char(0x80 | text.size());
    } else if (text.size() < 65536) {
        header[n++] = char(0x80 | 126);
        header[n++] = char(text.size() >> 8);
        header[n++] = char(text.size() & 0xFF);
    } else {
        header[n++] = char(0x80 | 127);
        for (int i = 7; i >= 0; --i) header[n++] = char((std::uint64_t(text.size()) >> (8 * i)) & 0xFF);
    }
    mask_seed_ = mask_seed_ * 1664525u + 1013904223u;  // masks only need to vary, not to be secret here
    std::uint8_t mask[4];
    std::memcpy(mask, &mask_seed_, 4);
    std::memcpy(header + n, mask, 4);
    n += 4;
    out_.append(header, n);
    std::size_t at = out_.size();
    out_.append(text);
    for (std::size_t i = 0; i < text.size(); ++i) out_[at + i] = char(out_[at + i] ^ mask[i & 3]);
}

bool WsClient::flush() {
    while (out_at_ < out_.size()) {
        ssize_t n = ::send(fd_, out_.data() + out_at_, out_.size() - out_at_, MSG_NOSIGNAL);
        if (n > 0) {
            out_at_ += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOTCONN)) return true;
        if (n < 0 && errno == EINTR) continue;
        fail(std::string("send: ") + std::strerror(errno));
        return false;
    }
    out_.clear();
    out_at_ = 0;
    return false;
}

bool WsClient::fill() {
    if (in_.capacity() - in_.size() < 16384) in_.reserve(in_.size() + 65536);
    std::size_t old = in_.size();
    in_.resize(in_.capacity());
    ssize_t n = ::recv(fd_, in_.data() + old, in_.size() - old, 0);
    if (n > 0) {
        in_.resize(old + static_cast<std::size_t>(n));
        return true;
    }
    in_.resize(old);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return true;
    fail(n == 0 ? "the server closed the connection" : std::string("recv: ") + std::strerror(errno));
    return false;
}

bool WsClient::parseHandshake() {
    std::size_t end = in_.find("\r\n\r\n");
    if (end == std::string::npos) {
        if (in_.size() > 16384) fail("handshake answer too long");
        return false;
    }
    if (in_.rfind("HTTP/1.1 101", 0) != 0) {
        std::size_t body = end + 4;
        fail("upgrade refused: " + in_.substr(0, in_.find("\r\n")) + " " + in_.substr(body, 300));
        return false;
    }
    in_at_ = end + 4;
    state_ = State::open;
    return true;
}

std::size_t decodeServerFrame(std::string_view bytes, ServerFrame& frame) {
    if (bytes.size() < 2) return 0;
    auto b0 = static_cast<std::uint8_t>(bytes[0]), b1 = static_cast<std::uint8_t>(bytes[1]);
    std::size_t header = 2;
    std::uint64_t length = b1 & 0x7F;
    if (length == 126) {
        if (bytes.size() < 4) return 0;
        length = (std::uint64_t(std::uint8_t(bytes[2])) << 8) | std::uint8_t(bytes[3]);
        header = 4;
    } else if (length == 127) {
        if (bytes.size() < 10) return 0;
        length = 0;
        for (int i = 0; i < 8; ++i) length = (length << 8) | std::uint8_t(bytes[2 + i]);
        header = 10;
    }
    if (b1 & 0x80) header += 4;  // servers do not mask; skip a mask if one came anyway (payload left as is)
    if (bytes.size() < header + length) return 0;
    frame.opcode = b0 & 0x0F;
    frame.payload = bytes.substr(header, length);
    return header + length;
}

}  // namespace parley::bench

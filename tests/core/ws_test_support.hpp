// For the reactor tests: a loopback Poco HTTPServer whose handler upgrades to the reactor, a handler that
// records every callback, and a WebSocket client made of a raw socket and hand-built masked frames.
#pragma once

#include "realtime/reactor.hpp"
#include "realtime/ws_frame.hpp"
#include "realtime/ws_upgrade.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/StreamSocket.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ws_test {

namespace rt = parley::core::realtime;
using Clock = std::chrono::steady_clock;
constexpr auto kPatience = std::chrono::seconds(10);  // a deadline, never a sleep: passing tests finish early

// Records every callback; echoes each text message back unless told otherwise. "close:<code>" makes the
// server start the close handshake with that code.
class Recorder : public rt::Handler {
public:
    struct Closed {
        std::uint16_t code;
        std::string reason;
        int times;
    };

    void onOpen(const std::shared_ptr<rt::Connection>& c) override {
        std::lock_guard lock(mutex_);
        open_[c->id()] = c;
        order_.push_back(c->id());
        changed_.notify_all();
    }
    void onMessage(const std::shared_ptr<rt::Connection>& c, std::string text) override {
        if (text.rfind("close:", 0) == 0) {
            c->close(static_cast<std::uint16_t>(std::stoi(text.substr(6))), "asked to");
        } else if (echo) {
            c->send(text);
        }
        std::lock_guard lock(mutex_);
        messages_.push_back(std::move(text));
        changed_.notify_all();
    }
    void onClose(const std::shared_ptr<rt::Connection>& c, std::uint16_t code, std::string reason) override {
        std::lock_guard lock(mutex_);
        auto [it, fresh] = closed_.try_emplace(c->id(), Closed{code, std::move(reason), 0});
        ++it->second.times;
        open_.erase(c->id());
        changed_.notify_all();
    }

    // Waits (up to kPatience) until `ready` holds, checked under the lock after every callback.
    bool waitUntil(const std::function<bool()>& ready) {
        std::unique_lock lock(mutex_);
        return changed_.wait_until(lock, Clock::now() + kPatience, ready);
    }
    bool waitOpened(std::size_t n) {
        return waitUntil([&] { return order_.size() >= n; });
    }
    bool waitClosed(std::size_t n) {
        return waitUntil([&] { return closed_.size() >= n; });
    }
    std::shared_ptr<rt::Connection> opened(std::size_t index) {
        std::lock_guard lock(mutex_);
        auto it = open_.find(order_.at(index));
        return it == open_.end() ? nullptr : it->second;
    }
    std::uint64_t idOf(std::size_t index) {
        std::lock_guard lock(mutex_);
        return order_.at(index);
    }
    std::optional<Closed> closed(std::uint64_t id) {
        std::lock_guard lock(mutex_);
        auto it = closed_.find(id);
        if (it == closed_.end()) return std::nullopt;
        return it->second;
    }
    std::size_t closedCount() {
        std::lock_guard lock(mutex_);
        return closed_.size();
    }
    // True when every opened connection was closed exactly once.
    bool eachClosedOnce() {
        std::lock_guard lock(mutex_);
        if (closed_.size() != order_.size()) return false;
        for (auto& [id, c] : closed_)
            if (c.times != 1) return false;
        return true;
    }
    std::vector<std::string> messages() {
        std::lock_guard lock(mutex_);
        return messages_;
    }

    std::atomic<bool> echo{true};

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::map<std::uint64_t, std::shared_ptr<rt::Connection>> open_;
    std::vector<std::uint64_t> order_;
    std::map<std::uint64_t, Closed> closed_;
    std::vector<std::string> messages_;
};

// A Poco HTTPServer on loopback whose every request is a WebSocket upgrade into `reactor`.
class UpgradeServer {
public:
    UpgradeServer(rt::Reactor& reactor, std::shared_ptr<rt::Handler> handler)
        : server_(new Factory(reactor, std::move(handler)), socket_, params()) {
        server_.start();
    }
    ~UpgradeServer() { server_.stopAll(true); }
    Poco::UInt16 port() const { return socket_.address().port(); }
    // Connections Poco's server is still serving on a pool thread.
    int busyThreads() const { return server_.currentConnections(); }

private:
    struct Upgrader : Poco::Net::HTTPRequestHandler {
        rt::Reactor& reactor;
        std::shared_ptr<rt::Handler> handler;
        Upgrader(rt::Reactor& r, std::shared_ptr<rt::Handler> h) : reactor(r), handler(std::move(h)) {}
        void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
            if (!rt::upgradeProblem(request).empty())
                rt::refuseUpgrade(request, response);
            else
                rt::upgrade(request, response, reactor, handler);
        }
    };
    struct Factory : Poco::Net::HTTPRequestHandlerFactory {
        rt::Reactor& reactor;
        std::shared_ptr<rt::Handler> handler;
        Factory(rt::Reactor& r, std::shared_ptr<rt::Handler> h) : reactor(r), handler(std::move(h)) {}
        Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
            return new Upgrader(reactor, handler);
        }
    };
    static Poco::Net::HTTPServerParams* params() {
        auto* p = new Poco::Net::HTTPServerParams;
        p->setMaxQueued(2000);
        return p;
    }

    Poco::Net::ServerSocket socket_{Poco::Net::SocketAddress("127.0.0.1", 0), 1024};
    Poco::Net::HTTPServer server_;
};

struct Frame {
    rt::Opcode opcode;
    bool fin;
    std::string payload;
    std::uint16_t closeCode() const {
        return payload.size() < 2 ? 0
                                  : static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) |
                                                               static_cast<std::uint8_t>(payload[1]));
    }
};

// A client over a raw socket: it writes exactly the bytes a test builds and parses what the server sends.
class RawClient {
public:
    static constexpr const char* kKey = "dGhlIHNhbXBsZSBub25jZQ==";  // RFC 6455 section 1.3

    explicit RawClient(Poco::UInt16 port) : socket_(Poco::Net::SocketAddress("127.0.0.1", port)) {
        socket_.setReceiveTimeout(Poco::Timespan(0, 100'000));
    }

    static std::string handshakeRequest(const std::string& extra_headers = "") {
        return std::string("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n") +
               "Sec-WebSocket-Key: " + kKey + "\r\nSec-WebSocket-Version: 13\r\n" + extra_headers + "\r\n";
    }

    // Sends the handshake (and `then`, in the same write) and returns the response head.
    std::string handshake(const std::string& then = "") {
        sendRaw(handshakeRequest() + then);
        return readHead();
    }
    std::string readHead() {
        auto deadline = Clock::now() + kPatience;
        std::size_t end;
        while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
            if (!fill(deadline)) throw std::runtime_error("no HTTP response head; got: " + buffer_);
        }
        std::string head = buffer_.substr(0, end + 4);
        buffer_.erase(0, end + 4);
        return head;
    }

    void sendRaw(const std::string& bytes) { socket_.sendBytes(bytes.data(), static_cast<int>(bytes.size())); }
    void sendText(const std::string& text, bool fin = true, rt::Opcode op = rt::Opcode::text) {
        sendRaw(rt::encodeFrame(op, text, fin, mask()));
    }
    void sendClose(std::uint16_t code, const std::string& reason) { sendRaw(rt::encodeClose(code, reason, mask())); }

    // The next frame from the server, or nullopt when the stream ended (or nothing came before the deadline).
    std::optional<Frame> readFrame() {
        auto deadline = Clock::now() + kPatience;
        while (true) {
            if (buffer_.size() >= 2) {
                auto b0 = static_cast<std::uint8_t>(buffer_[0]), b1 = static_cast<std::uint8_t>(buffer_[1]);
                if (b1 & 0x80) throw std::runtime_error("the server masked a frame");
                std::size_t len = b1 & 0x7F, at = 2;
                if (len == 126 && buffer_.size() >= 4) {
                    len = (static_cast<std::uint8_t>(buffer_[2]) << 8) | static_cast<std::uint8_t>(buffer_[3]);
                    at = 4;
                } else if (len == 127 && buffer_.size() >= 10) {
                    len = 0;
                    for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<std::uint8_t>(buffer_[2 + i]);
                    at = 10;
                }
                bool header_complete = (b1 & 0x7F) < 126 || at > 2;
                if (header_complete && buffer_.size() >= at + len) {
                    Frame f{static_cast<rt::Opcode>(b0 & 0x0F), (b0 & 0x80) != 0, buffer_.substr(at, len)};
                    buffer_.erase(0, at + len);
                    return f;
                }
            }
            if (!fill(deadline)) return std::nullopt;
        }
    }
    // The next frame that is not a ping (pings are answered as a browser would).
    std::optional<Frame> readNonPing() {
        while (auto f = readFrame()) {
            if (f->opcode != rt::Opcode::ping) return f;
            sendRaw(rt::encodeFrame(rt::Opcode::pong, f->payload, true, mask()));
        }
        return std::nullopt;
    }
    // True when the server ends the stream (EOF or reset) before the deadline, whatever comes first.
    bool waitEnd() {
        auto deadline = Clock::now() + kPatience;
        buffer_.clear();
        while (Clock::now() < deadline) {
            if (!fill(deadline)) return ended_;
            buffer_.clear();
        }
        return false;
    }
    bool ended() const { return ended_; }
    Poco::Net::StreamSocket& socket() { return socket_; }

private:
    static std::array<std::uint8_t, 4> mask() { return {0x12, 0x34, 0x56, 0x78}; }

    // Reads what is there; false on end of stream or when the deadline passed.
    bool fill(Clock::time_point deadline) {
        char chunk[65536];
        while (Clock::now() < deadline) {
            try {
                int n = socket_.receiveBytes(chunk, sizeof chunk);
                if (n <= 0) {
                    ended_ = true;
                    return false;
                }
                buffer_.append(chunk, static_cast<std::size_t>(n));
                return true;
            } catch (const Poco::TimeoutException&) {
            } catch (const Poco::Net::ConnectionResetException&) {
                ended_ = true;
                return false;
            }
        }
        return false;
    }

    Poco::Net::StreamSocket socket_;
    std::string buffer_;
    bool ended_ = false;
};

}  // namespace ws_test

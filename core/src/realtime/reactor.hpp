// WebSockets without a thread each: after the HTTP upgrade the socket is detached from Poco's server and
// served by a few epoll threads with a non-blocking RFC 6455 framer (see ws_frame.hpp).
#pragma once

#include <Poco/Net/StreamSocket.h>

#include <any>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace parley::core::realtime {

struct ReactorOptions {
    int threads = 2;                            // epoll threads; independent of the number of connections
    std::size_t max_message_bytes = 64 * 1024;  // a bigger text message (or fragment sum) closes with 1009
    std::size_t max_queued_bytes = 1 << 20;     // unsent bytes above this cut a slow consumer off (1008)
    int ping_interval_ms = 25'000;              // a ping after this much silence from the peer
    int idle_timeout_ms = 60'000;               // no frame at all (not even a pong) for this long: closed
    int close_timeout_ms = 5'000;               // how long a close handshake may take before the socket drops
};

// One WebSocket. Thread-safe: send() and close() may be called from any thread.
class Connection {
public:
    virtual ~Connection() = default;
    virtual std::uint64_t id() const = 0;
    // Queues a text frame. Returns false (and sends nothing) once the connection is closing or closed. When the
    // queue would pass max_queued_bytes the connection is closed with 1008 "slow consumer" instead: it never
    // blocks and never makes the caller wait for the peer.
    virtual bool send(std::string_view text) = 0;
    // Starts the close handshake with this code and reason (at most 123 bytes).
    virtual void close(std::uint16_t code, std::string_view reason) = 0;
    virtual bool open() const = 0;
    virtual std::string peerAddress() const = 0;
    // Free for the handler: whatever it wants to remember about this connection (set in onOpen, before any
    // onMessage; read on the connection's callbacks only).
    std::any state;
};

// Callbacks run on reactor threads, one at a time per connection, in order; keep them short (hand blocking
// work to another thread).
class Handler {
public:
    virtual ~Handler() = default;
    virtual void onOpen(const std::shared_ptr<Connection>& connection) = 0;
    virtual void onMessage(const std::shared_ptr<Connection>& connection, std::string text) = 0;
    // Called exactly once per opened connection, whatever ended it (peer close, error, timeout, slow consumer,
    // server stop). `code` is the close code (1006 when the peer vanished without one).
    virtual void onClose(const std::shared_ptr<Connection>& connection, std::uint16_t code, std::string reason) = 0;
};

class Reactor {
public:
    explicit Reactor(ReactorOptions options = {});
    ~Reactor();  // stop()
    Reactor(const Reactor&) = delete;
    Reactor& operator=(const Reactor&) = delete;

    void start();
    // Closes every connection with 1001 "server shutting down" (best effort), calls onClose for each, joins.
    void stop();

    // Takes a socket whose upgrade handshake has been answered; `pending` holds any bytes already read past the
    // handshake. Calls handler->onOpen on a reactor thread.
    void adopt(Poco::Net::StreamSocket socket, std::shared_ptr<Handler> handler, std::string pending = {});

    std::size_t connections() const;
    const ReactorOptions& options() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace parley::core::realtime

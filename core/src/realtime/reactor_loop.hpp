// One reactor thread: an epoll set of WebSocket connections, an eventfd to be woken by other threads, and a
// min-heap of per-connection deadlines (ping, idle, close handshake).
#pragma once

#include "realtime/reactor.hpp"
#include "realtime/ws_connection.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace parley::core::realtime {

class ReactorLoop {
public:
    ReactorLoop(const ReactorOptions& options, std::atomic<std::size_t>& open_count);
    ~ReactorLoop();  // closes the sockets of adoptions never served
    ReactorLoop(const ReactorLoop&) = delete;
    ReactorLoop& operator=(const ReactorLoop&) = delete;

    void start();
    // Asks the thread to close every connection (1001) and end; join() waits for it.
    void requestStop();
    void join();

    // Any thread: hands a connection to this loop (onOpen follows on the loop's thread). False once stopping:
    // the caller then owns the socket still.
    bool adopt(std::shared_ptr<WsConnection> connection, std::string pending);
    // Any thread: the connection has something to write or a close to start.
    void post(std::shared_ptr<WsConnection> connection);

private:
    struct Timer {
        std::int64_t due_ms;
        std::uint64_t id;
        bool operator>(const Timer& other) const { return due_ms > other.due_ms; }
    };
    using Connections = std::unordered_map<std::uint64_t, std::shared_ptr<WsConnection>>;

    void run();
    void wake();
    // Takes what other threads posted; false when there was nothing.
    bool drainPosted();
    void open(std::shared_ptr<WsConnection> connection, const std::string& pending);
    void onReadable(WsConnection& connection);
    void consume(WsConnection& connection, std::string_view bytes);
    void dispatch(WsConnection& connection, WsEvent& event);
    void flush(WsConnection& connection);
    // Moves a closing connection along: arms its deadline, ends it when the handshake is done.
    void advanceClose(WsConnection& connection);
    void onTimer(WsConnection& connection);
    void runTimers();
    void schedule(WsConnection& connection, std::int64_t due_ms);
    void setWriteInterest(WsConnection& connection, bool want);
    // Ends the connection once: removes it, closes the socket, calls onClose.
    void finish(WsConnection& connection, std::uint16_t code, std::string reason);
    void finishWithCause(WsConnection& connection);
    void closeAll();

    const ReactorOptions& options_;
    std::atomic<std::size_t>& open_count_;
    int epoll_fd_ = -1;
    int event_fd_ = -1;
    std::thread thread_;

    std::mutex mutex_;  // guards the posted work below
    std::vector<std::pair<std::shared_ptr<WsConnection>, std::string>> adoptions_;
    std::vector<std::shared_ptr<WsConnection>> flushes_;
    bool stop_requested_ = false;
    bool accepting_ = true;

    // Touched by the loop's thread only.
    Connections connections_;
    std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
    std::vector<char> read_buffer_;  // one per thread, not per connection
    std::int64_t now_ms_ = 0;
};

}  // namespace parley::core::realtime

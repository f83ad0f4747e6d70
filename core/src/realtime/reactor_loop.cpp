// The reactor thread's loop. Level-triggered epoll: each ready socket gets one bounded read per turn, so a
// busy peer cannot starve the others, and nothing is lost if a turn stops early; write interest (EPOLLOUT) is
// armed only while a queue is backed up, which is rare, so the extra epoll_ctl calls are too.
#include "realtime/reactor_loop.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <system_error>

namespace parley::core::realtime {

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr int kMaxEvents = 256;
constexpr std::uint64_t kWakeId = 0;  // connection ids start at 1

// The loop whose thread is running, so a post from one of its own callbacks skips the eventfd write: the loop
// drains its posted work before it waits again.
thread_local ReactorLoop* tls_current_loop = nullptr;

std::int64_t steadyMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace

ReactorLoop::ReactorLoop(const ReactorOptions& options, std::atomic<std::size_t>& open_count)
    : options_(options), open_count_(open_count) {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    event_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_fd_ < 0 || event_fd_ < 0) throw std::system_error(errno, std::generic_category(), "reactor epoll");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kWakeId;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, event_fd_, &ev) < 0)
        throw std::system_error(errno, std::generic_category(), "reactor eventfd");
}

ReactorLoop::~ReactorLoop() {
    join();
    for (auto& [connection, pending] : adoptions_) ::close(connection->fd());
    ::close(event_fd_);
    ::close(epoll_fd_);
}

void ReactorLoop::start() { thread_ = std::thread([this] { run(); }); }

void ReactorLoop::requestStop() {
    {
        std::lock_guard lock(mutex_);
        stop_requested_ = true;
    }
    wake();
}

void ReactorLoop::join() {
    if (thread_.joinable()) thread_.join();
}

bool ReactorLoop::adopt(std::shared_ptr<WsConnection> connection, std::string pending) {
    {
        std::lock_guard lock(mutex_);
        if (!accepting_) return false;
        adoptions_.emplace_back(std::move(connection), std::move(pending));
    }
    wake();
    return true;
}

void ReactorLoop::post(std::shared_ptr<WsConnection> connection) {
    bool was_empty;
    {
        std::lock_guard lock(mutex_);
        was_empty = flushes_.empty();
        flushes_.push_back(std::move(connection));
    }
    // One wake-up per batch: a broadcast to thousands of connections costs this thread one eventfd read.
    if (was_empty && tls_current_loop != this) wake();
}

void ReactorLoop::wake() {
    std::uint64_t one = 1;
    ssize_t ignored = ::write(event_fd_, &one, sizeof one);  // fails only when the counter is full: still awake
    (void)ignored;
}

void ReactorLoop::run() {
    tls_current_loop = this;
    read_buffer_.resize(kReadChunk);
    epoll_event events[kMaxEvents];
    bool stopping = false;
    while (!stopping) {
        now_ms_ = steadyMs();
        int timeout = -1;
        if (!timers_.empty()) timeout = static_cast<int>(std::max<std::int64_t>(0, timers_.top().due_ms - now_ms_));
        int n = ::epoll_wait(epoll_fd_, events, kMaxEvents, timeout);
        now_ms_ = steadyMs();
        for (int i = 0; i < n; ++i) {
            if (events[i].data.u64 == kWakeId) {
                std::uint64_t count;
                ssize_t ignored = ::read(event_fd_, &count, sizeof count);
                (void)ignored;
                continue;
            }
            auto it = connections_.find(events[i].data.u64);
            if (it == connections_.end()) continue;  // ended earlier in this batch
            std::shared_ptr<WsConnection> connection = it->second;
            if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) onReadable(*connection);
            if (!connection->finished && (events[i].events & EPOLLOUT)) flush(*connection);
        }
        while (drainPosted()) {
        }
        runTimers();
        while (drainPosted()) {
        }
        std::lock_guard lock(mutex_);
        stopping = stop_requested_;
    }
    closeAll();
    tls_current_loop = nullptr;
}

bool ReactorLoop::drainPosted() {
    std::vector<std::pair<std::shared_ptr<WsConnection>, std::string>> adoptions;
    std::vector<std::shared_ptr<WsConnection>> flushes;
    {
        std::lock_guard lock(mutex_);
        adoptions.swap(adoptions_);
        flushes.swap(flushes_);
    }
    for (auto& [connection, pending] : adoptions) open(std::move(connection), pending);
    for (auto& connection : flushes) {
        connection->clearFlushPosted();
        if (connection->finished) continue;
        flush(*connection);
    }
    return !adoptions.empty() || !flushes.empty();
}

void ReactorLoop::open(std::shared_ptr<WsConnection> connection, const std::string& pending) {
    WsConnection& c = *connection;
    connections_.emplace(c.id(), connection);
    open_count_.fetch_add(1, std::memory_order_relaxed);
    c.last_rx_ms = now_ms_;
    try {
        c.handler->onOpen(connection);
    } catch (...) {
        c.startClose(close_code::kInternalError, "internal error", true);
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = c.id();
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c.fd(), &ev) < 0) {
        finish(c, close_code::kAbnormal, "cannot watch the socket");
        return;
    }
    schedule(c, now_ms_ + std::min(options_.ping_interval_ms, options_.idle_timeout_ms));
    // Bytes the HTTP server read past the handshake are the start of the first frame.
    if (!pending.empty() && !c.closing()) consume(c, pending);
    if (!c.finished) flush(c);
}

void ReactorLoop::onReadable(WsConnection& c) {
    ssize_t n;
    do {
        n = ::recv(c.fd(), read_buffer_.data(), read_buffer_.size(), 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {
        finishWithCause(c);  // the peer went away (EOF or reset)
        return;
    }
    c.last_rx_ms = now_ms_;
    c.ping_outstanding = false;
    consume(c, std::string_view(read_buffer_.data(), static_cast<std::size_t>(n)));
}

void ReactorLoop::consume(WsConnection& c, std::string_view bytes) {
    WsEvent event;
    while (!c.finished && c.decoder.next(bytes, event)) dispatch(c, event);
}

void ReactorLoop::dispatch(WsConnection& c, WsEvent& event) {
    switch (event.kind) {
        case WsEvent::Kind::text:
            if (!c.open()) return;  // after our close frame, data is no longer delivered
            try {
                c.handler->onMessage(c.shared_from_this(), std::move(event.payload));
            } catch (...) {
                c.startClose(close_code::kInternalError, "internal error", false);
                flush(c);
            }
            return;
        case WsEvent::Kind::ping:
            c.queueControl(Opcode::pong, event.payload);
            flush(c);
            return;
        case WsEvent::Kind::pong:
            return;  // any byte from the peer already counts as a sign of life
        case WsEvent::Kind::close:
            c.close_received = true;
            c.peerClosed(event.code, event.payload);
            flush(c);
            return;
        case WsEvent::Kind::error:
            c.startClose(event.code, event.payload, true);
            flush(c);
            return;
    }
}

void ReactorLoop::flush(WsConnection& c) {
    switch (c.writeQueued()) {
        case WsConnection::WriteResult::broken:
            finishWithCause(c);
            return;
        case WsConnection::WriteResult::blocked:
            setWriteInterest(c, true);
            break;
        case WsConnection::WriteResult::drained:
            setWriteInterest(c, false);
            break;
    }
    if (c.closing()) advanceClose(c);
}

void ReactorLoop::setWriteInterest(WsConnection& c, bool want) {
    if (c.epollout_armed == want) return;
    epoll_event ev{};
    ev.events = want ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
    ev.data.u64 = c.id();
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd(), &ev) == 0) c.epollout_armed = want;
}

void ReactorLoop::advanceClose(WsConnection& c) {
    if (c.close_deadline_ms == 0) {
        c.close_deadline_ms = now_ms_ + options_.close_timeout_ms;
        schedule(c, c.close_deadline_ms);
    }
    if (!c.closeFrameWritten()) return;
    if (c.close_received) {
        // Both close frames have crossed: the server closes the TCP connection first (section 7.1.1).
        finishWithCause(c);
    } else if (c.decoder.failed() && !c.write_shut) {
        // After a protocol error nothing the peer sends can be read, not even its close: half-close so it sees
        // our close frame then end-of-stream, and wait for its end-of-stream (or the deadline). Closing at once
        // could reset the connection and destroy the close frame before the peer reads it.
        ::shutdown(c.fd(), SHUT_WR);
        c.write_shut = true;
    }
}

void ReactorLoop::schedule(WsConnection& c, std::int64_t due_ms) {
    // One live entry per connection; a later deadline is found when the earlier one fires. Entries whose due
    // time no longer matches the connection's are stale and skipped.
    if (c.timer_due_ms != 0 && c.timer_due_ms <= due_ms) return;
    c.timer_due_ms = due_ms;
    timers_.push(Timer{due_ms, c.id()});
}

void ReactorLoop::runTimers() {
    while (!timers_.empty() && timers_.top().due_ms <= now_ms_) {
        Timer timer = timers_.top();
        timers_.pop();
        auto it = connections_.find(timer.id);
        if (it == connections_.end() || it->second->timer_due_ms != timer.due_ms) continue;
        std::shared_ptr<WsConnection> connection = it->second;
        connection->timer_due_ms = 0;
        onTimer(*connection);
    }
}

void ReactorLoop::onTimer(WsConnection& c) {
    if (c.closing()) {
        if (c.close_deadline_ms != 0 && now_ms_ >= c.close_deadline_ms)
            finishWithCause(c);  // the peer never answered our close (or never read it)
        else if (c.close_deadline_ms != 0)
            schedule(c, c.close_deadline_ms);
        return;
    }
    std::int64_t silence = now_ms_ - c.last_rx_ms;
    if (silence >= options_.idle_timeout_ms) {
        // Silent through a ping and a whole idle period: the peer is gone. Say so in a frame in case it is
        // only slow, but do not wait for an answer.
        c.startClose(close_code::kGoingAway, "idle timeout", true);
        c.writeQueued();
        finish(c, close_code::kAbnormal, "idle timeout");
        return;
    }
    if (silence >= options_.ping_interval_ms && !c.ping_outstanding) {
        c.queueControl(Opcode::ping, {});
        c.ping_outstanding = true;
        flush(c);
        if (c.finished) return;
    }
    std::int64_t next = c.last_rx_ms + options_.idle_timeout_ms;
    if (!c.ping_outstanding) next = std::min<std::int64_t>(next, c.last_rx_ms + options_.ping_interval_ms);
    schedule(c, next);
}

void ReactorLoop::finishWithCause(WsConnection& c) {
    if (c.closing()) {
        auto [code, reason] = c.closeCause();
        finish(c, code, std::move(reason));
    } else {
        finish(c, close_code::kAbnormal, "");
    }
}

void ReactorLoop::finish(WsConnection& c, std::uint16_t code, std::string reason) {
    if (c.finished) return;
    c.finished = true;
    c.markClosed();
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd(), nullptr);
    // Unread bytes at close() would make the kernel send a reset instead of a clean end-of-stream.
    for (int i = 0; i < 4 && ::recv(c.fd(), read_buffer_.data(), read_buffer_.size(), MSG_DONTWAIT) > 0; ++i) {
    }
    ::close(c.fd());
    auto node = connections_.extract(c.id());  // keeps the connection alive through onClose
    open_count_.fetch_sub(1, std::memory_order_relaxed);
    std::shared_ptr<Handler> handler = std::move(c.handler);  // the handler may hold the connection: no cycle
    if (!handler || node.empty()) return;
    try {
        handler->onClose(node.mapped(), code, std::move(reason));
    } catch (...) {
        // onClose has nobody left to report to; the connection is gone either way.
    }
}

void ReactorLoop::closeAll() {
    {
        std::lock_guard lock(mutex_);
        accepting_ = false;
    }
    // Work posted before the stop still counts: connections adopted are opened (then closed like the rest).
    while (drainPosted()) {
    }
    std::vector<std::shared_ptr<WsConnection>> all;
    all.reserve(connections_.size());
    for (auto& [id, connection] : connections_) all.push_back(connection);
    for (auto& connection : all) {
        connection->startClose(close_code::kGoingAway, "server shutting down", false);
        connection->writeQueued();  // best effort: one try, no waiting for the peer
        finishWithCause(*connection);
    }
}

}  // namespace parley::core::realtime

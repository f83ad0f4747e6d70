// The connection's outgoing side: frames queued from any thread under one short lock, written by the owning
// reactor thread, and the close handshake's bookkeeping.
#include "realtime/ws_connection.hpp"

#include "realtime/reactor_loop.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>

namespace parley::core::realtime {

namespace {
constexpr std::size_t kMaxIov = 64;
constexpr std::size_t kKeptFrameSlots = 8;  // a queue that grew past this gives its memory back when drained
}  // namespace

WsConnection::WsConnection(std::uint64_t id, int fd, std::string peer, std::shared_ptr<Handler> handler_in,
                           ReactorLoop& loop, const ReactorOptions& options)
    : decoder(options.max_message_bytes),
      handler(std::move(handler_in)),
      id_(id),
      fd_(fd),
      peer_(std::move(peer)),
      loop_(loop),
      max_queued_bytes_(options.max_queued_bytes) {}

bool WsConnection::send(std::string_view text) {
    std::string frame = encodeFrame(Opcode::text, text);  // encoded before the lock: the lock only links it in
    bool post;
    bool queued;
    {
        std::lock_guard lock(mutex_);
        if (state_.load(std::memory_order_relaxed) != State::open) return false;
        queued = queued_bytes_ + frame.size() <= max_queued_bytes_;
        if (queued)
            pushLocked(std::move(frame));
        else  // the peer reads slower than we write: cut it off rather than buffer without end or wait for it
            startCloseLocked(close_code::kPolicyViolation, "slow consumer", true, false);
        post = !flush_posted_;
        flush_posted_ = true;
    }
    requestFlush(post);
    return queued;
}

void WsConnection::close(std::uint16_t code, std::string_view reason) {
    bool post;
    {
        std::lock_guard lock(mutex_);
        if (state_.load(std::memory_order_relaxed) != State::open) return;
        startCloseLocked(code, reason, false, false);
        post = !flush_posted_;
        flush_posted_ = true;
    }
    requestFlush(post);
}

void WsConnection::requestFlush(bool needed) {
    if (needed) loop_.post(shared_from_this());
}

void WsConnection::clearFlushPosted() {
    std::lock_guard lock(mutex_);
    flush_posted_ = false;
}

void WsConnection::queueControl(Opcode opcode, std::string_view payload) {
    std::lock_guard lock(mutex_);
    if (state_.load(std::memory_order_relaxed) != State::open) return;
    pushLocked(encodeFrame(opcode, payload));
}

void WsConnection::startClose(std::uint16_t code, std::string_view reason, bool drop_queued) {
    std::lock_guard lock(mutex_);
    if (state_.load(std::memory_order_relaxed) != State::open) return;
    startCloseLocked(code, reason, drop_queued, false);
}

void WsConnection::peerClosed(std::uint16_t code, std::string_view reason) {
    std::lock_guard lock(mutex_);
    if (state_.load(std::memory_order_relaxed) != State::open) return;  // the answer to our close
    // The peer is leaving: what it has not received yet is of no use to it, so the echo goes out first.
    startCloseLocked(code, reason, true, code == close_code::kNoStatus);
}

void WsConnection::startCloseLocked(std::uint16_t code, std::string_view reason, bool drop_queued,
                                    bool echo_empty) {
    state_.store(State::closing, std::memory_order_release);
    close_code_ = code;
    close_reason_.assign(truncateUtf8(reason, 123));
    if (drop_queued) dropQueuedLocked();
    pushLocked(echo_empty ? encodeFrame(Opcode::close, {}) : encodeClose(code, close_reason_));
    close_queued_ = true;
}

void WsConnection::dropQueuedLocked() {
    // A frame already half on the wire must be finished, or the peer would read garbage.
    std::size_t keep = out_head_ + (out_offset_ > 0 ? 1 : 0);
    for (std::size_t i = keep; i < out_.size(); ++i) queued_bytes_ -= out_[i].size();
    out_.resize(keep);
}

void WsConnection::pushLocked(std::string frame) {
    queued_bytes_ += frame.size();
    out_.push_back(std::move(frame));
}

WsConnection::WriteResult WsConnection::writeQueued() {
    std::lock_guard lock(mutex_);
    if (state_.load(std::memory_order_relaxed) == State::closed) return WriteResult::broken;
    while (out_head_ < out_.size()) {
        iovec iov[kMaxIov];
        std::size_t count = 0;
        for (std::size_t i = out_head_; i < out_.size() && count < kMaxIov; ++i, ++count) {
            std::size_t skip = i == out_head_ ? out_offset_ : 0;
            iov[count].iov_base = out_[i].data() + skip;
            iov[count].iov_len = out_[i].size() - skip;
        }
        msghdr msg{};
        msg.msg_iov = iov;
        msg.msg_iovlen = count;
        ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (out_head_ > kKeptFrameSlots && out_head_ * 2 > out_.size()) {
                    // A consumer that keeps up slowly never drains the queue: drop the written slots anyway.
                    out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(out_head_));
                    out_head_ = 0;
                }
                return WriteResult::blocked;
            }
            return WriteResult::broken;
        }
        auto written = static_cast<std::size_t>(n);
        queued_bytes_ -= written;
        while (written > 0) {
            std::size_t left = out_[out_head_].size() - out_offset_;
            if (written < left) {
                out_offset_ += written;
                break;
            }
            written -= left;
            std::string().swap(out_[out_head_]);  // the memory goes back now, not when the queue empties
            ++out_head_;
            out_offset_ = 0;
        }
    }
    // Drained: after a burst the slots go too, so an idle connection holds no queue memory.
    if (out_.capacity() > kKeptFrameSlots)
        std::vector<std::string>().swap(out_);
    else
        out_.clear();
    out_head_ = 0;
    out_offset_ = 0;
    return WriteResult::drained;
}

bool WsConnection::closeFrameWritten() {
    std::lock_guard lock(mutex_);
    return close_queued_ && out_head_ == out_.size();
}

std::pair<std::uint16_t, std::string> WsConnection::closeCause() {
    std::lock_guard lock(mutex_);
    return {close_code_, close_reason_};
}

void WsConnection::markClosed() {
    std::lock_guard lock(mutex_);
    state_.store(State::closed, std::memory_order_release);
    std::vector<std::string>().swap(out_);
    out_head_ = 0;
    out_offset_ = 0;
    queued_bytes_ = 0;
}

}  // namespace parley::core::realtime

// One adopted WebSocket: its outgoing queue, which any thread may fill, and the state only its reactor thread
// touches (decoder, timers, close handshake progress).
#pragma once

#include "realtime/reactor.hpp"
#include "realtime/ws_frame.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace parley::core::realtime {

class ReactorLoop;

class WsConnection final : public Connection, public std::enable_shared_from_this<WsConnection> {
public:
    WsConnection(std::uint64_t id, int fd, std::string peer, std::shared_ptr<Handler> handler, ReactorLoop& loop,
                 const ReactorOptions& options);

    std::uint64_t id() const override { return id_; }
    bool send(std::string_view text) override;
    void close(std::uint16_t code, std::string_view reason) override;
    bool open() const override { return state_.load(std::memory_order_acquire) == State::open; }
    std::string peerAddress() const override { return peer_; }

    // ---- for the reactor thread that owns the connection ----

    enum class WriteResult { drained, blocked, broken };
    // Writes as much of the queue as the socket takes without blocking.
    WriteResult writeQueued();
    // Queues a pong (or ping) unless the connection is closing: control frames skip the slow-consumer limit.
    void queueControl(Opcode opcode, std::string_view payload);
    // Starts the close handshake from our side (error, timeout, stop) unless it has started; `drop_queued`
    // discards unsent messages (all but a frame already half-written) so the close frame goes out now.
    void startClose(std::uint16_t code, std::string_view reason, bool drop_queued);
    // The peer's close frame: answers it (echoing its code) unless we had sent ours first.
    void peerClosed(std::uint16_t code, std::string_view reason);
    bool closing() const { return state_.load(std::memory_order_acquire) == State::closing; }
    // True once our close frame has left entirely (it is always the last frame queued).
    bool closeFrameWritten();
    // The code and reason the close handshake started with (ours, or the peer's when it started).
    std::pair<std::uint16_t, std::string> closeCause();
    // Marks the connection finished: nothing more is queued or sent; frees the queue.
    void markClosed();
    void clearFlushPosted();
    int fd() const { return fd_; }

    // Reactor-thread state, read and written by the owning ReactorLoop only.
    WsDecoder decoder;
    std::shared_ptr<Handler> handler;
    std::int64_t last_rx_ms = 0;        // when the peer last sent anything
    std::int64_t timer_due_ms = 0;      // the live timer entry (0: none)
    std::int64_t close_deadline_ms = 0; // when a close handshake in progress gives up (0: none)
    bool ping_outstanding = false;      // a ping went out and nothing came back yet
    bool close_received = false;        // the peer's close frame arrived
    bool write_shut = false;            // shutdown(SHUT_WR) done after a protocol error
    bool epollout_armed = false;
    bool finished = false;              // onClose was called

private:
    enum class State : std::uint8_t { open, closing, closed };

    void startCloseLocked(std::uint16_t code, std::string_view reason, bool drop_queued, bool echo_empty);
    void dropQueuedLocked();
    void pushLocked(std::string frame);
    // Asks the owning loop to flush (once until it does).
    void requestFlush(bool needed);

    const std::uint64_t id_;
    const int fd_;
    const std::string peer_;
    ReactorLoop& loop_;
    const std::size_t max_queued_bytes_;

    std::mutex mutex_;                   // guards everything below
    std::atomic<State> state_{State::open};
    std::vector<std::string> out_;       // encoded frames, oldest first, from out_head_
    std::size_t out_head_ = 0;
    std::size_t out_offset_ = 0;         // bytes of out_[out_head_] already written
    std::size_t queued_bytes_ = 0;       // unsent bytes in out_
    bool close_queued_ = false;
    bool flush_posted_ = false;
    std::uint16_t close_code_ = 0;
    std::string close_reason_;
};

}  // namespace parley::core::realtime

// A per-number send pace that holds across nodes: the number's next free slot lives in the database
// (whatsapp_send_pace), and a sender claims a small batch of slots with one UPDATE, then sends one message in
// each. Slots are wall-clock times: the nodes' clocks must agree (NTP), as they must for the outbox already.
#pragma once

#include "db.hpp"

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <string>

namespace parley::whatsapp {

class SharedPace {
public:
    // `per_second` sends per number; a claim takes at most `max_batch_seconds` worth of slots.
    SharedPace(Db db, double per_second, double max_batch_seconds = 0.25);

    // Waits for the next slot of `number` this node holds, claiming a batch of up to `upcoming` slots (the sends
    // this node has due for the number) when it holds none. Returns when the slot has come. Slots left unused
    // (more than half an interval in the past) are dropped, not used late, so a stalled node never bursts.
    void wait(const std::string& number, size_t upcoming = 1);

    long long intervalMicros() const { return interval_us_; }

private:
    long long claim(const std::string& number, size_t n);  // returns the first claimed slot
    Db db_;
    long long interval_us_;
    size_t max_batch_;
    std::mutex mutex_;
    std::map<std::string, std::deque<long long>> slots_;  // claimed, not yet used, in order
    std::map<std::string, bool> row_made_;
};

// Microseconds since the epoch (wall clock: comparable across nodes).
long long nowMicros();

}  // namespace parley::whatsapp

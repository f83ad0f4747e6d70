// A per-number send pace: at most `rate` sends a second, evenly spaced (Meta's throughput limit per number).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

namespace parley::whatsapp {

class SendPace {
public:
    using Clock = std::chrono::steady_clock;
    explicit SendPace(double per_second) : interval_(std::chrono::duration_cast<Clock::duration>(
                                                std::chrono::duration<double>(1.0 / (per_second > 0 ? per_second : 1)))) {}

    // Reserves the next slot for `number` and returns when it may be used (now or later).
    Clock::time_point reserve(const std::string& number, Clock::time_point now = Clock::now()) {
        std::lock_guard lock(mutex_);
        Clock::time_point& next = next_[number];
        Clock::time_point slot = next > now ? next : now;
        next = slot + interval_;
        return slot;
    }
    Clock::duration interval() const { return interval_; }

private:
    Clock::duration interval_;
    std::mutex mutex_;
    std::map<std::string, Clock::time_point> next_;
};

}  // namespace parley::whatsapp

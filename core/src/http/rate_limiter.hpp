// Fixed-window request counters per key (an IP, a tenant), for 429 responses with Retry-After.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

namespace parley::core {

class RateLimiter {
public:
    // Counts one request for `key` against `limit_per_minute` (0 = unlimited). Returns 0 when allowed, or the
    // seconds until the window resets when the limit is exceeded.
    int hit(const std::string& key, int limit_per_minute, long long now_ms);

private:
    struct Window {
        long long start_ms = 0;
        int count = 0;
    };
    std::mutex mutex_;
    std::unordered_map<std::string, Window> windows_;
    long long last_sweep_ms_ = 0;
};

}  // namespace parley::core

// One-minute windows; old windows are swept at most once a minute so memory stays bounded.
#include "http/rate_limiter.hpp"

namespace parley::core {

int RateLimiter::hit(const std::string& key, int limit_per_minute, long long now_ms) {
    if (limit_per_minute <= 0) return 0;
    constexpr long long kWindow = 60'000;
    std::lock_guard lock(mutex_);
    if (now_ms - last_sweep_ms_ > kWindow) {
        for (auto it = windows_.begin(); it != windows_.end();)
            it = now_ms - it->second.start_ms >= kWindow ? windows_.erase(it) : std::next(it);
        last_sweep_ms_ = now_ms;
    }
    Window& w = windows_[key];
    if (now_ms - w.start_ms >= kWindow) {
        w.start_ms = now_ms;
        w.count = 0;
    }
    if (++w.count <= limit_per_minute) return 0;
    return static_cast<int>((w.start_ms + kWindow - now_ms + 999) / 1000);
}

}  // namespace parley::core

// The poll-or-wake loop of the plugin's background workers.
#include "poll_loop.hpp"

#include <chrono>

namespace parley::whatsapp {

void PollLoop::start(int interval_ms, std::function<void()> pass) {
    worker_ = std::thread([this, interval_ms, pass = std::move(pass)] {
        for (;;) {
            {
                std::unique_lock lock(mutex_);
                wake_.wait_for(lock, std::chrono::milliseconds(interval_ms), [this] { return stopping_ || woken_; });
                if (stopping_) return;
                woken_ = false;
            }
            pass();
        }
    });
}

void PollLoop::stop() {
    {
        std::lock_guard lock(mutex_);
        if (!worker_.joinable()) return;
        stopping_ = true;
    }
    wake_.notify_all();
    worker_.join();
}

void PollLoop::wake() {
    std::lock_guard lock(mutex_);
    woken_ = true;
    wake_.notify_all();
}

bool PollLoop::stopping() {
    std::lock_guard lock(mutex_);
    return stopping_;
}

}  // namespace parley::whatsapp

#include "realtime/executor.hpp"

namespace parley::core::realtime {

Executor::Executor(int threads) {
    for (int i = 0; i < threads; ++i)
        threads_.emplace_back([this] {
            std::unique_lock lock(mutex_);
            for (;;) {
                wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
                if (tasks_.empty()) return;  // stopping and drained
                Task task = std::move(tasks_.front());
                tasks_.pop_front();
                lock.unlock();
                try {
                    task();
                } catch (...) {
                    // A task reports its own errors; one that escapes must not take the worker down.
                }
                lock.lock();
            }
        });
}

Executor::~Executor() { stop(); }

void Executor::post(Task task) {
    {
        std::lock_guard lock(mutex_);
        tasks_.push_back(std::move(task));
    }
    wake_.notify_one();
}

void Executor::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
}

void Executor::Strand::post(Task task) {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
    if (scheduled_) return;
    scheduled_ = true;
    executor_.post([self = shared_from_this()] { self->drain(); });
}

// Runs at most a handful of tasks per turn so one busy strand cannot starve the others.
void Executor::Strand::drain() {
    for (int i = 0; i < 16; ++i) {
        Task task;
        {
            std::lock_guard lock(mutex_);
            if (tasks_.empty()) {
                scheduled_ = false;
                return;
            }
            task = std::move(tasks_.front());
            tasks_.pop_front();
        }
        try {
            task();
        } catch (...) {
        }
    }
    std::lock_guard lock(mutex_);
    if (tasks_.empty()) {
        scheduled_ = false;
        return;
    }
    executor_.post([self = shared_from_this()] { self->drain(); });
}

}  // namespace parley::core::realtime

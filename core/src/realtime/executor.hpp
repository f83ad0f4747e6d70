// A few worker threads for realtime work that blocks (database reads and writes), with strands: tasks posted to
// one strand run one at a time, in order, so one socket's frames are handled in the order they came.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace parley::core::realtime {

class Executor {
public:
    using Task = std::function<void()>;

    // Tasks run in order, never two at once. Cheap to create: one per connection. Always held by shared_ptr
    // (a scheduled drain keeps it alive).
    class Strand : public std::enable_shared_from_this<Strand> {
    public:
        explicit Strand(Executor& executor) : executor_(executor) {}
        void post(Task task);

    private:
        void drain();
        Executor& executor_;
        std::mutex mutex_;
        std::deque<Task> tasks_;
        bool scheduled_ = false;
        friend class Executor;
    };

    explicit Executor(int threads);
    ~Executor();  // stop()
    void post(Task task);
    // Runs what is queued, then joins the threads.
    void stop();

private:
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Task> tasks_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace parley::core::realtime

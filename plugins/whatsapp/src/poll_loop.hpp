// A background thread that runs a pass every poll interval, at once when woken, until stopped: the shape the
// sender and the media fetcher share.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace parley::whatsapp {

class PollLoop {
public:
    ~PollLoop() { stop(); }

    // Runs `pass` after each wait of `interval_ms` (or a wake()). A pass checks stopping() between items.
    void start(int interval_ms, std::function<void()> pass);
    // Lets the current pass notice, then joins. Safe to call twice, or without start.
    void stop();
    void wake();
    bool stopping();

private:
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false, woken_ = false;
    std::thread worker_;
};

}  // namespace parley::whatsapp

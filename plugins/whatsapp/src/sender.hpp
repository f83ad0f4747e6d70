// Sending: a durable queue (whatsapp_sends) drained by one thread per node through the Graph API, at each
// number's pace (shared by every node through the database), with back-off on rate limits and 5xx, no retry on permanent errors, and error 190 holding the
// number's sends (and stopping its broadcasts) until the token is replaced.
#pragma once

#include "poll_loop.hpp"
#include "ingest.hpp"
#include "numbers.hpp"
#include "progress.hpp"
#include "shared_pace.hpp"
#include "settings.hpp"

#include <atomic>

namespace parley::whatsapp {

class Sender {
public:
    Sender(Db db, Numbers& numbers, Ingest& ingest, const Settings& settings, ProgressNotices& progress)
        : db_(db), numbers_(numbers), ingest_(ingest), settings_(settings), progress_(progress),
          pace_(db, settings.send_rate_per_second) {}
    ~Sender() { stop(); }

    // The outbound subscription's callback (inside the host's transaction): queues agent and bot messages of
    // WhatsApp conversations. Idempotent: an event delivered twice queues once.
    void onMessageCreated(const std::string& event_json);

    void start();
    void stop();
    void wake();
    // Live broadcast progress (the routes push after stop and resume).
    ProgressNotices& progress() { return progress_; }

private:
    void pass();  // one round of due work, on the loop's thread
    void recoverInterrupted();
    // false when another node took it; `upcoming` is how many sends this pass has due for the same number
    // (the pace claims that many slots at once).
    bool sendOne(const std::string& id, size_t upcoming = 1);
    void finish(const Object::Ptr& send, const std::string& status, const std::string& error_json, const std::string& wamid);
    std::string buildBody(const Object::Ptr& send, const Number& number, std::string& why_not);

    Db db_;
    Numbers& numbers_;
    Ingest& ingest_;
    const Settings& settings_;
    ProgressNotices& progress_;
    SharedPace pace_;
    PollLoop loop_;
};

}  // namespace parley::whatsapp

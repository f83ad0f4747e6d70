// Live broadcast progress for the panel: after sends and statuses, the broadcast's counts are pushed to the
// tenant's signed-in users over the realtime socket (publish_realtime, ABI 1.3) as a "broadcast.progress"
// plugin_event, at most every `min_interval_ms` per broadcast, and always for the last change (flush).
#pragma once

#include "db.hpp"

#include <map>
#include <mutex>
#include <string>

namespace parley::whatsapp {

// The broadcast's row with its per-status counts: {"id", "phone_number_id", "name", "status", "stop_reason",
// "template", "created_at", "recipients", "counts": {"queued", "sending", "accepted", ...}}.
Object::Ptr broadcastProgress(const Db& db, const std::string& id);

class ProgressNotices {
public:
    explicit ProgressNotices(Db db, long long min_interval_ms = 500) : db_(db), min_interval_ms_(min_interval_ms) {}

    // Something about broadcast `id` changed: pushed now when the last push is old enough (or `now` is asked:
    // a status change such as completed or stopped), else remembered for flush(). Never throws.
    void changed(const std::string& id, bool now = false);
    // Pushes what changed and was held back. The sender calls it on every pass.
    void flush();

private:
    void push(const std::string& id);
    Db db_;
    long long min_interval_ms_;
    std::mutex mutex_;
    std::map<std::string, long long> pushed_at_;
    std::map<std::string, bool> pending_;
};

}  // namespace parley::whatsapp

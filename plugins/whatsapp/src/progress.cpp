// Broadcast progress: the counts query, and the throttled push to the panel.
#include "progress.hpp"

#include "numbers.hpp"

#include <vector>

namespace parley::whatsapp {

Object::Ptr broadcastProgress(const Db& db, const std::string& id) {
    Object::Ptr b = db.row("SELECT * FROM whatsapp_broadcasts WHERE id = :1", id);
    Object::Ptr out = newObject();
    for (const char* k : {"id", "phone_number_id", "name", "status", "stop_reason"}) out->set(k, col(b, k));
    out->set("template", b ? parseObject(col(b, "template")) : newObject());
    out->set("created_at", num(b, "created_at"));
    Object::Ptr counts = newObject();
    long long total = 0;
    for (const char* s : {"queued", "sending", "accepted", "sent", "delivered", "read", "failed", "interrupted"}) counts->set(s, 0);
    Array::Ptr rows = db.rows("SELECT status, COUNT(*) AS n FROM whatsapp_sends WHERE broadcast_id = :1 GROUP BY status", id);
    for (size_t i = 0; i < rows->size(); ++i) {
        counts->set(col(rows->getObject(i), "status"), num(rows->getObject(i), "n"));
        total += num(rows->getObject(i), "n");
    }
    out->set("recipients", total);
    out->set("counts", counts);
    return out;
}

void ProgressNotices::changed(const std::string& id, bool now) {
    if (id.empty()) return;
    {
        std::lock_guard lock(mutex_);
        long long& last = pushed_at_[id];
        if (!now && nowMs() - last < min_interval_ms_) {
            pending_[id] = true;
            return;
        }
        last = nowMs();
        pending_.erase(id);
    }
    push(id);
}

void ProgressNotices::flush() {
    std::vector<std::string> due;
    {
        std::lock_guard lock(mutex_);
        long long now = nowMs();
        for (auto it = pending_.begin(); it != pending_.end();) {
            if (now - pushed_at_[it->first] >= min_interval_ms_) {
                due.push_back(it->first);
                pushed_at_[it->first] = now;
                it = pending_.erase(it);
            } else {
                ++it;
            }
        }
        if (pushed_at_.size() > 10000) pushed_at_.clear();  // a bound: a broadcast's entry is only a timestamp
    }
    for (const auto& id : due) push(id);
}

void ProgressNotices::push(const std::string& id) {
    try {
        if (!db_.plugin().hostHas(3)) return;  // an older host: the panel polls
        Object::Ptr b = db_.row("SELECT tenant_id FROM whatsapp_broadcasts WHERE id = :1", id);
        if (!b) return;
        Object::Ptr data = newObject();
        data->set("broadcast", broadcastProgress(db_, id));
        db_.plugin().publishRealtime(col(b, "tenant_id"), "broadcast.progress", jsonText(data));
    } catch (const std::exception& e) {
        db_.plugin().warn(std::string("broadcast progress not pushed: ") + e.what());
    }
}

}  // namespace parley::whatsapp

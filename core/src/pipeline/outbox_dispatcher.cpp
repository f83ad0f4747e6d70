// Two steps per pass, in one transaction (one commit, one fsync on SQLite, for both):
//  1. fan-out: undispatched outbox rows (delivered_at IS NULL) become one event_deliveries row per matching
//     subscription, and get delivered_at. One node at a time (an advisory lock on PostgreSQL, the write lock
//     on SQLite), so event_deliveries.id is the order events became visible, i.e. commit order.
//     The classic outbox trap is a reader that remembers "last seq seen": a transaction that took seq 41
//     and commits after seq 42 was read is skipped forever. We keep no cursor: rows are selected by state,
//     so a late committer is simply picked up by the next pass.
//  2. delivery: per local subscription, the head row of each conversation that is due is locked
//     (FOR UPDATE SKIP LOCKED on PostgreSQL) and handed to the subscriber inside the same transaction, each
//     under a savepoint: an acknowledgement deletes the row together with whatever the subscriber wrote; a
//     failure rolls the subscriber back to the savepoint and schedules a retry. A node that dies mid-batch
//     loses its transaction, so its rows are simply delivered again (at least once).
// A pass runs when woken (a commit on this node that wrote an outbox row, or another node's note over the
// realtime bus) or after poll_interval_ms idle, which stays the safety net.
#include "pipeline/outbox_dispatcher.hpp"

#include "http/json.hpp"
#include "store/database.hpp"
#include "store/row.hpp"

#include <parley/plugin.h>
#include <parley/sdk.hpp>

#include <Poco/Logger.h>

#include <atomic>
#include <map>
#include <set>
#include <utility>

namespace parley::core {
namespace {

constexpr long long kFanOutLock = 0x70617273;  // pg advisory lock key for the fan-out step ("pars")

// Numbers the passes of every dispatcher in the process: a subscriber sees in "pass" which transaction it is in.
std::atomic<unsigned long long> g_passes{0};
thread_local unsigned long long t_pass = 0;  // the pass this thread's dispatcher transaction belongs to

std::string conversationOf(const JsonObject& o) {
    if (!o) return "";
    if (o->has("conversation_id") && o->get("conversation_id").isString())
        return o->getValue<std::string>("conversation_id");
    return "";
}

// The conversation as it stands now (widget, channel, visitor, context with UTM and page, attributes), so a
// subscriber has what a CRM needs without reading core tables; "" when there is none.
std::string conversationSnapshot(soci::session& sql, const std::string& id) {
    if (!isUuid(id)) return "";
    soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT id, tenant_id, widget_id, channel, status, visitor_id, session_id, visitor_info, context, "
                        "attributes, created_at, closed_at FROM conversations WHERE id = :id",
         soci::use(id));
    for (const auto& r : rows) {
        JsonObject c = jsonObject();
        c->set("id", rowText(r, 0));
        c->set("tenant_id", rowText(r, 1));
        c->set("widget_id", rowText(r, 2));
        c->set("channel", rowText(r, 3));
        c->set("status", rowText(r, 4));
        c->set("visitor_id", rowText(r, 5));
        c->set("session_id", rowText(r, 6));
        c->set("visitor", storedObject(rowText(r, 7)));
        c->set("context", storedObject(rowText(r, 8)));
        c->set("attributes", storedObject(rowText(r, 9)));
        c->set("created_at", static_cast<Poco::Int64>(rowInt(r, 10)));
        if (rowIsNull(r, 11)) c->set("closed_at", Poco::Dynamic::Var());
        else c->set("closed_at", static_cast<Poco::Int64>(rowInt(r, 11)));
        return toJson(c);
    }
    return "";
}

}  // namespace

long long outboxRetryDelayMs(const OutboxOptions& options, int attempts) {
    long long delay = options.retry_base_ms;
    for (int i = 1; i < attempts && delay < options.retry_max_ms; ++i) delay *= 2;
    return std::min(delay, options.retry_max_ms);
}

std::string eventConversationId(const std::string& payload_json) {
    JsonObject payload;
    try {
        payload = storedObject(payload_json);
    } catch (const std::exception&) {
        return "";
    }
    if (!payload) return "";
    if (auto id = conversationOf(payload); !id.empty()) return id;
    if (auto c = payload->getObject("conversation"); c && c->has("id") && c->get("id").isString())
        return c->getValue<std::string>("id");
    for (const auto& name : payload->getNames()) {
        if (payload->get(name).type() != typeid(JsonObject)) continue;
        if (auto id = conversationOf(payload->getObject(name)); !id.empty()) return id;
    }
    return "";
}

OutboxDispatcher::OutboxDispatcher(Database& db, OutboxOptions options, Poco::Logger& log)
    : db_(db), options_(options), log_(log) {}

OutboxDispatcher::~OutboxDispatcher() { stop(); }

void OutboxDispatcher::add(OutboxSubscriber subscriber) {
    long long now = nowMs();
    db_.write([&](soci::session& sql) {
        sql << "INSERT INTO event_subscriptions (name, owner, events, created_at, updated_at) "
               "VALUES (:n, :o, :e, :c, :u) ON CONFLICT (name) DO UPDATE SET events = excluded.events, "
               "owner = excluded.owner, updated_at = excluded.updated_at",
            soci::use(subscriber.name), soci::use(subscriber.owner), soci::use(subscriber.events), soci::use(now),
            soci::use(now);
    });
    std::lock_guard lock(mutex_);
    subscribers_.push_back(std::move(subscriber));
}

int OutboxDispatcher::fanOut(soci::session& sql, long long now_ms) {
    bool pg = db_.isPostgres();
    {
        if (pg) {
            int got = 0;
            sql << "SELECT CASE WHEN pg_try_advisory_xact_lock(" + std::to_string(kFanOutLock) + ") THEN 1 ELSE 0 END",
                soci::into(got);
            if (!got) return -1;  // another node is fanning out right now
        }
        std::vector<std::pair<std::string, std::string>> subscriptions;  // name, patterns
        {
            soci::rowset<soci::row> rows = (sql.prepare << "SELECT name, events FROM event_subscriptions");
            for (const auto& r : rows) subscriptions.emplace_back(rowText(r, 0), rowText(r, 1));
        }
        struct Pending {
            std::string id, name, payload;
        };
        std::vector<Pending> events;
        {
            std::string order = pg ? "seq" : "rowid";
            soci::rowset<soci::row> rows =
                (sql.prepare << "SELECT id, name, payload FROM outbox_events WHERE delivered_at IS NULL ORDER BY " +
                                    order + " LIMIT " + std::to_string(options_.batch_size));
            for (const auto& r : rows) events.push_back({rowText(r, 0), rowText(r, 1), rowText(r, 2)});
        }
        for (const auto& e : events) {
            std::string key;
            for (const auto& [name, patterns] : subscriptions) {
                if (!parley::eventMatches(patterns, e.name)) continue;
                if (key.empty()) {
                    key = eventConversationId(e.payload);
                    if (key.empty()) key = "event:" + e.id;  // concerns no conversation: no order to keep
                }
                sql << "INSERT INTO event_deliveries (subscription, event_id, ordering_key, attempts, next_attempt_at, "
                       "created_at) VALUES (:s, :e, :k, 0, :n, :c)",
                    soci::use(name), soci::use(e.id), soci::use(key), soci::use(now_ms), soci::use(now_ms);
            }
        }
        // One statement stamps the batch (ids are our UUIDs; anything else is stamped on its own, bound).
        std::string in;
        for (const auto& e : events) {
            if (isUuid(e.id)) in += (in.empty() ? "'" : ",'") + e.id + "'";
            else sql << "UPDATE outbox_events SET delivered_at = :t WHERE id = :id", soci::use(now_ms), soci::use(e.id);
        }
        if (!in.empty()) sql << "UPDATE outbox_events SET delivered_at = :t WHERE id IN (" + in + ")", soci::use(now_ms);
        return static_cast<int>(events.size());
    }
}

int OutboxDispatcher::deliverDue(soci::session& sql, const OutboxSubscriber& s, long long now_ms) {
    bool pg = db_.isPostgres();
    int acknowledged = 0;
    {
        struct Row {
            long long id;
            int attempts;
            std::string event_id, key, name, tenant, payload;
            long long created_at;
        };
        std::vector<Row> batch;
        {
            // Rows stuck behind an earlier event that waits for its retry are left out, so a failing conversation
            // never fills the batch; the head check below keeps the order for the rest.
            std::string query =
                "SELECT d.id, d.attempts, d.event_id, d.ordering_key, e.name, e.tenant_id, e.payload, e.created_at "
                "FROM event_deliveries d JOIN outbox_events e ON e.id = d.event_id "
                "WHERE d.subscription = :s AND d.next_attempt_at <= :t AND NOT EXISTS (SELECT 1 FROM event_deliveries p "
                "WHERE p.subscription = d.subscription AND p.ordering_key = d.ordering_key AND p.id < d.id "
                "AND p.next_attempt_at > :t2) ORDER BY d.id LIMIT " + std::to_string(options_.batch_size) +
                (pg ? " FOR UPDATE OF d SKIP LOCKED" : "");
            soci::rowset<soci::row> rows = (sql.prepare << query, soci::use(s.name), soci::use(now_ms), soci::use(now_ms));
            for (const auto& r : rows)
                batch.push_back({rowInt(r, 0), static_cast<int>(rowInt(r, 1)), rowText(r, 2), rowText(r, 3),
                                 rowText(r, 4), rowText(r, 5), rowText(r, 6), rowInt(r, 7)});
        }
        std::map<std::string, std::string> conversations;  // id -> snapshot, once per batch
        std::map<std::string, long long> acked_by_key;     // acknowledged in this batch, deleted at its end
        std::set<std::string> held;                         // keys with a failure in this batch
        std::vector<long long> acked;
        for (const auto& r : batch) {
            if (r.key.rfind("event:", 0) != 0) {
                // Only the head of its conversation goes: an earlier event still here (failed in this batch, or
                // locked by another node) holds this one back, which keeps commit order. On SQLite (one writer,
                // no other node's locks) every earlier due row is in this batch, so the batch itself tells.
                if (held.count(r.key)) continue;
                if (pg) {
                    long long earlier = 0;
                    sql << "SELECT COUNT(*) FROM event_deliveries WHERE subscription = :s AND ordering_key = :k AND id < :id",
                        soci::use(s.name), soci::use(r.key), soci::use(r.id), soci::into(earlier);
                    if (earlier - acked_by_key[r.key] > 0) {
                        held.insert(r.key);
                        continue;
                    }
                }
            }
            std::string snapshot;
            if (r.key.rfind("event:", 0) != 0) {
                auto it = conversations.find(r.key);
                if (it == conversations.end()) it = conversations.emplace(r.key, conversationSnapshot(sql, r.key)).first;
                snapshot = it->second;
            }
            std::string envelope = "{\"id\":\"" + r.event_id + "\",\"name\":" + parley::Response::quote(r.name) +
                       ",\"tenant_id\":" + (r.tenant.empty() ? "null" : "\"" + r.tenant + "\"") +
                       (r.key.rfind("event:", 0) == 0 ? "" : ",\"conversation_id\":" + parley::Response::quote(r.key)) +
                       ",\"created_at\":" + std::to_string(r.created_at) + ",\"attempt\":" +
                       std::to_string(r.attempts + 1) + ",\"pass\":" + std::to_string(t_pass) + ",\"payload\":" + r.payload +
                                   (snapshot.empty() ? "" : ",\"conversation\":" + snapshot) + "}";
            sql << "SAVEPOINT parley_event";
            int rc = PARLEY_ERR_INTERNAL;
            std::string error;
            try {
                rc = s.deliver(sql, envelope, error);
            } catch (const std::exception& e) {
                error = e.what();
            }
            if (rc == PARLEY_OK) {
                sql << "RELEASE SAVEPOINT parley_event";
                acked.push_back(r.id);
                acked_by_key[r.key]++;
                acknowledged++;
                continue;
            }
            sql << "ROLLBACK TO SAVEPOINT parley_event";
            sql << "RELEASE SAVEPOINT parley_event";
            held.insert(r.key);
            int attempts = r.attempts + 1;
            long long next = now_ms + outboxRetryDelayMs(options_, attempts);
            if (error.empty()) error = "status " + std::to_string(rc);
            error = error.substr(0, 1000);
            sql << "UPDATE event_deliveries SET attempts = :a, next_attempt_at = :n, last_error = :e WHERE id = :id",
                soci::use(attempts), soci::use(next), soci::use(error), soci::use(r.id);
            log_.warning("subscription " + s.name + " failed on " + r.name + " " + r.event_id + " (attempt " +
                         std::to_string(attempts) + ", retry in " + std::to_string(next - now_ms) + " ms): " + error);
        }
        // The acknowledged rows go in one statement (ids are integers).
        std::string in;
        for (long long id : acked) in += (in.empty() ? "" : ",") + std::to_string(id);
        if (!in.empty()) sql << "DELETE FROM event_deliveries WHERE id IN (" + in + ")";
    }
    return acknowledged;
}

int OutboxDispatcher::runOnce(long long now_ms) {
    std::vector<OutboxSubscriber> subscribers;
    {
        std::lock_guard lock(mutex_);
        subscribers = subscribers_;
    }
    // Reads first: an idle pass costs no write transaction (and no fsync).
    bool undispatched = false;
    std::vector<const OutboxSubscriber*> due;
    db_.read([&](soci::session& sql) {
        long long n = 0;
        sql << "SELECT COUNT(*) FROM (SELECT 1 FROM outbox_events WHERE delivered_at IS NULL LIMIT 1) AS w", soci::into(n);
        undispatched = n > 0;
        for (const auto& s : subscribers) {
            sql << "SELECT COUNT(*) FROM (SELECT 1 FROM event_deliveries WHERE subscription = :s AND next_attempt_at <= :t "
                   "LIMIT 1) AS d",
                soci::use(s.name), soci::use(now_ms), soci::into(n);
            if (n > 0 || undispatched) due.push_back(&s);
        }
    });
    if (!undispatched && due.empty()) return 0;
    fan_out_busy_ = false;
    std::vector<std::pair<const OutboxSubscriber*, int>> acknowledged;
    t_pass = ++g_passes;
    int done = db_.write([&](soci::session& sql) {
        acknowledged.clear();  // a retried body starts afresh
        int moved = undispatched ? fanOut(sql, now_ms) : 0;
        if (moved < 0) {
            fan_out_busy_ = true;
            moved = 0;
        }
        int total = moved;
        for (const auto* s : due) {
            // A subscriber whose delivery throws loses only its own part of the pass, not the fan-out.
            sql << "SAVEPOINT parley_subscription";
            try {
                int n = deliverDue(sql, *s, now_ms);
                sql << "RELEASE SAVEPOINT parley_subscription";
                if (n > 0) acknowledged.emplace_back(s, n);
                total += n;
            } catch (const std::exception& e) {
                sql << "ROLLBACK TO SAVEPOINT parley_subscription";
                sql << "RELEASE SAVEPOINT parley_subscription";
                log_.error("outbox: delivering to " + s->name + " failed: " + e.what());
            }
        }
        return total;
    });
    for (const auto& [s, n] : acknowledged) {
        if (!s->committed) continue;
        try {
            s->committed();
        } catch (const std::exception& e) {
            log_.warning("subscription " + s->name + ": committed callback threw: " + e.what());
        }
    }
    return done;
}

void OutboxDispatcher::wake(bool local) {
    {
        std::lock_guard lock(mutex_);
        woken_ = true;
        if (local) announce_ = true;
    }
    wake_.notify_all();
}

void OutboxDispatcher::onLocalCommits(std::function<void()> announce) {
    std::lock_guard lock(mutex_);
    announcer_ = std::move(announce);
}

void OutboxDispatcher::start() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = false;
    }
    thread_ = std::thread([this] {
        Database::BackgroundWriter background;  // one pass settles many events: it need not queue behind requests
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            woken_ = false;
            bool announce = std::exchange(announce_, false);
            auto announcer = announcer_;
            lock.unlock();
            // Other nodes look too: one of them may hold the fan-out lock, or serve a subscription we do not.
            if (announce && announcer) {
                try {
                    announcer();
                } catch (const std::exception& e) {
                    log_.warning(std::string("outbox: announcing to other nodes failed: ") + e.what());
                }
            }
            int done = 0;
            try {
                done = runOnce(nowMs());
            } catch (const std::exception& e) {
                log_.error(std::string("outbox: ") + e.what());
            }
            lock.lock();
            // A full batch means more is waiting: go again at once. Another node holding the fan-out lock
            // means ours may be left: look again soon rather than after a whole poll interval.
            if (done >= options_.batch_size) continue;
            int wait_ms = fan_out_busy_ ? std::min(options_.poll_interval_ms, 5) : options_.poll_interval_ms;
            bool woken = wake_.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] { return stopping_ || woken_; });
            // Woken by a commit: let the commits right behind it land too, so under load a pass takes many
            // events in one transaction instead of one each (each pass is a write, an fsync on SQLite).
            if (woken && !stopping_ && options_.wake_delay_ms > 0)
                wake_.wait_for(lock, std::chrono::milliseconds(options_.wake_delay_ms), [this] { return stopping_; });
        }
    });
}

void OutboxDispatcher::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

long long OutboxDispatcher::pending() {
    return db_.read([&](soci::session& sql) {
        long long undispatched = 0, undelivered = 0;
        sql << "SELECT COUNT(*) FROM outbox_events WHERE delivered_at IS NULL", soci::into(undispatched);
        sql << "SELECT COUNT(*) FROM event_deliveries", soci::into(undelivered);
        return undispatched + undelivered;
    });
}

}  // namespace parley::core

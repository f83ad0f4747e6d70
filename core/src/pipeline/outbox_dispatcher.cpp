// Two steps per pass, in one transaction (one commit, one fsync on SQLite, for both):
//  1. fan-out: undispatched events are taken off their queue (outbox_pending, written with each event) and
//     matched against every subscription (names and payload conditions). One node at a time (an advisory lock
//     on PostgreSQL, the write lock on SQLite), so the fan-out order is the order events became visible, i.e.
//     commit order.
//     A subscription this node serves gets its fresh events right there (the direct road, no rows), unless
//     their conversation has rows queued for it; the rest become event_deliveries rows (multi-row inserts),
//     whose ids keep that order, as does a direct event that fails (and its conversation's later ones).
//     The classic outbox trap is a reader that remembers "last seq seen": a transaction that took seq 41
//     and commits after seq 42 was read is skipped forever. We keep no cursor: rows are selected by state,
//     so a late committer is simply picked up by the next pass.
//  2. delivery: per local subscription, the due rows are locked (FOR UPDATE SKIP LOCKED on PostgreSQL); the
//     heads of their conversations (checked for the whole batch in one query), with the conversations' snapshots
//     (one query), go to the subscriber under one savepoint: in one call for a batch subscription (ABI 1.4), one
//     call each for the others. An acknowledgement deletes the rows together with whatever the subscriber wrote.
//     When the batch fails, it is rolled back to the savepoint and offered again one event per savepoint, so
//     only the events that fail alone are rescheduled (a savepoint per event only then: PostgreSQL keeps 64
//     subtransactions per backend in shared memory and slows every snapshot past that). A node that dies
//     mid-batch loses its transaction, so its rows are simply delivered again (at least once).
// A pass runs when woken (a commit on this node that wrote an outbox row, or another node's note over the
// realtime bus) or after poll_interval_ms idle, which stays the safety net.
#include "pipeline/outbox_dispatcher.hpp"

#include "pipeline/outbox_envelopes.hpp"

#include "http/json.hpp"
#include "store/database.hpp"
#include "store/row.hpp"

#include <parley/plugin.h>
#include <parley/sdk.hpp>

#include <Poco/Logger.h>

#include <algorithm>
#include <atomic>
#include <cctype>
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

// True when `text` can be written into a statement as a '...' literal: ids, keys and subscription names the
// core makes ([A-Za-z0-9_:.-]); anything else is bound instead.
bool plainLiteral(const std::string& text) {
    if (text.empty() || text.size() > 200) return false;
    for (char c : text)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != ':' && c != '.' && c != '-') return false;
    return true;
}

constexpr std::size_t kRowsPerInsert = 500;  // event_deliveries rows per multi-row INSERT

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
        // Conditions go in filtered_events; events keeps what an older node can match (migration 0015).
        std::string names = parley::eventPatternsWithoutConditions(subscriber.events);
        std::string filtered = names == subscriber.events ? "" : subscriber.events;
        soci::indicator unfiltered = filtered.empty() ? soci::i_null : soci::i_ok;
        sql << "INSERT INTO event_subscriptions (name, owner, events, filtered_events, created_at, updated_at) "
               "VALUES (:n, :o, :e, :f, :c, :u) ON CONFLICT (name) DO UPDATE SET events = excluded.events, "
               "filtered_events = excluded.filtered_events, owner = excluded.owner, updated_at = excluded.updated_at",
            soci::use(subscriber.name), soci::use(subscriber.owner), soci::use(names), soci::use(filtered, unfiltered),
            soci::use(now), soci::use(now);
    });
    std::lock_guard lock(mutex_);
    subscribers_.push_back(std::move(subscriber));
}

int OutboxDispatcher::fanOut(soci::session& sql, long long now_ms, const std::vector<OutboxSubscriber>& served,
                             std::map<std::string, std::vector<DueDelivery>>& direct) {
    bool pg = db_.isPostgres();
    if (pg) {
        int got = 0;
        sql << "SELECT CASE WHEN pg_try_advisory_xact_lock(" + std::to_string(kFanOutLock) + ") THEN 1 ELSE 0 END",
            soci::into(got);
        if (!got) return -1;  // another node is fanning out right now
    }
    std::vector<std::pair<std::string, std::string>> subscriptions;  // name, patterns (with their conditions)
    queryEach(sql, "SELECT name, COALESCE(filtered_events, events) FROM event_subscriptions",
              [&](const soci::row& r) { subscriptions.emplace_back(rowText(r, 0), rowText(r, 1)); });
    std::vector<DueDelivery> events;  // id 0 (no delivery row), key filled below
    auto take = [&](const soci::row& r) {
        DueDelivery e;
        e.event_id = rowText(r, 0);
        e.name = rowText(r, 1);
        e.payload = rowText(r, 2);
        e.tenant = rowText(r, 3);
        e.created_at = rowInt(r, 4);
        events.push_back(std::move(e));
    };
    // The oldest undispatched events, from the queue (outbox_pending, migration 0016), in seq order.
    long long last_seq = 0;
    if (pg) {
        // Taken off the queue in one statement (the fan-out lock keeps other nodes out until we commit), then
        // put in seq order (RETURNING does not keep it).
        std::vector<std::pair<long long, std::size_t>> order;
        queryEach(sql,
                  // = ANY(ARRAY(...)): primary-key lookups (an IN subquery can be planned as a scan)
                  "WITH p AS (DELETE FROM outbox_pending WHERE seq = ANY(ARRAY(SELECT seq FROM outbox_pending "
                  "ORDER BY seq LIMIT " + std::to_string(options_.batch_size) + ")) RETURNING seq, event_id) "
                  // Each event by its primary key (a LATERAL subquery with LIMIT is not flattened into a join):
                  // a plain join, planned while outbox_events was small and kept in the plan cache, hashed
                  // the whole table at every pass.
                  "SELECT e.id, e.name, e.payload, e.tenant_id, e.created_at, p.seq FROM p CROSS JOIN LATERAL "
                  "(SELECT id, name, payload, tenant_id, created_at FROM outbox_events WHERE id = p.event_id "
                  "LIMIT 1) AS e",
                  [&](const soci::row& r) {
                      order.emplace_back(rowInt(r, 5), events.size());
                      take(r);
                  });
        std::sort(order.begin(), order.end());
        std::vector<DueDelivery> sorted;
        sorted.reserve(events.size());
        for (const auto& [seq, i] : order) sorted.push_back(std::move(events[i]));
        events = std::move(sorted);
    } else {
        queryEach(sql,
                  "SELECT e.id, e.name, e.payload, e.tenant_id, e.created_at, p.seq FROM outbox_pending p "
                  "JOIN outbox_events e ON e.id = p.event_id ORDER BY p.seq LIMIT " +
                      std::to_string(options_.batch_size),
                  [&](const soci::row& r) {
                      last_seq = rowInt(r, 5);
                      take(r);
                  });
    }

    // Each (event, matching subscription), in event order.
    struct Match {
        std::size_t event;
        const std::string* subscription;
    };
    std::vector<Match> matches;
    for (std::size_t i = 0; i < events.size(); ++i) {
        DueDelivery& e = events[i];
        for (const auto& [name, patterns] : subscriptions) {
            if (!parley::eventMatches(patterns, e.name, e.payload)) continue;  // payload conditions too
            if (e.key.empty()) {
                e.key = eventConversationId(e.payload);
                if (e.key.empty()) e.key = "event:" + e.event_id;  // concerns no conversation: no order to keep
            }
            matches.push_back({i, &name});
        }
    }

    // The direct road: a subscription this node serves gets a fresh event in this pass, with no delivery row,
    // unless its conversation already has rows for that subscription (a retry waiting, or rows another node
    // holds): then the event queues behind them as a row, for the order. Only the fan-out (we, under its lock)
    // adds rows, so none can appear for a key between this check and our commit.
    std::set<std::string> served_names;
    for (const auto& s : served) served_names.insert(s.name);
    std::set<std::pair<std::string, std::string>> queued;  // (subscription, key) with rows already
    {
        std::set<std::string> names, keys;
        for (const auto& m : matches) {
            const DueDelivery& e = events[m.event];
            if (!served_names.count(*m.subscription) || !e.ordered()) continue;
            if (!plainLiteral(*m.subscription) || !plainLiteral(e.key)) {
                queued.insert({*m.subscription, e.key});  // not writable as a literal: the row road
                continue;
            }
            names.insert(*m.subscription);
            keys.insert(e.key);
        }
        if (!keys.empty()) {
            std::string name_list, key_list;
            for (const auto& n : names) name_list += (name_list.empty() ? "'" : ",'") + n + "'";
            for (const auto& k : keys) key_list += (key_list.empty() ? "'" : ",'") + k + "'";
            queryEach(sql,
                      "SELECT DISTINCT subscription, ordering_key FROM event_deliveries WHERE subscription IN (" +
                          name_list + ") AND ordering_key IN (" + key_list + ")",
                      [&](const soci::row& r) { queued.insert({rowText(r, 0), rowText(r, 1)}); });
        }
    }

    // The rest as rows, in event order (their ids are the delivery order), by multi-row statements; a value
    // that is not a plain literal (never made by the core) goes in a bound statement of its own, in its place.
    std::string values;
    std::size_t in_values = 0;
    std::string now = std::to_string(now_ms);
    auto flush = [&] {
        if (values.empty()) return;
        sql << "INSERT INTO event_deliveries (subscription, event_id, ordering_key, attempts, next_attempt_at, "
               "created_at) VALUES " + values;
        values.clear();
        in_values = 0;
    };
    for (const auto& m : matches) {
        const DueDelivery& e = events[m.event];
        const std::string& name = *m.subscription;
        if (served_names.count(name) && !queued.count({name, e.key})) {
            direct[name].push_back(e);
            continue;
        }
        if (plainLiteral(name) && plainLiteral(e.event_id) && plainLiteral(e.key)) {
            values += (values.empty() ? "('" : ",('") + name + "','" + e.event_id + "','" + e.key + "',0," + now + "," +
                      now + ")";
            if (++in_values == kRowsPerInsert) flush();
            continue;
        }
        flush();
        sql << "INSERT INTO event_deliveries (subscription, event_id, ordering_key, attempts, next_attempt_at, "
               "created_at) VALUES (:s, :e, :k, 0, :n, :c)",
            soci::use(name), soci::use(e.event_id), soci::use(e.key), soci::use(now_ms), soci::use(now_ms);
    }
    flush();
    // SQLite: off the queue, everything up to the last taken (one writer: nothing was queued meanwhile; a queue
    // entry whose event is gone goes with them).
    if (!pg && !events.empty()) sql << "DELETE FROM outbox_pending WHERE seq <= :s", soci::use(last_seq);
    return static_cast<int>(events.size());
}

void OutboxDispatcher::queueAsRows(soci::session& sql, const std::string& subscription,
                                   const std::vector<DueDelivery>& events, long long now_ms) {
    for (const auto& e : events) {
        std::string error = e.attempts > 0 ? e.error : "";
        soci::indicator no_error = error.empty() ? soci::i_null : soci::i_ok;
        long long next = e.attempts > 0 ? now_ms + outboxRetryDelayMs(options_, e.attempts) : now_ms;
        sql << "INSERT INTO event_deliveries (subscription, event_id, ordering_key, attempts, next_attempt_at, "
               "created_at, last_error) VALUES (:s, :e, :k, :a, :n, :c, :l)",
            soci::use(subscription), soci::use(e.event_id), soci::use(e.key), soci::use(e.attempts), soci::use(next),
            soci::use(now_ms), soci::use(error, no_error);
    }
}

int OutboxDispatcher::deliverDirect(soci::session& sql, const OutboxSubscriber& s, std::vector<DueDelivery>& fresh,
                                    long long now_ms, ConversationSnapshots& snapshots) {
    readConversationSnapshots(sql, fresh, snapshots);
    std::vector<std::string> envelopes;
    std::vector<std::size_t> all;
    envelopes.reserve(fresh.size());
    for (std::size_t i = 0; i < fresh.size(); ++i) {
        envelopes.push_back(eventEnvelope(fresh[i], t_pass, fresh[i].ordered() ? snapshots[fresh[i].key] : ""));
        all.push_back(i);
    }
    std::string error;
    if (fresh.size() > 1) {
        sql << "SAVEPOINT parley_batch";
        if (offer(sql, s, envelopes, all, error) == PARLEY_OK) {
            sql << "RELEASE SAVEPOINT parley_batch";
            return static_cast<int>(fresh.size());
        }
        sql << "ROLLBACK TO SAVEPOINT parley_batch";
        sql << "RELEASE SAVEPOINT parley_batch";
        log_.debug("subscription " + s.name + ": a batch of " + std::to_string(fresh.size()) +
                   " failed, offering its events one by one: " + error);
    }
    // One by one: a failure becomes a row waiting for its retry, and the later events of its conversation
    // rows behind it (in order: their ids follow its id).
    std::set<std::string> held;
    std::vector<DueDelivery> left;
    int acked = 0;
    for (std::size_t i = 0; i < fresh.size(); ++i) {
        DueDelivery& e = fresh[i];
        if (e.ordered() && held.count(e.key)) {
            left.push_back(e);
            continue;
        }
        sql << "SAVEPOINT parley_event";
        error.clear();
        int rc = offer(sql, s, envelopes, {i}, error);
        if (rc == PARLEY_OK) {
            sql << "RELEASE SAVEPOINT parley_event";
            acked++;
            continue;
        }
        sql << "ROLLBACK TO SAVEPOINT parley_event";
        sql << "RELEASE SAVEPOINT parley_event";
        if (e.ordered()) held.insert(e.key);
        e.attempts = 1;
        e.error = (error.empty() ? "status " + std::to_string(rc) : error).substr(0, 1000);
        left.push_back(e);
        log_.warning("subscription " + s.name + " failed on " + e.name + " " + e.event_id + " (attempt 1, retry in " +
                     std::to_string(outboxRetryDelayMs(options_, 1)) + " ms): " + e.error);
    }
    queueAsRows(sql, s.name, left, now_ms);
    return acked;
}

// Offers `rows` (indexes into `batch`) to the subscriber in one go: one call with the array for a batch
// subscription, else one call per event, stopping at the first failure. Returns its status; `error` its reason.
int OutboxDispatcher::offer(soci::session& sql, const OutboxSubscriber& s, const std::vector<std::string>& envelopes,
                            const std::vector<std::size_t>& rows, std::string& error) {
    try {
        if (s.deliver_batch) {
            std::string array = "[";
            for (std::size_t i : rows) array += (array.size() > 1 ? "," : "") + envelopes[i];
            return s.deliver_batch(sql, array + "]", rows.size(), error);
        }
        for (std::size_t i : rows) {
            int rc = s.deliver(sql, envelopes[i], error);
            if (rc != PARLEY_OK) return rc;
        }
        return PARLEY_OK;
    } catch (const std::exception& e) {
        error = e.what();
        return PARLEY_ERR_INTERNAL;
    }
}

int OutboxDispatcher::deliverDue(soci::session& sql, const OutboxSubscriber& s, long long now_ms,
                                 ConversationSnapshots& snapshots) {
    bool pg = db_.isPostgres();
    std::vector<DueDelivery> batch;
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
        queryEach(sql, query, [&](const soci::row& r) {
            DueDelivery d;
            d.id = rowInt(r, 0);
            d.attempts = static_cast<int>(rowInt(r, 1));
            d.event_id = rowText(r, 2);
            d.key = rowText(r, 3);
            d.name = rowText(r, 4);
            d.tenant = rowText(r, 5);
            d.payload = rowText(r, 6);
            d.created_at = rowInt(r, 7);
            batch.push_back(std::move(d));
        }, s.name, now_ms, now_ms);
    }
    if (batch.empty()) return 0;
    if (pg) {
        // Head check for the whole batch in one query: how many rows of each one's conversation come before it.
        // Another node may hold some (locked, so not in our batch); those hold ours back. On SQLite (one writer,
        // no other node's locks) every earlier due row is in this batch, so the batch itself tells.
        std::string in;
        std::map<long long, std::size_t> index;
        for (std::size_t i = 0; i < batch.size(); ++i) {
            if (!batch[i].ordered()) continue;
            in += (in.empty() ? "" : ",") + std::to_string(batch[i].id);
            index[batch[i].id] = i;
        }
        if (!in.empty()) {
            queryEach(sql,
                      "SELECT d.id, (SELECT COUNT(*) FROM event_deliveries p WHERE p.subscription = d.subscription "
                      "AND p.ordering_key = d.ordering_key AND p.id < d.id) FROM event_deliveries d WHERE d.id IN (" + in + ")",
                      [&](const soci::row& r) { batch[index[rowInt(r, 0)]].earlier = rowInt(r, 1); });
        }
    }
    // What goes: per conversation, rows in order for as long as every earlier row of it goes too.
    std::vector<std::size_t> going;
    {
        std::map<std::string, long long> ahead;  // rows of the conversation already going
        std::set<std::string> held;
        for (std::size_t i = 0; i < batch.size(); ++i) {
            const DueDelivery& r = batch[i];
            if (r.ordered()) {
                if (held.count(r.key)) continue;
                if (pg && r.earlier - ahead[r.key] > 0) {
                    held.insert(r.key);
                    continue;
                }
                ahead[r.key]++;
            }
            going.push_back(i);
        }
    }
    if (going.empty()) return 0;
    readConversationSnapshots(sql, batch, snapshots);
    std::vector<std::string> envelopes(batch.size());
    for (std::size_t i : going) envelopes[i] = eventEnvelope(batch[i], t_pass, batch[i].ordered() ? snapshots[batch[i].key] : "");

    std::vector<long long> acked;
    bool one_by_one = going.size() == 1;
    if (!one_by_one) {
        sql << "SAVEPOINT parley_batch";
        std::string error;
        if (offer(sql, s, envelopes, going, error) == PARLEY_OK) {
            sql << "RELEASE SAVEPOINT parley_batch";
            for (std::size_t i : going) acked.push_back(batch[i].id);
        } else {
            sql << "ROLLBACK TO SAVEPOINT parley_batch";
            sql << "RELEASE SAVEPOINT parley_batch";
            log_.debug("subscription " + s.name + ": a batch of " + std::to_string(going.size()) +
                       " failed, offering its events one by one: " + error);
            one_by_one = true;
        }
    }
    if (one_by_one) {
        // One savepoint per event, so a failure takes back only that event's writes and holds back only the
        // later events of its conversation.
        std::map<std::string, long long> acked_by_key;
        std::set<std::string> held;
        for (std::size_t i : going) {
            const DueDelivery& r = batch[i];
            if (r.ordered() && (held.count(r.key) || (pg && r.earlier - acked_by_key[r.key] > 0))) {
                held.insert(r.key);
                continue;
            }
            sql << "SAVEPOINT parley_event";
            std::string error;
            int rc = offer(sql, s, envelopes, {i}, error);
            if (rc == PARLEY_OK) {
                sql << "RELEASE SAVEPOINT parley_event";
                acked.push_back(r.id);
                acked_by_key[r.key]++;
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
    }
    // The acknowledged rows go in one statement (ids are integers).
    std::string in;
    for (long long id : acked) in += (in.empty() ? "" : ",") + std::to_string(id);
    if (!in.empty()) sql << "DELETE FROM event_deliveries WHERE id IN (" + in + ")";
    return static_cast<int>(acked.size());
}

int OutboxDispatcher::runOnce(long long now_ms, bool known_work) {
    std::vector<OutboxSubscriber> subscribers;
    {
        std::lock_guard lock(mutex_);
        subscribers = subscribers_;
    }
    // Reads first: an idle pass costs no write transaction (and no fsync). Woken by a commit of this node, the
    // pass has work (or another node took it: then one empty transaction), and the reads are two round trips
    // of every pass under load.
    bool undispatched = known_work;
    std::vector<const OutboxSubscriber*> due;
    if (known_work)
        for (const auto& s : subscribers) due.push_back(&s);
    else db_.read([&](soci::session& sql) {
        long long n = 0;
        sql << "SELECT COUNT(*) FROM (SELECT 1 FROM outbox_pending LIMIT 1) AS w", soci::into(n);
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
        ConversationSnapshots snapshots;  // read once per pass, shared by the subscriptions
        std::map<std::string, std::vector<DueDelivery>> direct;  // fresh events for this node's subscriptions
        int moved = undispatched ? fanOut(sql, now_ms, subscribers, direct) : 0;
        if (moved < 0) {
            fan_out_busy_ = true;
            moved = 0;
        }
        int total = moved;
        for (const auto& s : subscribers) {
            auto fresh = direct.find(s.name);
            if (fresh == direct.end()) continue;
            // Stamped as dispatched already: if the subscriber's part throws, its events become rows (and if
            // that fails too, the whole pass rolls back and they stay undispatched). Never dropped.
            sql << "SAVEPOINT parley_subscription";
            try {
                int n = deliverDirect(sql, s, fresh->second, now_ms, snapshots);
                sql << "RELEASE SAVEPOINT parley_subscription";
                if (n > 0) acknowledged.emplace_back(&s, n);
                total += n;
            } catch (const std::exception& e) {
                sql << "ROLLBACK TO SAVEPOINT parley_subscription";
                sql << "RELEASE SAVEPOINT parley_subscription";
                log_.error("outbox: delivering to " + s.name + " failed, its events wait as rows: " + e.what());
                for (auto& event : fresh->second) event.attempts = 0;
                queueAsRows(sql, s.name, fresh->second, now_ms);
            }
        }
        for (const auto* s : due) {
            // A subscriber whose delivery throws loses only its own part of the pass, not the fan-out.
            sql << "SAVEPOINT parley_subscription";
            try {
                int n = deliverDue(sql, *s, now_ms, snapshots);
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
                done = runOnce(nowMs(), announce);
            } catch (const std::exception& e) {
                log_.error(std::string("outbox: ") + e.what());
            }
            lock.lock();
            // A full batch means more is waiting: go again at once. Another node holding the fan-out lock
            // means ours may be left: look again soon rather than after a whole poll interval.
            if (done >= options_.batch_size) continue;
            int wait_ms = fan_out_busy_ ? std::min(options_.poll_interval_ms, 5) : options_.poll_interval_ms;
            // Woken by a commit, it lets the commits right behind it land too, so a pass takes many events in one
            // transaction instead of one each. On PostgreSQL, commits that landed during the pass are the next
            // pass's batch already: it starts at once (the delay was a third of a busy pass cycle). On SQLite every
            // pass is a write and an fsync that request writers wait behind: it always waits.
            bool busy = woken_ && db_.isPostgres();
            bool woken = wake_.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] { return stopping_ || woken_; });
            if (woken && !busy && !stopping_ && options_.wake_delay_ms > 0)
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
        sql << "SELECT COUNT(*) FROM outbox_pending", soci::into(undispatched);
        sql << "SELECT COUNT(*) FROM event_deliveries", soci::into(undelivered);
        return undispatched + undelivered;
    });
}

}  // namespace parley::core

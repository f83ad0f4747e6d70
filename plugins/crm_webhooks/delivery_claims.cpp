// Claims under each endpoint's cap: the subscription's batch enqueue (all deliveries of a dispatcher pass in a few
// statements, fresh conversation heads claimed at once) and the bookkeeper's claim of what is due. Statements
// cover a whole batch (IN lists of bound parameters, multi-row VALUES) so the cost per pass, not per delivery,
// is the round trips to the database.
#include "delivery.hpp"

#include <algorithm>
#include <deque>

namespace parley::crm_webhooks {
namespace {

constexpr int kClaimBatch = 256;
constexpr std::size_t kRowsPerInsert = 200;  // 13 parameters each: well under SQLite's and PostgreSQL's limits

// ":<first>, :<first+1>, ..." for `n` parameters.
std::string placeholders(std::size_t first, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += (i ? ", :" : ":") + std::to_string(first + i);
    return out;
}

}  // namespace

std::set<std::string> Deliveries::lockClaims(const std::set<std::string>& endpoints, bool in_subscription) {
    if (!postgres_) return endpoints;  // one writer
    std::set<std::string> locked;
    parley::SqlParams wanted;
    for (const auto& e : endpoints) {
        if (in_subscription && txn_locked_.count(e)) locked.insert(e);  // held until this transaction ends
        else wanted.add(e);
    }
    if (wanted.empty()) return locked;
    // Without waiting: an endpoint another transaction is claiming for is left for a later round.
    for (const auto& r : rows(p_, "SELECT id, CASE WHEN pg_try_advisory_xact_lock(7077, hashtext(id)) THEN 1 ELSE 0 END "
                                  "AS got FROM (SELECT DISTINCT id FROM crm_webhooks_endpoint WHERE id IN (" +
                                      placeholders(1, wanted.size()) + ")) e ORDER BY id",
                              wanted.text())) {
        if (intOf(r, "got") != 1) continue;
        locked.insert(stringOf(r, "id"));
        if (in_subscription) txn_locked_.insert(stringOf(r, "id"));
    }
    return locked;
}

std::map<std::string, long long> Deliveries::inFlight(const std::set<std::string>& endpoints, long long now) {
    std::map<std::string, long long> out;
    if (endpoints.empty()) return out;
    parley::SqlParams values;
    values.add(now);
    for (const auto& e : endpoints) {
        out[e] = 0;
        values.add(e);
    }
    for (const auto& r : rows(p_, "SELECT endpoint_id, COUNT(*) AS n FROM crm_webhooks_delivery WHERE state = 'delivering' "
                                  "AND locked_until >= :1 AND endpoint_id IN (" + placeholders(2, endpoints.size()) +
                                      ") GROUP BY endpoint_id",
                              values.text()))
        out[stringOf(r, "endpoint_id")] = intOf(r, "n");
    return out;
}

std::map<std::string, long long> Deliveries::finishedSends() {
    std::map<std::string, long long> out;
    std::lock_guard lock(mutex_);
    for (const auto& [d, a] : outcomes_)
        if (!a.released) out[stringOf(d, "endpoint_id")]++;
    return out;
}

void Deliveries::enqueueBatch(const std::vector<Json>& events) {
    if (events.empty()) return;
    long long now = nowMs(), lease = now + s_.attempt_timeout_ms + 5000;
    // The host numbers its delivery transactions ("pass"): what was cached for another one is stale.
    long long pass = intOf(events.front(), "pass");
    if (pass == 0 || pass != txn_pass_) {
        forgetTransaction();
        txn_pass_ = pass;
    }
    // Endpoints once per tenant per transaction, in one query for the tenants not yet read.
    parley::SqlParams tenants;
    for (const auto& e : events) {
        std::string t = stringOf(e, "tenant_id");
        if (isUuid(t) && txn_endpoints_.emplace(t, std::vector<Json>()).second) tenants.add(t);
    }
    if (tenants.size()) {
        for (const auto& r : rows(p_, "SELECT id, tenant_id, widget_id, events, format FROM crm_webhooks_endpoint WHERE "
                                      "enabled = 1 AND tenant_id IN (" + placeholders(1, tenants.size()) + ") ORDER BY id",
                                  tenants.text()))
            txn_endpoints_[stringOf(r, "tenant_id")].push_back(r);
    }
    // The rows, in event order (their seq is the order per conversation).
    struct Row {
        std::string id, tenant, endpoint, event_id, name, key;
        const std::string* body;
        bool claim = false;
    };
    std::vector<Row> batch;
    std::deque<std::string> bodies;  // standard and legacy bodies of the events, built once each (stable addresses)
    std::set<std::string> endpoints;
    for (const auto& event : events) {
        std::string tenant = stringOf(event, "tenant_id"), name = stringOf(event, "name"), id = stringOf(event, "id");
        if (!isUuid(tenant) || id.empty()) continue;
        std::string widget = widgetOf(event), key = stringOf(event, "conversation_id", "event:" + id);
        const std::string *standard = nullptr, *legacy = nullptr;
        for (const auto& e : txn_endpoints_[tenant]) {
            std::string only = stringOf(e, "widget_id");
            if (!only.empty() && only != widget) continue;
            if (!parley::eventMatches(stringOf(e, "events"), name)) continue;
            bool is_legacy = stringOf(e, "format") == "legacy";
            const std::string*& body = is_legacy ? legacy : standard;
            if (!body) body = &bodies.emplace_back(is_legacy ? legacyBody(event) : standardBody(event));
            batch.push_back({webhookId(id), tenant, stringOf(e, "id"), id, name, key, body});
            endpoints.insert(batch.back().endpoint);
        }
    }
    if (batch.empty()) return;
    // Which rows are claimed at once: those under their endpoint's cap (its claim lock held) with nothing of their
    // conversation ahead of them for that endpoint, pending or in flight, already stored or earlier in this batch.
    std::set<std::string> locked = lockClaims(endpoints, true);
    std::set<std::string> unknown;
    for (const auto& e : locked)
        if (!txn_in_flight_.count(e)) unknown.insert(e);
    std::map<std::string, long long> finished = finishedSends();
    for (const auto& [e, n] : inFlight(unknown, now)) txn_in_flight_[e] = std::max(0LL, n - finished[e]);
    std::set<std::pair<std::string, std::string>> live;  // (endpoint, conversation) with a row still to deliver
    {
        parley::SqlParams values;
        std::set<std::string> keys;
        for (const auto& r : batch) keys.insert(r.key);
        for (const auto& e : locked) values.add(e);
        for (const auto& k : keys) values.add(k);
        if (!locked.empty())
            for (const auto& r : rows(p_, "SELECT DISTINCT endpoint_id, ordering_key FROM crm_webhooks_delivery WHERE state IN "
                                          "('pending', 'delivering') AND endpoint_id IN (" + placeholders(1, locked.size()) +
                                              ") AND ordering_key IN (" + placeholders(locked.size() + 1, keys.size()) + ")",
                                      values.text()))
                live.emplace(stringOf(r, "endpoint_id"), stringOf(r, "ordering_key"));
    }
    for (auto& r : batch) {
        bool head = live.emplace(r.endpoint, r.key).second;
        // The in-flight count can only be too high (a conflict below stores nothing), never too low: safe for the cap.
        if (head && locked.count(r.endpoint) && txn_in_flight_[r.endpoint] < s_.max_concurrency_per_endpoint) {
            r.claim = true;
            txn_in_flight_[r.endpoint]++;
        }
    }
    // Stored by multi-row statements; an event already stored for an endpoint (a redelivery) is left as it is.
    // Claimed rows are kept for the senders; if this call fails, the host rolls its statements back, and so
    // are the rows it kept.
    std::map<std::pair<std::string, std::string>, std::size_t> claiming;  // (endpoint, webhook id) -> batch index
    for (std::size_t i = 0; i < batch.size(); ++i)
        if (batch[i].claim) claiming.emplace(std::make_pair(batch[i].endpoint, batch[i].id), i);
    struct KeepOnSuccess {
        std::vector<Json>& rows;
        std::size_t size;
        bool dismissed = false;
        void dismiss() { dismissed = true; }
        ~KeepOnSuccess() {
            if (!dismissed) rows.resize(size);
        }
    } kept{txn_claimed_, txn_claimed_.size()};
    for (std::size_t from = 0; from < batch.size(); from += kRowsPerInsert) {
        std::size_t to = std::min(batch.size(), from + kRowsPerInsert);
        std::string values_sql;
        parley::SqlParams values;
        for (std::size_t i = from; i < to; ++i) {
            const Row& r = batch[i];
            values_sql += (i == from ? "(" : ", (") + placeholders(values.size() + 1, 13) + ")";
            values.add(r.id).add(r.tenant).add(r.endpoint).add(r.event_id).add(r.name).add(r.key).add(*r.body);
            values.add(r.claim ? "delivering" : "pending").add(0).add(now).add(r.claim ? lease : 0LL);
            if (r.claim) values.add(token_);
            else values.add(nullptr);
            values.add(now);
        }
        auto inserted = rows(p_,
                             "INSERT INTO crm_webhooks_delivery (id, tenant_id, endpoint_id, event_id, event_name, "
                             "ordering_key, body, state, attempts, next_attempt_at, locked_until, claim_token, created_at) VALUES " +
                                 values_sql + " ON CONFLICT (endpoint_id, event_id) DO NOTHING RETURNING seq, id, endpoint_id, state",
                             values.text());
        for (const auto& r : inserted) {
            if (stringOf(r, "state") != "delivering") {
                left_pending_ = true;
                continue;
            }
            claimed_with_token_++;
            // The row as the senders read it, from what this batch holds (a row is one event for one endpoint).
            auto it = claiming.find({stringOf(r, "endpoint_id"), stringOf(r, "id")});
            if (it == claiming.end()) continue;  // cannot happen; the count then sends committed() to read them back
            const Row& row = batch[it->second];
            Json d = new Poco::JSON::Object;
            d->set("seq", intOf(r, "seq"));
            d->set("id", row.id);
            d->set("tenant_id", row.tenant);
            d->set("endpoint_id", row.endpoint);
            d->set("event_name", row.name);
            d->set("body", *row.body);
            d->set("attempts", 0);
            d->set("locked_until", lease);
            txn_claimed_.push_back(d);
        }
    }
    kept.dismiss();
}

std::vector<Json> Deliveries::claimIn(long long now) {
    return postgres_ ? claimHeadsByEndpoint(now) : claimOldestHeads(now);
}

// SQLite: the oldest due heads (an earlier live row of the same endpoint and conversation holds a row back: order
// per conversation; dead letters do not), then what each endpoint's cap leaves room for, in one UPDATE.
std::vector<Json> Deliveries::claimOldestHeads(long long now) {
    auto candidates = rows(
        p_,
        "SELECT d.seq, d.endpoint_id FROM crm_webhooks_delivery d JOIN crm_webhooks_endpoint e ON e.id = d.endpoint_id "
        "WHERE e.enabled = 1 AND ((d.state = 'pending' AND d.next_attempt_at <= :1) OR "
        "(d.state = 'delivering' AND d.locked_until < :2)) AND NOT EXISTS (SELECT 1 FROM crm_webhooks_delivery b "
        "WHERE b.endpoint_id = d.endpoint_id AND b.ordering_key = d.ordering_key AND b.seq < d.seq "
        "AND b.state IN ('pending', 'delivering')) ORDER BY d.seq LIMIT " + std::to_string(kClaimBatch),
        P(now, now));
    if (candidates.empty()) return {};
    std::set<std::string> endpoints;
    for (const auto& c : candidates) endpoints.insert(stringOf(c, "endpoint_id"));
    std::set<std::string> locked = lockClaims(endpoints, false);
    std::map<std::string, long long> in_flight = inFlight(locked, now);
    for (const auto& [e, n] : finishedSends()) in_flight[e] = std::max(0LL, in_flight[e] - n);
    std::vector<long long> seqs;
    for (const auto& c : candidates) {
        std::string endpoint = stringOf(c, "endpoint_id");
        if (!locked.count(endpoint) || in_flight[endpoint] >= s_.max_concurrency_per_endpoint) continue;
        in_flight[endpoint]++;
        seqs.push_back(intOf(c, "seq"));
    }
    return claimRows(seqs, now);
}

// PostgreSQL: per endpoint with due rows whose claims this transaction gets, as many due heads as its cap leaves
// room for, found by a skip scan of the live rows' index that starts after the conversation claimed last time and
// wraps around (round robin over conversations), and stops as soon as it has enough: the cost of a round follows
// what it claims, not the backlog (reading every head, oldest first, cost 8 ms a round at 800 conversations).
std::vector<Json> Deliveries::claimHeadsByEndpoint(long long now) {
    // Endpoints with a due row (two index probes each, migrations 0004 and 0005) and their claim locks, taken without waiting (lockClaims's
    // locks, in the same statement: the select list runs only for the endpoints the WHERE keeps).
    std::set<std::string> locked;
    for (const auto& r : rows(p_, "SELECT e.id, CASE WHEN pg_try_advisory_xact_lock(7077, hashtext(e.id)) THEN 1 ELSE 0 END "
                                  "AS got FROM crm_webhooks_endpoint e WHERE e.enabled = 1 AND (EXISTS (SELECT 1 FROM "
                                  "crm_webhooks_delivery d WHERE d.endpoint_id = e.id AND d.state = 'pending' AND "
                                  "d.next_attempt_at <= :1) OR EXISTS (SELECT 1 FROM crm_webhooks_delivery d WHERE "
                                  "d.endpoint_id = e.id AND d.state = 'delivering' AND d.locked_until < :2))",
                              P(now, now)))
        if (intOf(r, "got") == 1) locked.insert(stringOf(r, "id"));
    if (locked.empty()) return {};
    // Counted after the locks are held: a claim committed just before is seen.
    std::map<std::string, long long> in_flight = inFlight(locked, now);
    for (const auto& [e, n] : finishedSends()) in_flight[e] = std::max(0LL, in_flight[e] - n);
    // One statement, two branches per endpoint: conversations after the cursor, then from the start up to it.
    std::string statement = "WITH RECURSIVE ", selects;
    parley::SqlParams values;
    auto param = [&](const auto& v) {
        values.add(v);
        return ":" + std::to_string(values.size());
    };
    std::vector<std::string> ctes;
    std::vector<std::pair<std::string, std::string>> branches;  // (cte, the select over it)
    int n = 0;
    for (const auto& endpoint : locked) {
        long long room = s_.max_concurrency_per_endpoint - in_flight[endpoint];
        if (room <= 0) continue;
        std::string cursor = claim_cursor_[endpoint];
        for (int wrap = 0; wrap < 2; ++wrap) {
            if (wrap == 1 && cursor.empty()) break;  // the first branch started at the beginning
            std::string name = "h" + std::to_string(n++);
            const std::string cols = "d.seq, d.endpoint_id, d.ordering_key, d.state, d.next_attempt_at, d.locked_until ";
            const std::string live = "FROM crm_webhooks_delivery d WHERE d.state IN ('pending', 'delivering') AND d.endpoint_id = ";
            // Appended piece by piece: each param() numbers its placeholder in order of appearance.
            std::string cte = name + " AS ((SELECT " + cols + live;
            cte += param(endpoint);
            cte += " AND d.ordering_key > ";
            cte += param(wrap == 0 ? cursor : std::string());
            if (wrap == 1) {
                cte += " AND d.ordering_key <= ";
                cte += param(cursor);
            }
            cte += " ORDER BY d.ordering_key, d.seq LIMIT 1) UNION ALL SELECT x.* FROM " + name +
                   " h CROSS JOIN LATERAL (SELECT " + cols + live;
            cte += param(endpoint);
            cte += " AND d.ordering_key > h.ordering_key";
            if (wrap == 1) {
                cte += " AND d.ordering_key <= ";
                cte += param(cursor);
            }
            cte += " ORDER BY d.ordering_key, d.seq LIMIT 1) x)";
            ctes.push_back(cte);
            branches.emplace_back(name, std::to_string(room));
        }
    }
    if (ctes.empty()) return {};
    // The due filter's parameters come after every CTE's (bound in order of appearance).
    for (std::size_t i = 0; i < ctes.size(); ++i) statement += (i ? ", " : "") + ctes[i];
    for (std::size_t i = 0; i < branches.size(); ++i) {
        selects += (i ? " UNION ALL " : " ") + std::string("(SELECT ") + std::to_string(i) +
                   " AS branch, seq, endpoint_id, ordering_key FROM " + branches[i].first +
                   " WHERE (state = 'pending' AND next_attempt_at <= ";
        selects += param(now);
        selects += ") OR (state = 'delivering' AND locked_until < ";
        selects += param(now);
        selects += ") LIMIT " + branches[i].second + ")";
    }
    auto candidates = rows(p_, statement + selects, values.text());
    // Branch order within each endpoint: after the cursor first, then wrapped; a head found twice counts once.
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const Json& a, const Json& b) { return intOf(a, "branch") < intOf(b, "branch"); });
    std::vector<long long> seqs;
    std::set<long long> taken;
    for (const auto& c : candidates) {
        std::string endpoint = stringOf(c, "endpoint_id");
        long long seq = intOf(c, "seq");
        if (in_flight[endpoint] >= s_.max_concurrency_per_endpoint || !taken.insert(seq).second) continue;
        in_flight[endpoint]++;
        seqs.push_back(seq);
        claim_cursor_[endpoint] = stringOf(c, "ordering_key");
    }
    return claimRows(seqs, now);
}

// Claims `seqs` in one UPDATE, checking their state again (another node may have taken one since they were read);
// returns the rows claimed in seq order.
std::vector<Json> Deliveries::claimRows(const std::vector<long long>& seqs, long long now) {
    if (seqs.empty()) return {};
    long long lease = now + s_.attempt_timeout_ms + 5000;
    std::string in;
    for (long long seq : seqs) in += (in.empty() ? "" : ",") + std::to_string(seq);  // integers from our own queries
    auto claimed = rows(p_,
                        "UPDATE crm_webhooks_delivery SET state = 'delivering', locked_until = :1, claim_token = NULL "
                        "WHERE seq IN (" + in + ") AND (state = 'pending' OR (state = 'delivering' AND locked_until < :2)) "
                        "RETURNING seq, id, tenant_id, endpoint_id, event_name, body, attempts, locked_until",
                        P(lease, now));
    std::sort(claimed.begin(), claimed.end(), [](const Json& a, const Json& b) { return intOf(a, "seq") < intOf(b, "seq"); });
    return claimed;
}

}  // namespace parley::crm_webhooks

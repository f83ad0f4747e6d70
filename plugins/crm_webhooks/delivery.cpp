// The delivery queue's SQL: the bookkeeper's transaction (a batch of outcomes recorded, then the due heads of
// each conversation claimed under each endpoint's cap, delivery_claims.cpp), sending, and the health check.
// A claim is a lease: a node that dies mid-send leaves one that expires, and the delivery is sent again with the
// same webhook-id: receivers deduplicate on it.
#include "delivery.hpp"

#include "retry_schedule.hpp"
#include "signing.hpp"

#include <algorithm>

namespace parley::crm_webhooks {
namespace {

constexpr long long kEndpointCacheMs = 1000;  // how stale a sender's copy of an endpoint row may be

}  // namespace

Deliveries::Deliveries(parley::Plugin plugin, Settings settings) : p_(plugin), s_(std::move(settings)) {
    // sqlite_version() exists only on SQLite; asked outside any transaction, so a PostgreSQL error aborts nothing.
    try {
        rows(p_, "SELECT sqlite_version() AS v");
    } catch (const std::exception&) {
        postgres_ = true;
    }
    sends_per_endpoint_ = std::max(1, std::min(s_.max_concurrency_per_endpoint, s_.workers / 2));
    token_prefix_ = newUuid().substr(0, 8) + ":";
    token_ = token_prefix_ + "0";
}

Deliveries::~Deliveries() { stop(); }

Json Deliveries::endpointFor(const std::string& endpoint_id) {
    long long now = nowMs();
    {
        std::lock_guard lock(mutex_);
        auto it = endpoints_.find(endpoint_id);
        if (it != endpoints_.end() && now - it->second.second < kEndpointCacheMs) return it->second.first;
    }
    auto found = rows(p_, "SELECT * FROM crm_webhooks_endpoint WHERE id = :1", P(endpoint_id));
    Json e = found.empty() ? nullptr : found[0];
    std::lock_guard lock(mutex_);
    endpoints_[endpoint_id] = {e, now};
    return e;
}

// One transaction: the outcomes of a batch, in endpoint order (so concurrent writers lock endpoint rows in one
// order; a success resets the endpoint's failure count once per batch, not once per delivery), then, when
// `claim`, the next due rows, which the capacity just freed makes room for. Returns what it claimed.
std::vector<Json> Deliveries::bookkeep(std::vector<Outcome> batch, bool claim) {
    long long now = nowMs();
    // A read first: an idle node opens no write transaction.
    if (batch.empty() &&
        (!claim || intOf(rows(p_, "SELECT CASE WHEN EXISTS (SELECT 1 FROM crm_webhooks_delivery WHERE state = 'pending' "
                                  "AND next_attempt_at <= :1) OR EXISTS (SELECT 1 FROM crm_webhooks_delivery WHERE "
                                  "state = 'delivering' AND locked_until < :2) THEN 1 ELSE 0 END AS n",  // an index probe each
                              P(now, now))[0], "n") == 0))
        return {};
    std::stable_sort(batch.begin(), batch.end(), [](const Outcome& a, const Outcome& b) {
        return stringOf(a.first, "endpoint_id") < stringOf(b.first, "endpoint_id");
    });
    std::vector<Json> failing, claimed;
    std::vector<std::pair<std::string, bool>> last;  // endpoint, whether its last outcome here was a success
    std::map<std::string, Json> endpoints;
    for (const auto& [d, a] : batch)
        if (!a.released) endpoints.emplace(stringOf(d, "endpoint_id"), endpointFor(stringOf(d, "endpoint_id")));
    std::map<int, std::vector<long long>> delivered;  // status -> seqs answered 2xx
    p_.transaction([&] {
        failing.clear();
        last.clear();
        delivered.clear();
        for (const auto& [d, a] : batch) {
            std::string endpoint_id = stringOf(d, "endpoint_id");
            if (a.released) {
                p_.sql("UPDATE crm_webhooks_delivery SET state = 'pending', locked_until = 0 WHERE seq = :1 AND "
                       "state = 'delivering'", P(intOf(d, "seq")));
                continue;
            }
            Json endpoint = endpoints[endpoint_id];
            if (a.ok && endpoint) delivered[a.status].push_back(intOf(d, "seq"));  // one statement per status below
            else record(d, endpoint, a, now, failing);
            if (!endpoint) continue;
            if (last.empty() || last.back().first != endpoint_id) last.emplace_back(endpoint_id, a.ok);
            else last.back().second = a.ok;
        }
        for (const auto& [status, seqs] : delivered) {
            std::string in;
            for (long long seq : seqs) in += (in.empty() ? "" : ",") + std::to_string(seq);
            p_.sql("UPDATE crm_webhooks_delivery SET state = 'delivered', attempts = attempts + 1, delivered_at = :1, "
                   "last_status = :2, last_error = NULL, locked_until = 0 WHERE seq IN (" + in + ")",
                   P(now, status));
        }
        // Endpoints whose last outcome here was a success, in one statement (it writes only rows that change,
        // or whose last_success_at is over a second old).
        Poco::JSON::Array::Ptr reset = new Poco::JSON::Array;
        reset->add(now);
        reset->add(now - 1000);
        std::string in;
        for (const auto& [endpoint_id, ok] : last) {
            if (!ok) continue;
            reset->add(endpoint_id);
            in += (in.empty() ? ":" : ", :") + std::to_string(reset->size());
        }
        if (!in.empty()) {
            std::ostringstream params;
            reset->stringify(params);
            p_.sql("UPDATE crm_webhooks_endpoint SET consecutive_failures = 0, failing_since = NULL, failing_notified = 0, "
                   "last_success_at = :1 WHERE (consecutive_failures <> 0 OR failing_since IS NOT NULL OR last_success_at "
                   "IS NULL OR last_success_at < :2) AND id IN (" + in + ")",  // bound in order of appearance
                   params.str());
        }
        claimed = claim ? claimIn(nowMs()) : std::vector<Json>{};
    });
    for (const auto& f : failing) p_.emit("endpoint.failing", toText(f));
    if (!batch.empty()) p_.count("deliveries", static_cast<double>(batch.size()));
    return claimed;
}

Attempt Deliveries::send(const Json& endpoint, const std::string& webhook_id, const std::string& event_name,
                         const std::string& body, int timeout_ms) {
    Attempt a;
    std::string id = stringOf(endpoint, "id");
    long long started = nowMs();
    try {
        std::vector<std::string> secrets{p_.open(stringOf(endpoint, "secret"), "endpoint:" + id)};
        if (!isNull(endpoint, "previous_secret") && intOf(endpoint, "previous_secret_expires_at") > started)
            secrets.push_back(p_.open(stringOf(endpoint, "previous_secret"), "endpoint:" + id));
        std::string headers = "Content-Type: application/json\nUser-Agent: Parley-Webhooks/1.0\n";
        if (stringOf(endpoint, "format") == "legacy") {
            headers += "Signature: " + legacySignature(secrets[0], body) + "\n";
        } else {
            long long ts = started / 1000;
            headers += "webhook-id: " + webhook_id + "\nwebhook-timestamp: " + std::to_string(ts) +
                       "\nwebhook-signature: " + standardSignatureHeader(secrets, webhook_id, ts, body) + "\n";
        }
        headers += "X-Parley-Event: " + event_name + "\n";
        parley::HttpReply reply = p_.http("POST", stringOf(endpoint, "url"), body, headers, timeout_ms, 0);
        a.status = reply.status;
        a.excerpt = reply.body.substr(0, 500);
        a.ok = reply.status >= 200 && reply.status < 300;
        if (!a.ok) a.error = "the receiver answered HTTP " + std::to_string(reply.status);
    } catch (const parley::Error& e) {
        a.error = e.status() == PARLEY_ERR_DENIED ? std::string("target refused: ") + e.what() : e.what();
    } catch (const std::exception& e) {
        a.error = e.what();
    }
    a.latency_ms = nowMs() - started;
    return a;
}

Attempt Deliveries::test(const Json& endpoint) {
    std::string id = "msg_test_" + newUuid().substr(0, 8);
    Json body = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("type", std::string("webhook.test"));
    body->set("timestamp", isoTime(nowMs()));
    Json data = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    data->set("endpoint_id", stringOf(endpoint, "id"));
    data->set("message", std::string("A test delivery from Parley: answer 2xx to pass."));
    body->set("data", data);
    Attempt a = send(endpoint, id, "webhook.test", toText(body), std::min(s_.attempt_timeout_ms, 5000));
    if (!a.ok) logError(endpoint, id, "webhook.test", 1, a, nowMs());
    return a;
}

void Deliveries::logError(const Json& endpoint, const std::string& delivery_id, const std::string& event_name,
                          int attempt, const Attempt& a, long long now) {
    p_.sql("INSERT INTO crm_webhooks_error (tenant_id, endpoint_id, delivery_id, event_name, attempt, status, error, "
           "response_excerpt, latency_ms, occurred_at) VALUES (:1, :2, :3, :4, :5, :6, :7, :8, :9, :10)",
           a.status ? P(stringOf(endpoint, "tenant_id"), stringOf(endpoint, "id"), delivery_id, event_name, attempt,
                        a.status, a.error, a.excerpt, a.latency_ms, now)
                    : P(stringOf(endpoint, "tenant_id"), stringOf(endpoint, "id"), delivery_id, event_name, attempt,
                        nullptr, a.error, a.excerpt, a.latency_ms, now));
}

void Deliveries::record(const Json& d, const Json& endpoint, const Attempt& a, long long now,
                        std::vector<Json>& failing) {
    long long seq = intOf(d, "seq");
    int attempts = static_cast<int>(intOf(d, "attempts")) + 1;
    std::string endpoint_id = stringOf(d, "endpoint_id");
    if (a.ok) {
        // bookkeep() marks a batch's successes in one statement and resets the endpoint's health once per batch.
        p_.sql("UPDATE crm_webhooks_delivery SET state = 'delivered', attempts = :1, delivered_at = :2, last_status = :3, "
               "last_error = NULL, locked_until = 0 WHERE seq = :4",
               P(attempts, now, a.status, seq));
        return;
    }
    if (!endpoint) {
        p_.sql("UPDATE crm_webhooks_delivery SET state = 'dead', last_error = :1 WHERE seq = :2", P(a.error, seq));
        return;
    }
    logError(endpoint, stringOf(d, "id"), stringOf(d, "event_name"), attempts, a, now);
    if (a.status == 410) {
        // The receiver says it is gone for good: stop sending to it, keep what is queued for a replay.
        p_.sql("UPDATE crm_webhooks_delivery SET state = 'dead', attempts = :1, last_status = 410, last_error = :2, "
               "locked_until = 0 WHERE seq = :3",
               P(attempts, a.error, seq));
        p_.sql("UPDATE crm_webhooks_endpoint SET enabled = 0, disabled_reason = :1, last_failure_at = :2 WHERE id = :3",
               P("the receiver answered 410 Gone at " + isoTime(now) + ": it asked for no more deliveries", now,
                 endpoint_id));
        return;
    }
    auto delay = retryDelayMs(s_.retry_schedule, attempts);
    Poco::Dynamic::Var status = a.status ? Poco::Dynamic::Var(a.status) : Poco::Dynamic::Var();
    if (delay) {
        p_.sql("UPDATE crm_webhooks_delivery SET state = 'pending', attempts = :1, next_attempt_at = :2, last_status = :3, "
               "last_error = :4, locked_until = 0 WHERE seq = :5",
               P(attempts, now + *delay, status, a.error, seq));
    } else {
        p_.sql("UPDATE crm_webhooks_delivery SET state = 'dead', attempts = :1, last_status = :2, last_error = :3, "
               "locked_until = 0 WHERE seq = :4",
               P(attempts, status, a.error, seq));
    }
    p_.sql("UPDATE crm_webhooks_endpoint SET consecutive_failures = consecutive_failures + 1, "
           "failing_since = COALESCE(failing_since, :1), last_failure_at = :2 WHERE id = :3",
           P(now, now, endpoint_id));
    Json e = rows(p_, "SELECT * FROM crm_webhooks_endpoint WHERE id = :1", P(endpoint_id))[0];
    long long failures = intOf(e, "consecutive_failures"), since = intOf(e, "failing_since", now);
    if (failures >= s_.failing_after && intOf(e, "failing_notified") == 0) {
        p_.sql("UPDATE crm_webhooks_endpoint SET failing_notified = 1 WHERE id = :1", P(endpoint_id));
        Json f = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        f->set("tenant_id", stringOf(e, "tenant_id"));
        f->set("endpoint_id", endpoint_id);
        f->set("url", stringOf(e, "url"));
        f->set("consecutive_failures", failures);
        f->set("failing_since", since);
        f->set("last_error", a.error);
        failing.push_back(f);
    }
    if (now - since >= s_.disable_after_ms) {
        p_.sql("UPDATE crm_webhooks_endpoint SET enabled = 0, disabled_reason = :1 WHERE id = :2",
               P("failing since " + isoTime(since) + " without a success (" + std::to_string(failures) +
                     " consecutive failures; last: " + a.error + ")",
                 endpoint_id));
    }
}

void Deliveries::checkHealth() {
    long long now = nowMs();
    for (const auto& e : rows(p_, "SELECT * FROM crm_webhooks_endpoint WHERE enabled = 1 AND consecutive_failures > 0")) {
        std::string id = stringOf(e, "id");
        if (now - intOf(e, "failing_since", now) >= s_.disable_after_ms) {
            p_.sql("UPDATE crm_webhooks_endpoint SET enabled = 0, disabled_reason = :1 WHERE id = :2",
                   P("failing since " + isoTime(intOf(e, "failing_since")) + " without a success; disabled by the health check",
                     id));
            continue;
        }
        Attempt a = test(e);
        if (!a.ok) continue;
        // It answers again: bring its waiting retries forward instead of letting them sleep for hours.
        p_.transaction([&] {
            p_.sql("UPDATE crm_webhooks_endpoint SET consecutive_failures = 0, failing_since = NULL, failing_notified = 0, "
                   "last_success_at = :1 WHERE id = :2",
                   P(now, id));
            p_.sql("UPDATE crm_webhooks_delivery SET next_attempt_at = :1 WHERE endpoint_id = :2 AND state = 'pending'",
                   P(now, id));
        });
        wake();
    }
    long long week = now - 7LL * 86400000, month = now - 30LL * 86400000;
    p_.sql("DELETE FROM crm_webhooks_delivery WHERE state = 'delivered' AND delivered_at < :1", P(week));
    p_.sql("DELETE FROM crm_webhooks_error WHERE occurred_at < :1", P(month));
}

}  // namespace parley::crm_webhooks

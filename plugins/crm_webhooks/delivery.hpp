// The durable delivery queue: events enqueued inside the subscription's transaction, delivered by sender
// threads with signatures, retries on the schedule, a per-endpoint concurrency cap, dead letters, and the
// endpoint's health (failure log, endpoint.failing, auto-disable, 410 Gone).
#pragma once

#include "store.hpp"

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace parley::crm_webhooks {

// The outcome of one HTTP attempt.
struct Attempt {
    bool ok = false;
    bool released = false;  // not attempted (its lease was too short to finish): back to the queue, no attempt counted
    int status = 0;         // 0 when no HTTP answer came
    std::string error;      // why it failed
    std::string excerpt;    // the start of the response body
    long long latency_ms = 0;
};

// Rows move pending -> delivering (claimed, with a lease) -> delivered | pending (retry) | dead. Claims come
// from two places: enqueueBatch() claims fresh head rows in the subscription's own transaction (no transaction of
// its own), and one bookkeeper thread per node, which in one transaction records a batch of outcomes and
// claims what is due (retries, expired leases, rows that waited behind others or for capacity). Sender threads
// POST claimed rows outside any transaction.
class Deliveries {
public:
    Deliveries(parley::Plugin plugin, Settings settings);
    ~Deliveries();

    // Inside the durable subscription's transaction (the host's dispatcher thread), for a batch of events in
    // delivery order: one queue row per event and matching enabled endpoint, all in a few statements; a row that
    // heads its conversation for that endpoint, under the endpoint's cap, is claimed at once with this
    // transaction's claim token.
    void enqueueBatch(const std::vector<Json>& events);
    // After that transaction committed (same thread): the rows it claimed go to the senders.
    void committed();
    // The call's part of that transaction is being rolled back (its savepoint): what enqueueBatch() cached about
    // the transaction (claim locks, counts) may no longer hold.
    void forgetTransaction();

    // Starts the threads once (the first call wins); safe from any thread.
    void ensureStarted();
    // The claimer looks again now (new rows, freed capacity, retries brought forward).
    void wake();
    // Joins the threads; outcomes already known are recorded, claimed rows not sent are given back.
    void stop();

    // Sends one signed request to an endpoint row (with its sealed secrets) and returns what happened.
    Attempt send(const Json& endpoint, const std::string& webhook_id, const std::string& event_name,
                 const std::string& body, int timeout_ms);
    // A webhook.test delivery to the endpoint; logged in the error log when it fails.
    Attempt test(const Json& endpoint);

    // The hourly job: tests failing endpoints (a success brings their retries forward), disables those failing
    // too long, prunes old delivered rows and errors.
    void checkHealth();

private:
    using Outcome = std::pair<Json, Attempt>;

    // The threads (delivery_workers.cpp).
    void bookkeepLoop();
    void sendLoop();
    void handOver(std::vector<Json> claimed);

    // The SQL (delivery.cpp).
    // delivery_claims.cpp. Serializes claims for each endpoint across nodes until the transaction ends, so the
    // cap holds cluster-wide: on PostgreSQL transaction-scoped advisory locks, taken without waiting (an
    // endpoint left out is being claimed for elsewhere: try later), not the endpoint rows, which recording
    // outcomes updates; SQLite has one writer: all. `in_subscription`: remembered for the subscription's
    // transaction (dispatcher thread only). Returns the endpoints whose claims this transaction now holds.
    std::set<std::string> lockClaims(const std::set<std::string>& endpoints, bool in_subscription);
    // Rows in flight (claimed, lease not expired) per endpoint, in one query.
    std::map<std::string, long long> inFlight(const std::set<std::string>& endpoints, long long now);
    // This node's sends that finished but whose outcomes wait for the bookkeeper's next round, per endpoint: their
    // rows still read 'delivering' (and count in inFlight) but no request of theirs is open any more, so this
    // node's claims do not count them against the cap. Other nodes count them until they are recorded.
    std::map<std::string, long long> finishedSends();
    // The bookkeeper's claim of due conversation heads under each endpoint's cap, inside its transaction.
    std::vector<Json> claimIn(long long now);
    std::vector<Json> claimOldestHeads(long long now);      // SQLite
    std::vector<Json> claimHeadsByEndpoint(long long now);  // PostgreSQL
    std::vector<Json> claimRows(const std::vector<long long>& seqs, long long now);
    std::vector<Json> bookkeep(std::vector<Outcome> batch, bool claim);
    Json endpointFor(const std::string& endpoint_id);
    void record(const Json& delivery, const Json& endpoint, const Attempt& attempt, long long now,
                std::vector<Json>& failing);
    void logError(const Json& endpoint, const std::string& delivery_id, const std::string& event_name, int attempt,
                  const Attempt& a, long long now);

    parley::Plugin p_;
    Settings s_;
    bool postgres_ = false;
    int sends_per_endpoint_ = 1;  // concurrent sends to one endpoint on this node: under the cap, and half the
                                  // senders at most, so a hanging endpoint leaves the others senders

    // Dispatcher thread only: the claim token of the subscription transaction in progress.
    std::string token_prefix_;
    unsigned long long token_serial_ = 0;
    std::string token_;
    int claimed_with_token_ = 0;
    bool left_pending_ = false;  // a row was stored pending (behind its conversation, or over the cap) since the last commit
    std::map<std::string, std::vector<Json>> txn_endpoints_;  // tenant -> enabled endpoints, this transaction
    std::map<std::string, long long> txn_in_flight_;          // endpoint -> claimed rows, this transaction
    std::set<std::string> txn_locked_;                        // endpoints whose claim lock this transaction holds
    long long txn_pass_ = 0;                                  // the host's number for this transaction
    // The rows this transaction claimed, as the senders want them (built from the insert: no read after the
    // commit). Handed over only when they are all of claimed_with_token_; otherwise they are read back by token.
    std::vector<Json> txn_claimed_;

    std::mutex mutex_;
    std::condition_variable book_wake_, send_wake_;
    bool stopping_ = false;
    bool started_ = false;
    unsigned long long generation_ = 0;
    std::deque<Json> ready_;               // claimed, not yet being sent
    std::map<std::string, int> sending_;   // endpoint id -> sends in progress on this node
    std::vector<Outcome> outcomes_;        // sent, not yet recorded
    // Bookkeeper thread only: per endpoint, the conversation claimed last, where the next claim's scan starts.
    std::map<std::string, std::string> claim_cursor_;
    std::map<std::string, std::pair<Json, long long>> endpoints_;  // id -> (row or null, read at), ~1 s old at most
    std::thread bookkeeper_;
    std::vector<std::thread> senders_;
};

}  // namespace parley::crm_webhooks

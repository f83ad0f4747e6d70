// Delivers every committed outbox event to every durable subscriber at least once, in commit order per
// conversation, once per cluster, across restarts and kill -9 (docs/events.md "Durable subscriptions").
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace soci {
class session;
}
namespace Poco {
class Logger;
}

namespace parley::core {

class Database;
struct DueDelivery;  // pipeline/outbox_envelopes.hpp

// How the dispatcher polls and retries (outbox.* in docs/configuration.md).
struct OutboxOptions {
    int poll_interval_ms = 20;        // idle wait between passes
    int batch_size = 200;             // events moved or delivered per transaction
    long long retry_base_ms = 1000;   // first retry after a failure; doubles per attempt
    long long retry_max_ms = 600000;  // longest wait between attempts
    int wake_delay_ms = 5;            // after a wake-up, how long to gather further commits into the same pass
};

// One durable subscription, as the plugin host registers it.
struct OutboxSubscriber {
    std::string name;    // "<owner>:<name>", unique in the cluster
    std::string owner;   // the plugin id
    std::string events;  // comma-separated patterns, "*" wildcards (parley::eventMatches)
    // Called inside the delivery transaction (`sql` is it); PARLEY_OK acknowledges, anything else rolls the
    // subscriber's writes back and schedules a retry. `error` receives the subscriber's message.
    std::function<int(soci::session& sql, const std::string& event_json, std::string& error)> deliver;
    // Instead of `deliver` (batch subscriptions, ABI 1.4): called with a JSON array of `count` events in delivery
    // order; PARLEY_OK acknowledges them all, anything else rolls the call back and the events are offered again
    // one per call (arrays of one).
    std::function<int(soci::session& sql, const std::string& events_json, std::size_t count, std::string& error)>
        deliver_batch;
    std::function<void()> committed;  // after a transaction with acknowledged events committed; may be empty
};

// The delay before attempt `attempts + 1` after `attempts` failures: base * 2^(attempts-1), capped.
long long outboxRetryDelayMs(const OutboxOptions& options, int attempts);

// The conversation an event payload concerns ("" when none): conversation_id, conversation.id, or the
// conversation_id of a top-level object (message, lead, ...).
std::string eventConversationId(const std::string& payload_json);

class OutboxDispatcher {
public:
    OutboxDispatcher(Database& db, OutboxOptions options, Poco::Logger& log);
    ~OutboxDispatcher();

    // Records the subscription in event_subscriptions (created once, patterns updated) and serves it on
    // this node. Call before start().
    void add(OutboxSubscriber subscriber);

    // One pass, one write transaction (none when a read finds nothing to do): moves undispatched outbox events
    // into per-subscription deliveries (one node at a time), then delivers what is due to this node's
    // subscribers; `committed` callbacks run after the commit. Returns how many events were moved plus delivered.
    // `known_work`: a commit on this node wrote outbox rows since the last pass, so the reads are skipped.
    int runOnce(long long now_ms, bool known_work = false);

    // A background thread running passes until stop(); it waits poll_interval_ms between idle passes
    // unless woken.
    void start();
    void stop();

    // Runs a pass soon. Any thread; cheap (no database access). `local`: the wake-up is for a commit on this
    // node, so the next pass first tells the other nodes (the announcer set with onLocalCommits).
    void wake(bool local);
    // Set before start(): how to tell the other nodes that outbox rows were committed here (the realtime bus on
    // PostgreSQL); called on the dispatcher thread, at most once per pass.
    void onLocalCommits(std::function<void()> announce);

    // Events not yet dispatched plus deliveries not yet acknowledged (the /metrics outbox depth).
    long long pending();

private:
    // All inside the pass's transaction. fanOut returns -1 when another node holds the fan-out lock; the events
    // for `served` subscriptions whose conversations have no rows queued go to `direct` (by subscription, in
    // event order) instead of becoming rows, and deliverDirect offers them: what fails (and what follows it in
    // its conversation) becomes rows then, through queueAsRows.
    int fanOut(soci::session& sql, long long now_ms, const std::vector<OutboxSubscriber>& served,
               std::map<std::string, std::vector<DueDelivery>>& direct);
    int deliverDirect(soci::session& sql, const OutboxSubscriber& subscriber, std::vector<DueDelivery>& fresh,
                      long long now_ms, std::map<std::string, std::string>& snapshots);
    void queueAsRows(soci::session& sql, const std::string& subscription, const std::vector<DueDelivery>& events,
                     long long now_ms);
    // `snapshots`: the conversations read in this pass, shared by its subscriptions.
    int deliverDue(soci::session& sql, const OutboxSubscriber& subscriber, long long now_ms,
                   std::map<std::string, std::string>& snapshots);
    int offer(soci::session& sql, const OutboxSubscriber& subscriber, const std::vector<std::string>& envelopes,
              const std::vector<std::size_t>& rows, std::string& error);

    Database& db_;
    OutboxOptions options_;
    Poco::Logger& log_;
    std::vector<OutboxSubscriber> subscribers_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    bool woken_ = false;     // under mutex_: run the next pass at once
    bool announce_ = false;  // under mutex_: local commits not yet announced to other nodes
    std::function<void()> announcer_;
    std::atomic<bool> fan_out_busy_{false};
    std::thread thread_;
};

}  // namespace parley::core

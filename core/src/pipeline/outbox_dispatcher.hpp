// Delivers every committed outbox event to every durable subscriber at least once, in commit order per
// conversation, once per cluster, across restarts and kill -9 (docs/events.md "Durable subscriptions").
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
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

// How the dispatcher polls and retries (outbox.* in docs/configuration.md).
struct OutboxOptions {
    int poll_interval_ms = 20;        // idle wait between passes
    int batch_size = 200;             // events moved or delivered per transaction
    long long retry_base_ms = 1000;   // first retry after a failure; doubles per attempt
    long long retry_max_ms = 600000;  // longest wait between attempts
};

// One durable subscription, as the plugin host registers it.
struct OutboxSubscriber {
    std::string name;    // "<owner>:<name>", unique in the cluster
    std::string owner;   // the plugin id
    std::string events;  // comma-separated patterns, "*" wildcards (parley::eventMatches)
    // Called inside the delivery transaction (`sql` is it); PARLEY_OK acknowledges, anything else rolls the
    // subscriber's writes back and schedules a retry. `error` receives the subscriber's message.
    std::function<int(soci::session& sql, const std::string& event_json, std::string& error)> deliver;
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

    // One pass: moves undispatched outbox events into per-subscription deliveries (one node at a time), then
    // delivers what is due to this node's subscribers. Returns how many events were moved plus delivered.
    int runOnce(long long now_ms);

    // A background thread running passes until stop(); idle passes wait poll_interval_ms.
    void start();
    void stop();

    // Events not yet dispatched plus deliveries not yet acknowledged (the /metrics outbox depth).
    long long pending();

private:
    int fanOut(long long now_ms);
    int deliverDue(const OutboxSubscriber& subscriber, long long now_ms);

    Database& db_;
    OutboxOptions options_;
    Poco::Logger& log_;
    std::vector<OutboxSubscriber> subscribers_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace parley::core

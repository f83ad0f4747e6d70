// The durable delivery queue: events enqueued inside the subscription's transaction, delivered by worker
// threads with signatures, retries on the schedule, a per-endpoint concurrency cap, dead letters, and the
// endpoint's health (failure log, endpoint.failing, auto-disable, 410 Gone).
#pragma once

#include "store.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace parley::crm_webhooks {

// The outcome of one HTTP attempt.
struct Attempt {
    bool ok = false;
    int status = 0;         // 0 when no HTTP answer came
    std::string error;      // why it failed
    std::string excerpt;    // the start of the response body
    long long latency_ms = 0;
};

class Deliveries {
public:
    Deliveries(parley::Plugin plugin, Settings settings);
    ~Deliveries();

    // Inside the durable subscription's transaction: one queue row per matching enabled endpoint.
    void enqueue(const Json& event);

    // Starts the workers once (the first call wins); safe from any thread.
    void ensureStarted();
    void wake();
    void stop();

    // Sends one signed request to an endpoint row (with its sealed secrets) and returns what happened.
    Attempt send(const Json& endpoint, const std::string& webhook_id, const std::string& event_name,
                 const std::string& body, int timeout_ms);
    // A webhook.test delivery to the endpoint; logged in the error log when it fails.
    Attempt test(const Json& endpoint);

    // The hourly job: tests failing endpoints (a success brings their retries forward), disables those failing
    // too long, prunes old delivered rows and errors.
    void checkHealth();

    // One claim-deliver-record round on this thread; returns how many deliveries it attempted.
    int runOnce();

private:
    void work();
    void record(const Json& delivery, const Json& endpoint, const Attempt& attempt, long long now,
                std::vector<Json>& failing);
    void logError(const Json& endpoint, const std::string& delivery_id, const std::string& event_name, int attempt,
                  const Attempt& a, long long now);

    parley::Plugin p_;
    Settings s_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    bool started_ = false;
    unsigned long long generation_ = 0;
    std::vector<std::thread> threads_;
};

}  // namespace parley::crm_webhooks

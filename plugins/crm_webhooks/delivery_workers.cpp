// The delivery threads: one bookkeeper and `workers` senders. Claimed rows wait in memory (ready_) only while
// their lease lasts; outcomes are written in batches together with the next claim, so a busy node pays one
// transaction for many deliveries instead of two per delivery.
#include "delivery.hpp"

#include <utility>

namespace parley::crm_webhooks {
namespace {

constexpr int kGatherMs = 2;

}  // namespace

void Deliveries::committed() {
    ensureStarted();
    // A new token for the next subscription transaction. (One that rolls back calls no committed(): the next one
    // keeps its token, whose committed rows are all it finds; its caches are reset by the new "pass".)
    std::string token = token_;
    token_ = token_prefix_ + std::to_string(++token_serial_);
    std::vector<Json> claimed = std::move(txn_claimed_);
    forgetTransaction();
    if (claimed_with_token_ > 0) {
        // The rows this transaction's inserts returned, when they are all it claimed. Else (part of a batch was
        // rolled back to a savepoint, or an earlier transaction that rolled back shares the token) the committed
        // rows are read back: only rows of committed transactions carry the token.
        if (claimed.size() != static_cast<std::size_t>(claimed_with_token_))
            claimed = rows(p_, "SELECT seq, id, tenant_id, endpoint_id, event_name, body, attempts, locked_until "
                               "FROM crm_webhooks_delivery WHERE claim_token = :1 AND state = 'delivering' ORDER BY seq",
                           P(token));
        claimed_with_token_ = 0;
        handOver(std::move(claimed));
    }
    // Rows left pending behind others, or over the cap, are the bookkeeper's (which also looks every
    // poll_interval_ms, for retries that fall due and for other nodes' rows).
    if (std::exchange(left_pending_, false)) wake();
}

void Deliveries::forgetTransaction() {
    txn_claimed_.clear();
    txn_endpoints_.clear();
    txn_in_flight_.clear();
    txn_locked_.clear();
    txn_pass_ = 0;
}

void Deliveries::ensureStarted() {
    std::lock_guard lock(mutex_);
    if (started_ || stopping_) return;
    started_ = true;
    bookkeeper_ = std::thread([this] { bookkeepLoop(); });
    for (int i = 0; i < s_.workers; ++i) senders_.emplace_back([this] { sendLoop(); });
}

void Deliveries::wake() {
    {
        std::lock_guard lock(mutex_);
        generation_++;
    }
    book_wake_.notify_all();
}

void Deliveries::handOver(std::vector<Json> claimed) {
    if (claimed.empty()) return;
    {
        std::lock_guard lock(mutex_);
        for (auto& d : claimed) ready_.push_back(std::move(d));
    }
    send_wake_.notify_all();
}

void Deliveries::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    book_wake_.notify_all();
    send_wake_.notify_all();
    if (bookkeeper_.joinable()) bookkeeper_.join();
    for (auto& t : senders_)
        if (t.joinable()) t.join();
    senders_.clear();
    // What is known is recorded; what was claimed but not sent goes back to the queue at once (else its lease
    // would hold it until it expires).
    std::vector<Outcome> rest;
    {
        std::lock_guard lock(mutex_);
        rest.swap(outcomes_);
        for (auto& d : ready_) {
            Attempt a;
            a.released = true;
            rest.emplace_back(std::move(d), a);
        }
        ready_.clear();
    }
    try {
        bookkeep(std::move(rest), false);
    } catch (const std::exception& e) {
        p_.warn(std::string("recording deliveries at shutdown failed (they are sent again): ") + e.what());
    }
}

void Deliveries::bookkeepLoop() {
    for (;;) {
        std::vector<Outcome> batch;
        {
            std::unique_lock lock(mutex_);
            if (stopping_) return;  // stop() records what is left, after the senders are joined
            batch.swap(outcomes_);
        }
        std::size_t claimed = 0;
        unsigned long long seen;
        {
            std::lock_guard lock(mutex_);
            seen = generation_;
        }
        try {
            auto got = bookkeep(batch, true);
            claimed = got.size();
            handOver(std::move(got));
        } catch (const std::exception& e) {
            // The rows stay claimed until their leases expire, then are sent again (same webhook-id).
            p_.warn(std::string("recording or claiming deliveries failed: ") + e.what());
        }
        std::unique_lock lock(mutex_);
        // The claim ran with the capacity these outcomes freed; a full claim may have left more: go again at once.
        if (claimed >= 256 && !stopping_) continue;
        bool woken = book_wake_.wait_for(lock, std::chrono::milliseconds(s_.poll_interval_ms),
                                         [&] { return stopping_ || generation_ != seen || !outcomes_.empty(); });
        // Sends finish in bursts (a pass hands several over at once): the answers right behind the first are
        // recorded in the same transaction rather than one round each. A row waiting behind one of them (its
        // conversation's next) waits this much longer; fresh rows are claimed by the subscription, not here.
        if (woken && !stopping_ && generation_ == seen)
            book_wake_.wait_for(lock, std::chrono::milliseconds(kGatherMs), [&] { return stopping_; });
    }
}

void Deliveries::sendLoop() {
    for (;;) {
        Json d;
        std::string endpoint_id;
        {
            std::unique_lock lock(mutex_);
            // The oldest ready row whose endpoint has a free send slot on this node.
            auto pick = [&] {
                for (auto it = ready_.begin(); it != ready_.end(); ++it) {
                    std::string e = stringOf(*it, "endpoint_id");
                    if (sending_[e] < sends_per_endpoint_) {
                        d = *it;
                        endpoint_id = e;
                        ready_.erase(it);
                        return true;
                    }
                }
                return false;
            };
            send_wake_.wait(lock, [&] { return stopping_ || pick(); });
            if (!d) return;  // stopping
            sending_[endpoint_id]++;
        }
        Attempt a;
        try {
            if (nowMs() + s_.attempt_timeout_ms > intOf(d, "locked_until")) {
                a.released = true;  // the lease would end mid-attempt: another claim may already be due
            } else if (Json endpoint = endpointFor(endpoint_id); !endpoint) {
                a.error = "endpoint was deleted";
            } else {
                a = send(endpoint, stringOf(d, "id"), stringOf(d, "event_name"), stringOf(d, "body"), s_.attempt_timeout_ms);
            }
        } catch (const std::exception& e) {
            a.error = e.what();
        }
        {
            std::lock_guard lock(mutex_);
            sending_[endpoint_id]--;
            outcomes_.emplace_back(std::move(d), std::move(a));
        }
        book_wake_.notify_all();
        send_wake_.notify_all();  // a send slot of this endpoint is free
    }
}

}  // namespace parley::crm_webhooks

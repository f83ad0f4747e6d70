// Commits that arrive together share one transaction (group commit), without delaying a commit that arrives alone.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

namespace parley::core {

// Callers hand in work and wait for it. A caller finding fewer than `max_batches` batches running takes what is
// queued and runs it as one batch itself (leader and follower: no thread of its own, no timer), so a lone commit
// runs at once and only commits that would have waited anyway are grouped. Items with the same key (a
// conversation) never run in two batches at once, and run in the order they arrived: batches cannot deadlock
// on each other's rows, and a conversation's messages keep their order.
class GroupCommit {
public:
    struct Item {
        std::string key;
        std::exception_ptr error;  // set by the batch when this item failed
        bool done = false;
        std::condition_variable wake;  // its caller waits here: woken when done, or to lead the next batch
    };
    // Runs a batch; sets `error` on the items that failed. An exception it throws fails every item it did not
    // mark.
    using Execute = std::function<void(const std::vector<Item*>&)>;

    GroupCommit(std::size_t max_batches, std::size_t max_batch_size);

    // Queues `item`, waits until a batch has run it, and rethrows its error.
    void run(Item& item, const Execute& execute);

    struct Stats {
        std::size_t batches = 0;  // batches run
        std::size_t items = 0;    // items in them
        std::size_t queued = 0;   // items waiting now
    };
    Stats stats();

private:
    std::vector<Item*> takeBatch();

    const std::size_t max_batches_;
    const std::size_t max_batch_size_;
    void wakeNextLeader();

    std::mutex mutex_;
    std::vector<Item*> queue_;                 // arrival order
    std::unordered_set<std::string> running_;  // keys in a running batch
    std::size_t batches_ = 0;                  // batches running
    Stats totals_;
};

}  // namespace parley::core

// Leader and follower group commit: whoever finds a free batch slot runs what is queued.
#include "store/group_commit.hpp"

#include <algorithm>

namespace parley::core {

GroupCommit::GroupCommit(std::size_t max_batches, std::size_t max_batch_size)
    : max_batches_(std::max<std::size_t>(1, max_batches)), max_batch_size_(std::max<std::size_t>(1, max_batch_size)) {}

// The oldest queued items whose key is not running, in arrival order. An item whose key is running, or whose key
// an older item left behind, waits: a key's items never overtake each other.
std::vector<GroupCommit::Item*> GroupCommit::takeBatch() {
    std::vector<Item*> batch, left;
    std::unordered_set<std::string> blocked;
    for (Item* item : queue_) {
        if (batch.size() < max_batch_size_ && !running_.count(item->key) && !blocked.count(item->key)) {
            batch.push_back(item);
        } else {
            blocked.insert(item->key);
            left.push_back(item);
        }
    }
    queue_ = std::move(left);
    return batch;
}

// A slot is free: the oldest waiting caller takes what is queued (only one is woken, not every waiter).
void GroupCommit::wakeNextLeader() {
    if (!queue_.empty()) queue_.front()->wake.notify_one();
}

GroupCommit::Stats GroupCommit::stats() {
    std::lock_guard lock(mutex_);
    Stats out = totals_;
    out.queued = queue_.size();
    return out;
}

void GroupCommit::run(Item& item, const Execute& execute) {
    std::unique_lock lock(mutex_);
    queue_.push_back(&item);
    while (!item.done) {
        std::vector<Item*> batch;
        if (batches_ < max_batches_) batch = takeBatch();
        if (batch.empty()) {
            item.wake.wait(lock);
            continue;
        }
        ++batches_;
        ++totals_.batches;
        totals_.items += batch.size();
        for (Item* i : batch) running_.insert(i->key);
        lock.unlock();
        try {
            execute(batch);
        } catch (...) {
            for (Item* i : batch)
                if (!i->error) i->error = std::current_exception();
        }
        lock.lock();
        for (Item* i : batch) {
            running_.erase(i->key);
            i->done = true;
            if (i != &item) i->wake.notify_one();
        }
        --batches_;
        wakeNextLeader();
    }
    if (item.error) std::rethrow_exception(item.error);
}

}  // namespace parley::core

// One index per widget, in memory, kept in step with the database: edits on this node update it in place;
// a version bumped by another node makes the next question rebuild it. The widget's classifier is trained on
// a background thread and swapped in when done, so neither a question nor an edit waits for it.
#pragma once

#include "index.hpp"
#include "store.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>

namespace parley::knowledge_base {

class IndexCache {
public:
    explicit IndexCache(Store store) : store_(store) {}
    // Waits for a training under way (the queue is dropped).
    ~IndexCache();

    // Runs `fn` on the widget's index under a shared lock, loading it first when it is missing, stale (the
    // stored version moved) or built for another language. Any thread.
    void read(const std::string& tenant, const std::string& widget, const std::string& language,
              const std::function<void(const Index&)>& fn);

    // After this node changed the widget's entries and bumped its version to `version`: applies `change` to the
    // cached index when it was exactly one version behind (the incremental path); otherwise drops it so the
    // next read rebuilds it from the database.
    void edited(const std::string& widget, long long version, const std::function<void(Index&)>& change);

    // Forgets a widget's index (settings such as synonyms changed).
    void drop(const std::string& widget);

    // The language the widget's index was last built for ("" when none is cached).
    std::string language(const std::string& widget);

private:
    struct Cached {
        std::shared_mutex mutex;
        std::unique_ptr<Index> index;
        long long version = -1;
        std::string language;
        uint64_t builds = 0;  // counts the indexes this slot has held, so a late classifier finds its own
    };
    std::shared_ptr<Cached> slot(const std::string& widget);
    // Queues the widget for training when its index wants a classifier; the caller holds its lock.
    void trainLater(const std::shared_ptr<Cached>& c);
    void trainQueued();

    Store store_;
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<Cached>> widgets_;
    std::mutex queue_mutex_;
    std::condition_variable queue_changed_;
    std::deque<std::shared_ptr<Cached>> queue_;
    bool stopping_ = false;
    std::thread trainer_;  // started with the first training
};

}  // namespace parley::knowledge_base

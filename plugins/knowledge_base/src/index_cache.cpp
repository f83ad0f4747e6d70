// The per-widget index cache: a version check per read, a rebuild only when something changed elsewhere.
#include "index_cache.hpp"

#include <algorithm>

namespace parley::knowledge_base {

std::shared_ptr<IndexCache::Cached> IndexCache::slot(const std::string& widget) {
    std::lock_guard lock(mutex_);
    auto& c = widgets_[widget];
    if (!c) c = std::make_shared<Cached>();
    return c;
}

void IndexCache::read(const std::string& tenant, const std::string& widget, const std::string& language,
                      const std::function<void(const Index&)>& fn) {
    auto c = slot(widget);
    long long version = store_.settings(tenant, widget).version;
    {
        std::shared_lock lock(c->mutex);
        if (c->index && c->version == version && (language.empty() || c->language == language)) {
            fn(*c->index);
            return;
        }
    }
    std::unique_lock lock(c->mutex);
    if (!(c->index && c->version == version && (language.empty() || c->language == language))) {
        WidgetSettings settings = store_.settings(tenant, widget);
        IndexSettings s;
        s.language = language.empty() ? (c->language.empty() ? "en" : c->language) : language;
        s.synonyms = settings.synonyms;
        auto index = std::make_unique<Index>(s);
        index->rebuild(store_.entries(tenant, widget, true), false);  // the classifier comes in the background
        c->index = std::move(index);
        c->version = settings.version;
        c->language = s.language;
        ++c->builds;
        trainLater(c);
    }
    fn(*c->index);
}

void IndexCache::edited(const std::string& widget, long long version, const std::function<void(Index&)>& change) {
    auto c = slot(widget);
    std::unique_lock lock(c->mutex);
    if (c->index && c->version == version - 1) {
        change(*c->index);
        c->version = version;
        trainLater(c);
    } else {
        c->index.reset();
        c->version = -1;
    }
}

void IndexCache::drop(const std::string& widget) {
    auto c = slot(widget);
    std::unique_lock lock(c->mutex);
    c->index.reset();
    c->version = -1;
}

IndexCache::~IndexCache() {
    {
        std::lock_guard lock(queue_mutex_);
        stopping_ = true;
        queue_.clear();
    }
    queue_changed_.notify_all();
    if (trainer_.joinable()) trainer_.join();
}

void IndexCache::trainLater(const std::shared_ptr<Cached>& c) {
    if (!c->index || !c->index->modelWanted()) return;
    std::lock_guard lock(queue_mutex_);
    if (stopping_ || std::find(queue_.begin(), queue_.end(), c) != queue_.end()) return;
    queue_.push_back(c);
    if (!trainer_.joinable()) trainer_ = std::thread([this] { trainQueued(); });
    queue_changed_.notify_one();
}

// The trainer thread: copies a widget's training set under its shared lock, trains without any lock (questions
// go on with retrieval alone meanwhile), and installs the classifier under the exclusive lock unless an edit or
// a rebuild came in between (then that change has queued the widget again).
void IndexCache::trainQueued() {
    for (;;) {
        std::shared_ptr<Cached> c;
        {
            std::unique_lock lock(queue_mutex_);
            queue_changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (stopping_) return;
            c = queue_.front();
            queue_.pop_front();
        }
        TrainingSet set;
        std::vector<int> class_slots;
        uint64_t generation = 0, builds = 0;
        ModelOptions options;
        {
            std::shared_lock lock(c->mutex);
            if (!c->index || !c->index->modelWanted()) continue;
            set = c->index->trainingSet(class_slots);
            generation = c->index->generation();
            builds = c->builds;
            options = c->index->options().model;
        }
        LinearModel model = trainSoftmax(set, options);
        std::unique_lock lock(c->mutex);
        if (c->index && c->builds == builds) c->index->installModel(std::move(model), class_slots, generation);
    }
}

std::string IndexCache::language(const std::string& widget) {
    auto c = slot(widget);
    std::shared_lock lock(c->mutex);
    return c->language;
}

}  // namespace parley::knowledge_base

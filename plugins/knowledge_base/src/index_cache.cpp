// The per-widget index cache: a version check per read, a rebuild only when something changed elsewhere.
#include "index_cache.hpp"

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
        index->rebuild(store_.entries(tenant, widget, true));
        c->index = std::move(index);
        c->version = settings.version;
        c->language = s.language;
    }
    fn(*c->index);
}

void IndexCache::edited(const std::string& widget, long long version, const std::function<void(Index&)>& change) {
    auto c = slot(widget);
    std::unique_lock lock(c->mutex);
    if (c->index && c->version == version - 1) {
        change(*c->index);
        c->version = version;
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

std::string IndexCache::language(const std::string& widget) {
    auto c = slot(widget);
    std::shared_lock lock(c->mutex);
    return c->language;
}

}  // namespace parley::knowledge_base

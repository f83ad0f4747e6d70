// The public widget config, rendered once per widget version and served from memory on the hot path.
#pragma once

#include "store/widget_repository.hpp"

#include <memory>
#include <mutex>
#include <map>
#include <string>
#include <unordered_map>

namespace parley::core {

struct App;

// What the public config endpoint needs about one widget, immutable once built.
struct PublicWidget {
    Widget widget;  // secret fields cleared
    std::string tenant_name;
    bool tenant_active = true;
    int tenant_rate_limit_per_minute = 0;
    long long tenant_updated_at = 0;
    JsonObject working_hours;
    std::string body_open, body_closed;  // the JSON response in each working-hours state
    std::string etag_open, etag_closed;
    long long checked_at_ms = 0;  // when the version was last compared with the database
};

class WidgetConfigCache {
public:
    explicit WidgetConfigCache(App& app) : app_(app) {}

    // The widget with this public key (or, when `by_site_id`, seed 000's site id); nullptr when unknown.
    // Entries older than widgets.config_cache_seconds are checked against the database version, so an
    // edit made on another node shows within that time (and at once on this node, via invalidate()).
    std::shared_ptr<const PublicWidget> find(const std::string& key, bool by_site_id = false);

    void invalidate(const std::string& public_key);
    // Drops every widget of a tenant (after its plan, limits or active flag changed).
    void invalidateTenant(const std::string& tenant_id);

    // True when `domain` should be recorded as an installation of the widget: the first time this process
    // sees it, and then at most once an hour (to refresh last_seen_at without a write per request).
    bool dueForRecording(const std::string& widget_id, const std::string& domain, long long now_ms);

private:
    std::shared_ptr<const PublicWidget> build(const Widget& widget);
    App& app_;
    std::mutex mutex_;
    std::unordered_map<std::string, std::shared_ptr<const PublicWidget>> by_key_;
    std::unordered_map<std::string, std::string> site_to_key_;
    std::map<std::pair<std::string, std::string>, long long> recorded_at_;
};

// The public JSON a widget loads: everything in its config plus identity, URLs and open state; no secrets.
JsonObject publicConfigJson(const Widget& widget, const std::string& public_url, bool open);

}  // namespace parley::core

// Builds each widget's public JSON once per version; the request path only picks a body and an ETag.
#include "widgets/widget_config_cache.hpp"

#include "app/app.hpp"
#include "auth/crypto.hpp"
#include "store/database.hpp"
#include "store/tenant_repository.hpp"

namespace parley::core {

JsonObject publicConfigJson(const Widget& w, const std::string& public_url, bool open) {
    JsonObject o = jsonObject();
    o->set("widget_id", w.id);
    o->set("public_key", w.public_key);
    o->set("name", w.name);
    o->set("version", static_cast<Poco::Int64>(w.version));
    o->set("cache_key", w.id + "-" + std::to_string(w.version));
    o->set("api_url", public_url + "/api/v1");
    o->set("websocket_url", (public_url.rfind("https", 0) == 0 ? "wss" + public_url.substr(5)
                                                               : "ws" + public_url.substr(4)) + "/api/v1/realtime");
    o->set("cdn_url", public_url + "/widget/");
    for (const auto& [section, value] : *w.config) o->set(section, value);
    JsonObject status = jsonObject();
    status->set("open", open);
    auto behavior = w.config->getObject("behavior");
    status->set("message", behavior ? behavior->optValue<std::string>(open ? "welcome_message" : "offline_message", "")
                                    : std::string());
    o->set("status", status);
    return o;
}

std::shared_ptr<const PublicWidget> WidgetConfigCache::build(const Widget& widget) {
    auto entry = std::make_shared<PublicWidget>();
    entry->widget = widget;
    entry->widget.secret_ciphertext.clear();
    entry->widget.secret_hint.clear();
    auto tenant = app_.db->read([&](soci::session& sql) { return TenantRepository(sql).find(widget.tenant_id); });
    if (tenant) {
        entry->tenant_name = tenant->name;
        entry->tenant_active = tenant->is_active;
        entry->tenant_rate_limit_per_minute = tenant->rate_limit_per_minute;
        entry->tenant_updated_at = tenant->updated_at;
    }
    entry->working_hours = widget.config->getObject("working_hours");
    std::string url = app_.config.publicUrl();
    entry->body_open = toJson(publicConfigJson(widget, url, true));
    entry->body_closed = toJson(publicConfigJson(widget, url, false));
    entry->etag_open = "\"" + sha256Hex(entry->body_open).substr(0, 24) + "\"";
    entry->etag_closed = "\"" + sha256Hex(entry->body_closed).substr(0, 24) + "\"";
    entry->checked_at_ms = nowMs();
    return entry;
}

std::shared_ptr<const PublicWidget> WidgetConfigCache::find(const std::string& key_or_site, bool by_site_id) {
    long long now = nowMs();
    const long long ttl = app_.config.widgets.config_cache_seconds * 1000LL;
    std::string key = key_or_site;
    std::shared_ptr<const PublicWidget> cached;
    {
        std::lock_guard lock(mutex_);
        if (by_site_id) {
            auto s = site_to_key_.find(key_or_site);
            key = s == site_to_key_.end() ? "" : s->second;
        }
        auto it = key.empty() ? by_key_.end() : by_key_.find(key);
        if (it != by_key_.end()) cached = it->second;
    }
    if (cached && now - cached->checked_at_ms < ttl) return cached;
    if (cached) {
        auto fresh = app_.db->read([&](soci::session& sql) { return WidgetRepository(sql).freshnessOf(key); });
        if (fresh && fresh->first == cached->widget.version && fresh->second == cached->tenant_updated_at) {
            auto refreshed = std::make_shared<PublicWidget>(*cached);
            refreshed->checked_at_ms = now;
            std::lock_guard lock(mutex_);
            by_key_[key] = refreshed;
            return refreshed;
        }
    }
    auto widget = app_.db->read([&](soci::session& sql) {
        WidgetRepository widgets(sql);
        if (by_site_id) {
            auto w = widgets.findBySiteId(key_or_site);
            return w ? w : widgets.findByPublicKey(key_or_site);
        }
        return widgets.findByPublicKey(key_or_site);
    });
    if (!widget) {
        std::lock_guard lock(mutex_);
        if (!key.empty()) by_key_.erase(key);
        return nullptr;
    }
    auto entry = build(*widget);
    std::lock_guard lock(mutex_);
    by_key_[widget->public_key] = entry;
    if (by_site_id) site_to_key_[key_or_site] = widget->public_key;
    return entry;
}

void WidgetConfigCache::invalidate(const std::string& public_key) {
    std::lock_guard lock(mutex_);
    by_key_.erase(public_key);
}

void WidgetConfigCache::invalidateTenant(const std::string& tenant_id) {
    std::lock_guard lock(mutex_);
    for (auto it = by_key_.begin(); it != by_key_.end();)
        it = it->second->widget.tenant_id == tenant_id ? by_key_.erase(it) : std::next(it);
}

bool WidgetConfigCache::dueForRecording(const std::string& widget_id, const std::string& domain, long long now_ms) {
    constexpr long long kRefresh = 3'600'000;
    std::lock_guard lock(mutex_);
    if (recorded_at_.size() > 100'000) recorded_at_.clear();
    auto [it, inserted] = recorded_at_.try_emplace({widget_id, domain}, now_ms);
    if (inserted) return true;
    if (now_ms - it->second < kRefresh) return false;
    it->second = now_ms;
    return true;
}

}  // namespace parley::core

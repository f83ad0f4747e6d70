// The widget's public config: origin checks, CORS for allowed origins only, ETags, plan rate limits,
// installation tracking, and seed 000's /api/load-config compatibility route.
#include "app/app.hpp"
#include "app/errors.hpp"
#include "http/router.hpp"
#include "http/routes.hpp"
#include "store/database.hpp"
#include "widgets/origin_policy.hpp"
#include "widgets/widget_config_cache.hpp"
#include "widgets/working_hours.hpp"

namespace parley::core {
namespace {

std::string keyPreview(const std::string& key) { return key.size() > 10 ? key.substr(0, 8) + "…" : key; }

std::string joinDomains(const std::vector<std::string>& domains) {
    std::string out;
    for (const auto& d : domains) out += (out.empty() ? "" : ", ") + d;
    return out.empty() ? "none" : out;
}

}  // namespace

std::shared_ptr<const PublicWidget> admitWidgetRequest(RequestContext& ctx, const std::string& key, bool by_site_id) {
    // Answers differ by Origin (CORS), so shared caches must key on it even when it is absent.
    ctx.response.set("Vary", "Origin");
    std::string origin = ctx.request.get("Origin", "");
    // Errors that reveal nothing about which sites are allowed are readable cross-origin, so an embedded
    // loader can tell "unknown key" from "server down" and say so in the console.
    auto readable = [&] {
        if (!origin.empty()) ctx.response.set("Access-Control-Allow-Origin", origin);
    };
    auto entry = ctx.app.widget_configs->find(key, by_site_id);
    if (!entry) {
        readable();
        throw ApiError(404, "widget_not_found", std::string("no widget has the ") + (by_site_id ? "site id or key" : "key") +
                                                    " '" + keyPreview(key) + "'");
    }
    const Widget& w = entry->widget;
    if (!w.is_active || !entry->tenant_active) {
        readable();
        throw ApiError(403, "widget_inactive", "widget '" + keyPreview(w.public_key) + "' is switched off");
    }
    if (!origin.empty() && origin != "null") {
        std::string host = originHost(origin);
        switch (checkOrigin(w.allowed_domains, w.blocked_domains, host)) {
            case OriginVerdict::blocked:
                throw ApiError(403, "origin_blocked",
                               "widget '" + keyPreview(w.public_key) + "' blocks origin '" + origin + "'");
            case OriginVerdict::not_allowed:
                throw ApiError(403, "origin_not_allowed", "widget '" + keyPreview(w.public_key) +
                                                              "' does not allow origin '" + origin +
                                                              "' (allowed: " + joinDomains(w.allowed_domains) + ")");
            case OriginVerdict::allowed:
                break;
        }
        ctx.response.set("Access-Control-Allow-Origin", origin);
        if (!host.empty() && ctx.app.widget_configs->dueForRecording(w.id, host, nowMs())) {
            ctx.app.db->write([&](soci::session& sql) { WidgetRepository(sql).recordInstallation(w, host, nowMs()); });
        }
    }
    int wait = ctx.app.tenant_limiter.hit("tenant:" + w.tenant_id, entry->tenant_rate_limit_per_minute, nowMs());
    if (wait > 0)
        throw tooManyRequests("tenant_rate_limited", "this site's plan allows " +
                                                         std::to_string(entry->tenant_rate_limit_per_minute) +
                                                         " requests per minute; retry in " + std::to_string(wait) + " s",
                              wait);
    return entry;
}

namespace {
std::shared_ptr<const PublicWidget> admit(RequestContext& ctx, const std::string& key, bool by_site_id) {
    return admitWidgetRequest(ctx, key, by_site_id);
}
}  // namespace

void registerPublicWidgetRoutes(Router& router) {
    router.add("GET", "/api/v1/widgets/{key}/config", Guard::public_api, [](RequestContext& ctx) {
        auto entry = admit(ctx, ctx.param("key"), false);
        bool open = isOpenAt(entry->working_hours, nowMs());
        const std::string& etag = open ? entry->etag_open : entry->etag_closed;
        ctx.response.set("ETag", etag);
        int max_age = ctx.app.config.widgets.config_max_age_seconds;
        // max-age 0 (the default): browsers revalidate every load with If-None-Match, so an edit shows at once
        // and an unchanged config costs a 304.
        ctx.response.set("Cache-Control", max_age > 0 ? "public, max-age=" + std::to_string(max_age) : "no-cache");
        if (ctx.request.get("If-None-Match", "") == etag) {
            ctx.sendEmpty(304);
            return;
        }
        ctx.sendRaw(200, "application/json; charset=utf-8", open ? entry->body_open : entry->body_closed);
    });
    router.add("OPTIONS", "/api/v1/widgets/{key}/config", Guard::public_api, [](RequestContext& ctx) {
        admit(ctx, ctx.param("key"), false);
        ctx.response.set("Access-Control-Allow-Methods", "GET, OPTIONS");
        ctx.response.set("Access-Control-Allow-Headers", "Content-Type, If-None-Match");
        ctx.response.set("Access-Control-Max-Age", "600");
        ctx.sendEmpty(204);
    });
    // Seed 000's embed, ChatWidget.setup({siteId}), loads its config here; siteId may also be a public key.
    router.add("GET", "/api/load-config", Guard::public_api, [](RequestContext& ctx) {
        auto site = ctx.query("siteId");
        if (!site || site->empty()) throw badRequest("missing_parameter", "query parameter 'siteId' is required");
        auto entry = admit(ctx, *site, true);
        bool open = isOpenAt(entry->working_hours, nowMs());
        JsonObject out = jsonObject();
        out->set("success", true);
        out->set("siteId", *site);
        out->set("clientName", entry->tenant_name);
        out->set("config", parseJson(open ? entry->body_open : entry->body_closed));
        out->set("source", std::string("parley"));
        ctx.response.set("Cache-Control", "no-cache");
        ctx.sendJson(200, out);
    });
}

}  // namespace parley::core

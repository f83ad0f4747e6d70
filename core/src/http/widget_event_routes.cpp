// Widget events (loaded, opened, closed) reported by the embedded widget, and the CORS preflight of the
// visitor's write calls, so a widget on another origin may POST JSON with its visitor token.
#include "app/app.hpp"
#include "app/errors.hpp"
#include "http/router.hpp"
#include "http/routes.hpp"
#include "store/conversation_repository.hpp"
#include "store/database.hpp"
#include "widgets/widget_config_cache.hpp"

namespace parley::core {

void registerWidgetEventRoutes(Router& router) {
    // Body {type: loaded|opened|closed, page_url, utm, visitor_id, conversation_id}. Each is counted in
    // /metrics; opened and closed also become chat.opened / chat.closed outbox events for webhooks.
    router.add("POST", "/api/v1/widgets/{key}/events", Guard::public_api, [](RequestContext& ctx) {
        auto widget = admitWidgetRequest(ctx, ctx.param("key"), false);
        JsonObject body = ctx.json();
        std::string type = reqString(body, "type", 20);
        if (type != "loaded" && type != "opened" && type != "closed")
            throw invalidField("type", "must be loaded, opened or closed (got '" + type + "')");
        JsonObject utm = optObject(body, "utm").value_or(jsonObject());
        if (toJson(utm).size() > 4096) throw invalidField("utm", "is larger than 4 KiB");
        JsonObject event = jsonObject();
        event->set("widget_id", widget->widget.id);
        event->set("public_key", widget->widget.public_key);
        event->set("page_url", optString(body, "page_url", 2000).value_or(""));
        event->set("visitor_id", optString(body, "visitor_id", 100).value_or(""));
        event->set("conversation_id", optString(body, "conversation_id", 36).value_or(""));
        event->set("utm", utm);
        event->set("at", nowMs());
        ctx.app.metrics.addToCounter("parley_widget_" + type + "_total", 1);
        if (type != "loaded") {
            ctx.app.db->write([&](soci::session& sql) {
                appendOutboxEvent(sql, widget->widget.tenant_id, "chat." + type, event);
            });
        }
        ctx.sendEmpty(204);
    });
    // Preflight: JSON bodies and the X-Visitor-Token / X-File-Name headers are not "simple" cross-origin.
    auto preflight = [](RequestContext& ctx) {
        admitWidgetRequest(ctx, ctx.param("key"), false);
        ctx.response.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
        ctx.response.set("Access-Control-Allow-Headers", "Content-Type, X-Visitor-Token, X-File-Name");
        ctx.response.set("Access-Control-Max-Age", "600");
        ctx.sendEmpty(204);
    };
    router.add("OPTIONS", "/api/v1/widgets/{key}/events", Guard::public_api, preflight);
    router.add("OPTIONS", "/api/v1/widgets/{key}/conversations/*", Guard::public_api, preflight);
}

}  // namespace parley::core

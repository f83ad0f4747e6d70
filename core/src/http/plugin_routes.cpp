// Plugin status and the prefixes under which plugins serve: /api/v1/plugins/<id>/... and /hooks/<id>/...
#include "app/app.hpp"
#include "http/router.hpp"
#include "http/routes.hpp"
#include "plugin/plugin_host.hpp"

namespace parley::core {

void registerPluginRoutes(Router& router) {
    router.add("GET", "/api/v1/plugins", Guard::signed_in, [](RequestContext& ctx) {
        JsonArray list = jsonArray();
        for (const auto& s : ctx.app.plugins->status()) {
            JsonObject o = s.toJson();
            // Configuration (even masked) is the operator's business; members see what is loaded and why not.
            if (!ctx.principal().is_super_admin) o->remove("config");
            list->add(o);
        }
        JsonObject body = jsonObject();
        body->set("plugins", list);
        ctx.sendJson(200, body);
    });
    router.add("*", "/api/v1/plugins/{id}/*", Guard::signed_in,
               [](RequestContext& ctx) { ctx.app.plugins->handleRoute(ctx, PARLEY_ROUTE_ADMIN); });
    // Webhooks from outside (Meta, CRMs) arrive here; each plugin checks its own signatures. No per-IP limit:
    // a provider sends bursts from few addresses.
    router.add("*", "/hooks/{id}/*", Guard::open,
               [](RequestContext& ctx) { ctx.app.plugins->handleRoute(ctx, PARLEY_ROUTE_PUBLIC); });
}

}  // namespace parley::core

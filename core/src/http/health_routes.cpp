// Liveness, readiness, seed 004's /api/health and Prometheus /metrics.
#include "app/app.hpp"
#include "http/router.hpp"
#include "http/routes.hpp"
#include "store/database.hpp"

namespace parley::core {

void registerHealthRoutes(Router& router) {
    router.add("GET", "/healthz", Guard::open, [](RequestContext& ctx) {
        JsonObject o = jsonObject();
        o->set("status", std::string("ok"));
        ctx.sendJson(200, o);
    });
    router.add("GET", "/readyz", Guard::open, [](RequestContext& ctx) {
        bool ok = ctx.app.db->ping();
        JsonObject o = jsonObject();
        o->set("status", std::string(ok ? "ready" : "unavailable"));
        o->set("database", std::string(ok ? "ok" : "unreachable"));
        ctx.sendJson(ok ? 200 : 503, o);
    });
    router.add("GET", "/api/health", Guard::open, [](RequestContext& ctx) {
        bool ok = ctx.app.db->ping();
        JsonObject o = jsonObject();
        o->set("status", std::string(ok ? "ok" : "degraded"));
        o->set("database", std::string(ok ? "connected" : "disconnected"));
        o->set("uptime", static_cast<Poco::Int64>((nowMs() - ctx.app.started_at_ms) / 1000));
        o->set("version", std::string(PARLEY_VERSION));
        ctx.sendJson(ok ? 200 : 503, o);
    });
    router.add("GET", "/metrics", Guard::open, [](RequestContext& ctx) {
        ctx.sendRaw(200, "text/plain; version=0.0.4; charset=utf-8", ctx.app.metrics.render());
    });
}

}  // namespace parley::core

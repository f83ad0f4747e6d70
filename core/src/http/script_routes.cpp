// Lua rules for operators: the status of every script file, and a reload that re-reads them all.
#include "app/app.hpp"
#include "http/router.hpp"
#include "http/routes.hpp"
#include "lua/script_engine.hpp"

namespace parley::core {

void registerScriptRoutes(Router& router) {
    router.add("GET", "/api/v1/scripts", Guard::signed_in, [](RequestContext& ctx) {
        requireSuperAdmin(ctx.principal());
        ctx.sendJson(200, scriptStatusJson(ctx.app.scripts->scriptsDir(), ctx.app.scripts->status()));
    });
    // 200 even when a file failed to load: the body says which and why, and its previous version runs on.
    router.add("POST", "/api/v1/scripts/reload", Guard::signed_in, [](RequestContext& ctx) {
        requireSuperAdmin(ctx.principal());
        auto files = ctx.app.scripts->reload(true);
        ctx.sendJson(200, scriptStatusJson(ctx.app.scripts->scriptsDir(), files));
    });
}

}  // namespace parley::core

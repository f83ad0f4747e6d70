// GET /api/v1/realtime: the one WebSocket endpoint. Visitors name their widget (?key=pk_…, origin-checked like
// every widget call) and prove their conversation in the hello frame; agents sign in as for the API (cookie or
// bearer) and name the tenant in the hello frame. Everything after the upgrade is realtime/.
#include "app/app.hpp"
#include "app/errors.hpp"
#include "auth/auth_service.hpp"
#include "http/router.hpp"
#include "http/routes.hpp"
#include "realtime/hub.hpp"
#include "realtime/ws_upgrade.hpp"
#include "widgets/widget_config_cache.hpp"

#include <Poco/String.h>

namespace parley::core {

void registerRealtimeRoutes(Router& router) {
    router.add("GET", "/api/v1/realtime", Guard::public_api, [](RequestContext& ctx) {
        std::string problem = realtime::upgradeProblem(ctx.request);
        if (!problem.empty()) {
            if (Poco::toLower(problem).find("version") != std::string::npos) {
                ctx.response.set("Sec-WebSocket-Version", "13");
                throw ApiError(426, "upgrade_required", problem);
            }
            throw badRequest("not_a_websocket", "this endpoint speaks WebSocket only: " + problem);
        }
        realtime::Admission admission;
        if (auto key = ctx.query("key")) {
            auto widget = admitWidgetRequest(ctx, *key, false);
            admission.role = "visitor";
            admission.widget_id = widget->widget.id;
            admission.tenant_id = widget->widget.tenant_id;
        } else {
            authenticate(ctx, false);
            const Principal& who = ctx.principal();
            admission.role = "agent";
            admission.user_id = who.user_id;
            admission.name = who.name;
            admission.via_cookie = who.via_cookie;
            admission.csrf_token = who.csrf_token;
            admission.super_admin = who.is_super_admin;
            for (const auto& [tenant, role] : who.roles) admission.roles[tenant] = roleName(role);
        }
        ctx.app.realtime->accept(ctx.request, ctx.response, std::move(admission));
        ctx.markUpgraded();
    });
}

}  // namespace parley::core

// Hooks wrap a plugin's C callback into the registry; routes match the plugin's own paths and answer errors
// in the platform's JSON shape.
#include "plugin/loaded_plugin.hpp"

#include "app/app.hpp"
#include "app/errors.hpp"
#include "http/request_context.hpp"
#include "http/router.hpp"

#include <Poco/String.h>

namespace parley::core {
namespace {

// The same matching as the router's: "{name}" segments match any non-empty segment.
bool matches(const std::string& pattern, const std::string& path) {
    auto a = splitPath(pattern), b = splitPath(path);
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (!(isParameterSegment(a[i]) ? !b[i].empty() : a[i] == b[i])) return false;
    return true;
}

}  // namespace

HookFn wrapNativeHook(parley_hook_fn fn, void* user, bool filter) {
    return [fn, user, filter](Event& event) {
        parley_event e{&event, filter, {}};
        clearPluginError();
        int rc = fn(user, &e);
        if (rc != PARLEY_OK) {
            std::string message = pluginError();
            throw std::runtime_error("hook failed (status " + std::to_string(rc) + ")" +
                                     (message.empty() ? "" : ": " + message));
        }
        return e.outcome;
    };
}

void PluginHost::Loaded::publishHooks(HookRegistry& registry) {
    std::vector<std::tuple<std::string, int, HookKind, HookFn>> list;
    for (const auto& h : hooks) {
        HookKind kind = h.kind == PARLEY_HOOK_FILTER ? HookKind::filter : HookKind::notification;
        list.emplace_back(h.event, h.priority, kind, wrapNativeHook(h.fn, h.user, kind == HookKind::filter));
    }
    registry.replaceOwner(manifest.id, std::move(list));
}

void PluginHost::Loaded::serve(RequestContext& ctx, int visibility) {
    std::string rest = ctx.param("*");
    if (rest.empty()) rest = "/";
    const std::string& method = ctx.request.getMethod();
    const PluginRoute* route = nullptr;
    std::string allowed;
    for (const auto& r : routes) {
        if (r.visibility != visibility || !matches(r.path, rest)) continue;
        allowed += (allowed.empty() ? "" : ", ") + r.method;
        if (!route && (r.method == method || (method == "HEAD" && r.method == "GET"))) route = &r;
    }
    if (!route) {
        if (!allowed.empty()) {
            ctx.response.set("Allow", allowed);
            throw ApiError(405, "method_not_allowed", method + " is not allowed on " + ctx.path() + " (allowed: " + allowed + ")");
        }
        throw notFound("plugin '" + manifest.id + "' has no route " + method + " " + rest);
    }
    // The caller's tenant and role, for admin routes: the tenant comes from X-Parley-Tenant or ?tenant=.
    std::string tenant, role, user;
    if (visibility == PARLEY_ROUTE_ADMIN && ctx.principal_) {
        const Principal& who = ctx.principal();
        user = who.user_id;
        tenant = ctx.request.get("X-Parley-Tenant", ctx.query("tenant").value_or(""));
        if (!tenant.empty()) {
            tenant = Poco::toLower(tenant);
            requireAccess(who, tenant, Access::read);  // 404 for a tenant the caller is not in
            role = who.is_super_admin ? "super_admin" : roleName(*who.roleIn(tenant));
        } else if (who.is_super_admin) {
            role = "super_admin";
        }
    }
    std::string query;
    auto q = ctx.request.getURI().find('?');
    if (q != std::string::npos) query = ctx.request.getURI().substr(q + 1);
    const std::string& body = ctx.body();
    std::string ip_hash = ctx.ipHash();
    PluginRequest request{{sizeof(parley_request), method.c_str(), rest.c_str(), query.c_str(), body.data(), body.size(),
                           tenant.c_str(), role.c_str(), user.c_str(), ip_hash.c_str()},
                          &ctx};
    parley_response response{&ctx};
    int rc = PARLEY_ERR_INTERNAL;
    std::string error;
    clearPluginError();
    try {
        rc = route->fn(route->user, &request.request, &response);
        error = pluginError();
    } catch (const std::exception& e) {
        error = std::string("threw: ") + e.what();
    } catch (...) {
        error = "threw an unknown exception";
    }
    if (response.responded) return;
    if (rc != PARLEY_OK || !error.empty()) {
        ctx.app.log->error("plugin '" + manifest.id + "' route " + method + " " + rest + " failed: " + error);
        throw ApiError(500, "plugin_error", "plugin '" + manifest.id + "' failed: " + (error.empty() ? "no message" : error));
    }
    throw ApiError(500, "plugin_error", "plugin '" + manifest.id + "' did not answer " + method + " " + rest);
}

}  // namespace parley::core

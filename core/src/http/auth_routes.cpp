// Sign in and out, who am I, password change.
#include "app/app.hpp"
#include "app/errors.hpp"
#include "auth/auth_service.hpp"
#include "http/router.hpp"
#include "http/routes.hpp"
#include "store/database.hpp"
#include "store/tenant_repository.hpp"

#include <Poco/Net/HTTPCookie.h>

namespace parley::core {
namespace {

JsonObject principalJson(App& app, const Principal& who) {
    JsonObject user = jsonObject();
    user->set("id", who.user_id);
    user->set("email", who.email);
    user->set("name", who.name);
    user->set("is_super_admin", who.is_super_admin);
    user->set("must_change_password", who.must_change_password);
    JsonArray tenants = jsonArray();
    auto list = app.db->read([&](soci::session& sql) { return TenantRepository(sql).listForUser(who.user_id); });
    for (const auto& t : list) {
        JsonObject m = jsonObject();
        m->set("id", t.id);
        m->set("name", t.name);
        auto role = who.roles.find(t.id);
        if (role == who.roles.end()) continue;  // joined after this request read the roles
        m->set("role", std::string(roleName(role->second)));
        tenants->add(m);
    }
    JsonObject o = jsonObject();
    o->set("user", user);
    o->set("tenants", tenants);
    o->set("csrf_token", who.csrf_token);
    return o;
}

void setCookie(RequestContext& ctx, const std::string& name, const std::string& value, int max_age, bool http_only) {
    Poco::Net::HTTPCookie cookie(name, value);
    cookie.setPath("/");
    cookie.setMaxAge(max_age);
    cookie.setHttpOnly(http_only);
    cookie.setSecure(ctx.app.config.security.cookie_secure);
    cookie.setSameSite(Poco::Net::HTTPCookie::SAME_SITE_STRICT);
    ctx.response.addCookie(cookie);
}

}  // namespace

void registerAuthRoutes(Router& router) {
    router.add("POST", "/api/v1/auth/login", Guard::open,  // has its own per-IP limit
               [](RequestContext& ctx) {
        App& app = ctx.app;
        int wait = app.ip_limiter.hit("login:" + ctx.clientIp(), app.config.rate_limits.login_per_ip_per_minute, nowMs());
        if (wait > 0)
            throw tooManyRequests("rate_limited", "too many sign-in attempts from this address; retry in " +
                                                      std::to_string(wait) + " s", wait);
        JsonObject body = ctx.json();
        std::string email = Poco::toLower(Poco::trim(reqString(body, "email", 254)));
        std::string password = reqString(body, "password", 1024);
        std::string mode = optString(body, "mode", 10).value_or("cookie");
        if (mode != "cookie" && mode != "bearer") throw invalidField("mode", "must be 'cookie' or 'bearer'");
        LoginResult result = login(app, email, password, mode, ctx.ipHash(), ctx.request.get("User-Agent", ""));
        JsonObject out = principalJson(app, result.principal);
        out->set("expires_at", static_cast<Poco::Int64>(result.expires_at));
        if (mode == "bearer") {
            out->set("token", result.token);
        } else {
            int max_age = app.config.security.session_absolute_hours * 3600;
            setCookie(ctx, kSessionCookie, result.token, max_age, true);
            setCookie(ctx, kCsrfCookie, result.csrf_token, max_age, false);
        }
        ctx.sendJson(200, out);
    });
    router.add("POST", "/api/v1/auth/logout", Guard::signed_in_any, [](RequestContext& ctx) {
        logout(ctx.app, ctx.principal());
        setCookie(ctx, kSessionCookie, "", 0, true);
        setCookie(ctx, kCsrfCookie, "", 0, false);
        ctx.sendEmpty(204);
    });
    router.add("GET", "/api/v1/auth/me", Guard::signed_in_any,
               [](RequestContext& ctx) { ctx.sendJson(200, principalJson(ctx.app, ctx.principal())); });
    router.add("POST", "/api/v1/auth/password", Guard::signed_in_any, [](RequestContext& ctx) {
        JsonObject body = ctx.json();
        changePassword(ctx.app, ctx.principal(), reqString(body, "current_password", 1024),
                       reqString(body, "new_password", 1024));
        ctx.sendEmpty(204);
    });
}

}  // namespace parley::core

// Tenants: super admins create and remove them and set plans; client admins rename theirs; members read.
#include "app/app.hpp"
#include "app/errors.hpp"
#include "http/router.hpp"
#include "http/routes.hpp"
#include "store/audit.hpp"
#include "store/database.hpp"
#include "store/tenant_repository.hpp"
#include "widgets/widget_config_cache.hpp"

#include <Poco/String.h>

namespace parley::core {
namespace {

std::string slugify(const std::string& name) {
    std::string slug;
    for (char c : Poco::toLower(name)) {
        if (std::isalnum(static_cast<unsigned char>(c))) slug.push_back(c);
        else if (!slug.empty() && slug.back() != '-') slug.push_back('-');
    }
    while (!slug.empty() && slug.back() == '-') slug.pop_back();
    return slug.empty() ? "tenant" : slug.substr(0, 60);
}

void checkSlug(const std::string& slug) {
    if (slug.empty() || slug.size() > 60) throw invalidField("slug", "must be 1 to 60 characters");
    for (char c : slug)
        if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-'))
            throw invalidField("slug", "may hold only a-z, 0-9 and '-' (got '" + slug + "')");
}

// Applies plan and explicit limits from a request body (super admins only).
void applyPlanFields(const JsonObject& body, Tenant& t) {
    if (auto plan = optString(body, "plan", 40)) {
        const Plan* p = findPlan(*plan);
        if (!p) {
            std::string names;
            for (const auto& each : plans()) names += (names.empty() ? "" : ", ") + each.name;
            throw invalidField("plan", "must be one of: " + names + " (got '" + *plan + "')");
        }
        t.plan = p->name;
        t.max_widgets = p->max_widgets;
        t.max_agents = p->max_agents;
        t.rate_limit_per_minute = p->rate_limit_per_minute;
    }
    if (auto limits = optObject(body, "limits")) {
        // Errors name the full path ("limits.max_widgets"), like config errors do.
        auto read = [&](const char* name, long long max) {
            try {
                return optInt(*limits, name, 0, max);
            } catch (const ApiError& e) {
                std::string message = e.what();
                throw invalidField(std::string("limits.") + name, message.substr(message.find("' ") + 2));
            }
        };
        if (auto v = read("max_widgets", 100000)) t.max_widgets = static_cast<int>(*v);
        if (auto v = read("max_agents", 100000)) t.max_agents = static_cast<int>(*v);
        if (auto v = read("rate_limit_per_minute", 100000000)) t.rate_limit_per_minute = static_cast<int>(*v);
    }
    if (auto active = optBool(body, "is_active")) t.is_active = *active;
}

Tenant loadTenant(RequestContext& ctx, soci::session& sql, const std::string& id) {
    auto t = TenantRepository(sql).find(id);
    if (!t) throw notFound("tenant '" + id + "' not found");
    return *t;
}

}  // namespace

void registerTenantRoutes(Router& router) {
    router.add("GET", "/api/v1/plans", Guard::signed_in, [](RequestContext& ctx) {
        JsonArray out = jsonArray();
        for (const auto& p : plans()) {
            JsonObject o = jsonObject();
            o->set("name", p.name);
            o->set("max_widgets", p.max_widgets);
            o->set("max_agents", p.max_agents);
            o->set("rate_limit_per_minute", p.rate_limit_per_minute);
            out->add(o);
        }
        JsonObject body = jsonObject();
        body->set("plans", out);
        ctx.sendJson(200, body);
    });
    router.add("GET", "/api/v1/tenants", Guard::signed_in, [](RequestContext& ctx) {
        const Principal& who = ctx.principal();
        auto list = ctx.app.db->read([&](soci::session& sql) {
            TenantRepository tenants(sql);
            return who.is_super_admin ? tenants.listAll() : tenants.listForUser(who.user_id);
        });
        JsonArray out = jsonArray();
        for (const auto& t : list) out->add(t.toJson());
        JsonObject body = jsonObject();
        body->set("tenants", out);
        ctx.sendJson(200, body);
    });
    router.add("POST", "/api/v1/tenants", Guard::signed_in, [](RequestContext& ctx) {
        requireSuperAdmin(ctx.principal());
        JsonObject body = ctx.json();
        Tenant t;
        t.id = newUuid();
        t.name = Poco::trim(reqString(body, "name", 200));
        if (t.name.empty()) throw invalidField("name", "must not be empty");
        t.slug = optString(body, "slug", 60).value_or(slugify(t.name));
        checkSlug(t.slug);
        const Plan* starter = findPlan("starter");
        t.plan = starter->name;
        t.max_widgets = starter->max_widgets;
        t.max_agents = starter->max_agents;
        t.rate_limit_per_minute = starter->rate_limit_per_minute;
        applyPlanFields(body, t);
        t.created_at = t.updated_at = nowMs();
        ctx.app.db->write([&](soci::session& sql) {
            TenantRepository tenants(sql);
            if (tenants.findBySlug(t.slug)) throw conflict("slug_taken", "a tenant with slug '" + t.slug + "' exists");
            tenants.insert(t);
            audit(ctx, sql, t.id, "tenant.created", "tenant", t.id, nullptr, t.toJson());
        });
        ctx.sendJson(201, t.toJson());
    });
    router.add("GET", "/api/v1/tenants/{tenant_id}", Guard::signed_in, [](RequestContext& ctx) {
        std::string id = ctx.param("tenant_id", true);
        requireAccess(ctx.principal(), id, Access::read);
        Tenant t = ctx.app.db->read([&](soci::session& sql) { return loadTenant(ctx, sql, id); });
        JsonObject out = t.toJson();
        auto usage = jsonObject();
        ctx.app.db->read([&](soci::session& sql) {
            TenantRepository tenants(sql);
            usage->set("widgets", tenants.countWidgets(id));
            usage->set("agents", tenants.countAgents(id));
        });
        out->set("usage", usage);
        ctx.sendJson(200, out);
    });
    router.add("PATCH", "/api/v1/tenants/{tenant_id}", Guard::signed_in, [](RequestContext& ctx) {
        std::string id = ctx.param("tenant_id", true);
        requireAccess(ctx.principal(), id, Access::manage);
        JsonObject body = ctx.json();
        bool plan_fields = body->has("plan") || body->has("limits") || body->has("is_active");
        if (plan_fields && !ctx.principal().is_super_admin)
            throw forbidden("only a super_admin can change plan, limits or is_active");
        Tenant after = ctx.app.db->write([&](soci::session& sql) {
            Tenant t = loadTenant(ctx, sql, id);
            JsonObject before = t.toJson();
            if (auto name = optString(body, "name", 200)) {
                if (Poco::trim(*name).empty()) throw invalidField("name", "must not be empty");
                t.name = Poco::trim(*name);
            }
            if (auto slug = optString(body, "slug", 60)) {
                checkSlug(*slug);
                auto other = TenantRepository(sql).findBySlug(*slug);
                if (other && other->id != id) throw conflict("slug_taken", "a tenant with slug '" + *slug + "' exists");
                t.slug = *slug;
            }
            applyPlanFields(body, t);
            t.updated_at = nowMs();
            TenantRepository(sql).update(t);
            audit(ctx, sql, id, "tenant.updated", "tenant", id, before, t.toJson());
            return t;
        });
        ctx.app.widget_configs->invalidateTenant(id);
        ctx.sendJson(200, after.toJson());
    });
    router.add("DELETE", "/api/v1/tenants/{tenant_id}", Guard::signed_in, [](RequestContext& ctx) {
        std::string id = ctx.param("tenant_id", true);
        requireAccess(ctx.principal(), id, Access::manage);
        requireSuperAdmin(ctx.principal());
        ctx.app.db->write([&](soci::session& sql) {
            Tenant t = loadTenant(ctx, sql, id);
            TenantRepository(sql).remove(id);
            audit(ctx, sql, id, "tenant.deleted", "tenant", id, t.toJson(), nullptr);
        });
        ctx.app.widget_configs->invalidateTenant(id);
        ctx.sendEmpty(204);
    });
}

}  // namespace parley::core

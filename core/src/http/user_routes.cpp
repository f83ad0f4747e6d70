// A tenant's people: list members, invite (creating the user with a one-time password), change role, remove.
#include "app/app.hpp"
#include "app/errors.hpp"
#include "auth/password.hpp"
#include "http/router.hpp"
#include "http/routes.hpp"
#include "store/audit.hpp"
#include "store/database.hpp"
#include "store/tenant_repository.hpp"
#include "store/user_repository.hpp"

#include <Poco/String.h>

namespace parley::core {
namespace {

Role roleField(const JsonObject& body) {
    std::string name = reqString(body, "role", 40);
    auto role = parseRole(name);
    if (!role) throw invalidField("role", "must be client_admin, client_user or agent (got '" + name + "')");
    return *role;
}

// Refuses a new agent beyond the tenant's plan.
void checkAgentLimit(soci::session& sql, const std::string& tenant_id) {
    auto tenant = TenantRepository(sql).find(tenant_id);
    if (!tenant) throw notFound("tenant '" + tenant_id + "' not found");
    int agents = TenantRepository(sql).countAgents(tenant_id);
    if (tenant->max_agents > 0 && agents >= tenant->max_agents)
        throw conflict("plan_limit_reached", "tenant '" + tenant->name + "' has reached its plan's maximum of " +
                                                 std::to_string(tenant->max_agents) + " agents (plan '" + tenant->plan +
                                                 "'); remove an agent or ask for a larger plan");
}

// A tenant keeps at least one client_admin, so someone can always manage it.
void checkNotLastAdmin(UserRepository& users, const std::string& tenant_id, const Member& target) {
    if (target.role != Role::client_admin) return;
    int admins = 0;
    for (const auto& m : users.members(tenant_id))
        if (m.role == Role::client_admin) admins++;
    if (admins <= 1)
        throw conflict("last_admin", "'" + target.user.email +
                                         "' is this tenant's only client_admin; make someone else client_admin first");
}

}  // namespace

void registerUserRoutes(Router& router) {
    router.add("GET", "/api/v1/tenants/{tenant_id}/users", Guard::signed_in, [](RequestContext& ctx) {
        std::string tid = ctx.param("tenant_id", true);
        requireAccess(ctx.principal(), tid, Access::read_people);
        auto members = ctx.app.db->read([&](soci::session& sql) {
            if (!TenantRepository(sql).find(tid)) throw notFound("tenant '" + tid + "' not found");
            return UserRepository(sql).members(tid);
        });
        JsonArray out = jsonArray();
        for (const auto& m : members) out->add(m.toJson());
        JsonObject body = jsonObject();
        body->set("users", out);
        ctx.sendJson(200, body);
    });
    router.add("POST", "/api/v1/tenants/{tenant_id}/users", Guard::signed_in, [](RequestContext& ctx) {
        std::string tid = ctx.param("tenant_id", true);
        requireAccess(ctx.principal(), tid, Access::manage);
        JsonObject body = ctx.json();
        std::string email = normalizeEmail("email", reqString(body, "email", 254));
        Role role = roleField(body);
        std::string name = Poco::trim(optString(body, "name", 200).value_or(email.substr(0, email.find('@'))));
        PasswordPolicy policy{ctx.app.config.security.argon2_memory_kib, ctx.app.config.security.argon2_iterations,
                              ctx.app.config.security.min_password_length};
        std::optional<std::string> given_password = optString(body, "password", 1024);
        if (given_password) checkPasswordStrength("password", *given_password, policy);
        std::string one_time = given_password ? "" : generatePassword();
        std::string hash = hashPassword(given_password ? *given_password : one_time, policy);
        bool created = false;
        Member member = ctx.app.db->write([&](soci::session& sql) {
            if (!TenantRepository(sql).find(tid)) throw notFound("tenant '" + tid + "' not found");
            UserRepository users(sql);
            auto user = users.findByEmail(email);
            if (user && users.member(tid, user->id))
                throw conflict("already_member", "'" + email + "' is already a member of this tenant");
            if (role == Role::agent) checkAgentLimit(sql, tid);
            if (user && given_password)
                throw conflict("user_exists", "'" + email + "' already has an account, so 'password' cannot be set "
                                              "here; leave it out to add them with their own password");
            if (!user) {
                User u;
                u.id = newUuid();
                u.email = email;
                u.name = name;
                u.password_hash = hash;
                u.must_change_password = !given_password;
                u.created_at = u.updated_at = nowMs();
                users.insert(u);
                user = u;
                created = true;
            }
            users.addMembership(tid, user->id, role);
            Member m{*user, role};
            audit(ctx, sql, tid, "membership.created", "user", user->id, nullptr, m.toJson());
            return m;
        });
        JsonObject out = jsonObject();
        out->set("user", member.toJson());
        out->set("created", created);
        // Shown once, so the admin can pass it on; the user must change it at first sign-in.
        if (created && !one_time.empty()) out->set("one_time_password", one_time);
        ctx.sendJson(201, out);
    });
    router.add("PATCH", "/api/v1/tenants/{tenant_id}/users/{user_id}", Guard::signed_in, [](RequestContext& ctx) {
        std::string tid = ctx.param("tenant_id", true), uid = ctx.param("user_id", true);
        requireAccess(ctx.principal(), tid, Access::manage);
        JsonObject body = ctx.json();
        Member after = ctx.app.db->write([&](soci::session& sql) {
            UserRepository users(sql);
            auto m = users.member(tid, uid);
            if (!m) throw notFound("user '" + uid + "' is not a member of this tenant");
            JsonObject before = m->toJson();
            if (body->has("role")) {
                Role role = roleField(body);
                if (role == Role::agent && m->role != Role::agent) checkAgentLimit(sql, tid);
                if (role != Role::client_admin) checkNotLastAdmin(users, tid, *m);
                users.setRole(tid, uid, role);
                m->role = role;
            }
            audit(ctx, sql, tid, "membership.updated", "user", uid, before, m->toJson());
            return *m;
        });
        ctx.sendJson(200, after.toJson());
    });
    router.add("DELETE", "/api/v1/tenants/{tenant_id}/users/{user_id}", Guard::signed_in, [](RequestContext& ctx) {
        std::string tid = ctx.param("tenant_id", true), uid = ctx.param("user_id", true);
        requireAccess(ctx.principal(), tid, Access::manage);
        ctx.app.db->write([&](soci::session& sql) {
            UserRepository users(sql);
            auto m = users.member(tid, uid);
            if (!m) throw notFound("user '" + uid + "' is not a member of this tenant");
            checkNotLastAdmin(users, tid, *m);
            users.removeMembership(tid, uid);
            audit(ctx, sql, tid, "membership.deleted", "user", uid, m->toJson(), nullptr);
        });
        ctx.sendEmpty(204);
    });
}

}  // namespace parley::core

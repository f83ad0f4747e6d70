// The agent's side (first part): presence with heartbeats, the tenant's conversations, assignment, replies,
// closing. The tenant is named by X-Parley-Tenant (or ?tenant=); client_user reads, never writes.
#include "app/app.hpp"
#include "app/errors.hpp"
#include "http/router.hpp"
#include "http/routes.hpp"
#include "pipeline/message_pipeline.hpp"
#include "store/database.hpp"
#include "store/row.hpp"

#include <Poco/String.h>

namespace parley::core {
namespace {

constexpr long long kPresenceTimeoutMs = 60'000;  // an agent without a heartbeat for this long is offline

// The tenant the request acts in, after the role check: 400 without one, 404 for a foreign tenant, 403 for a
// client_user on a write.
std::string agentTenant(RequestContext& ctx, bool writes) {
    std::string tenant = Poco::toLower(ctx.request.get("X-Parley-Tenant", ctx.query("tenant").value_or("")));
    if (tenant.empty())
        throw badRequest("missing_tenant", "name the tenant with the X-Parley-Tenant header or ?tenant=");
    if (!isUuid(tenant)) throw notFound("tenant '" + tenant + "' not found");
    const Principal& who = ctx.principal();
    requireAccess(who, tenant, Access::read);
    auto role = who.roleIn(tenant);
    if (writes && !who.is_super_admin && role && *role == Role::client_user)
        throw forbidden("role 'client_user' is read-only here; replies and assignments need agent or client_admin");
    return tenant;
}

Conversation tenantConversation(RequestContext& ctx, const std::string& tenant) {
    std::string id = ctx.param("conversation_id", true);
    auto c = ctx.app.db->read([&](soci::session& sql) { return ConversationRepository(sql).find(id); });
    if (!c || c->tenant_id != tenant) throw notFound("conversation '" + id + "' not found");
    return *c;
}

}  // namespace

bool agentsAvailable(App& app, const std::string& tenant_id) {
    long long since = nowMs() - kPresenceTimeoutMs;
    int n = 0;
    app.db->read([&](soci::session& sql) {
        sql << "SELECT COUNT(*) FROM agent_presence WHERE tenant_id = :t AND status = 'online' AND last_seen_at > :s",
            soci::use(tenant_id), soci::use(since), soci::into(n);
    });
    return n > 0;
}

void registerAgentRoutes(Router& router) {
    router.add("POST", "/api/v1/agent/presence", Guard::signed_in, [](RequestContext& ctx) {
        std::string tenant = agentTenant(ctx, true);
        JsonObject body = ctx.json();
        std::string status = reqString(body, "status", 20);
        if (status != "online" && status != "away" && status != "offline")
            throw invalidField("status", "must be online, away or offline");
        std::string user = ctx.principal().user_id;
        long long now = nowMs();
        ctx.app.db->write([&](soci::session& sql) {
            sql << "INSERT INTO agent_presence (tenant_id, user_id, status, last_seen_at) VALUES (:t, :u, :s, :n) "
                   "ON CONFLICT (tenant_id, user_id) DO UPDATE SET status = excluded.status, last_seen_at = excluded.last_seen_at",
                soci::use(tenant), soci::use(user), soci::use(status), soci::use(now);
        });
        JsonObject out = jsonObject();
        out->set("status", status);
        out->set("heartbeat_seconds", static_cast<int>(kPresenceTimeoutMs / 2000));
        ctx.sendJson(200, out);
    });
    router.add("GET", "/api/v1/agent/conversations", Guard::signed_in, [](RequestContext& ctx) {
        std::string tenant = agentTenant(ctx, false);
        std::string status = ctx.query("status").value_or("");
        bool mine = ctx.query("mine").value_or("") == "true";
        if (!status.empty() && status != "bot" && status != "queued" && status != "active" && status != "closed")
            throw badRequest("invalid_query", "status must be bot, queued, active or closed");
        std::string agent = mine ? ctx.principal().user_id : "";
        JsonArray list = jsonArray();
        for (const auto& c : ctx.app.db->read([&](soci::session& sql) {
                 return ConversationRepository(sql).listForTenant(tenant, status, agent, 100);
             }))
            list->add(c.toJson());
        JsonObject out = jsonObject();
        out->set("conversations", list);
        ctx.sendJson(200, out);
    });
    router.add("GET", "/api/v1/agent/conversations/{conversation_id}/messages", Guard::signed_in,
               [](RequestContext& ctx) {
                   std::string tenant = agentTenant(ctx, false);
                   Conversation c = tenantConversation(ctx, tenant);
                   long long after = 0;
                   try {
                       if (auto a = ctx.query("after_seq")) after = std::stoll(*a);
                   } catch (const std::exception&) {
                       throw badRequest("invalid_query", "after_seq must be an integer");
                   }
                   JsonArray list = jsonArray();
                   for (const auto& m : ctx.app.db->read([&](soci::session& sql) {
                            return ConversationRepository(sql).messagesAfter(c.id, after, 200, true);
                        }))
                       list->add(m.toJson());
                   JsonObject out = jsonObject();
                   out->set("messages", list);
                   ctx.sendJson(200, out);
               });
    router.add("POST", "/api/v1/agent/conversations/{conversation_id}/assign", Guard::signed_in, [](RequestContext& ctx) {
        std::string tenant = agentTenant(ctx, true);
        Conversation c = tenantConversation(ctx, tenant);
        if (c.status == "closed") throw conflict("conversation_closed", "this conversation is closed; reopen it first");
        std::string agent = ctx.principal().user_id;
        long long now = nowMs();
        ctx.app.db->write([&](soci::session& sql) {
            sql << "UPDATE conversations SET status = 'active', assigned_agent_id = :a, assigned_at = :n, updated_at = :u "
                   "WHERE id = :id",
                soci::use(agent), soci::use(now), soci::use(now), soci::use(c.id);
            JsonObject event = jsonObject();
            event->set("conversation_id", c.id);
            event->set("agent_id", agent);
            appendOutboxEvent(sql, tenant, "conversation.assigned", event);
        });
        JsonObject out = ctx.app.db->read([&](soci::session& sql) { return ConversationRepository(sql).find(c.id)->toJson(); });
        ctx.sendJson(200, out);
    });
    router.add("POST", "/api/v1/agent/conversations/{conversation_id}/messages", Guard::signed_in, [](RequestContext& ctx) {
        std::string tenant = agentTenant(ctx, true);
        Conversation c = tenantConversation(ctx, tenant);
        if (c.status == "closed") throw conflict("conversation_closed", "this conversation is closed");
        JsonObject body = ctx.json();
        NewMessage m;
        m.sender_type = "agent";
        m.text = reqString(body, "text", 4000);
        if (m.text.find_first_not_of(" \t\r\n") == std::string::npos) throw invalidField("text", "must not be blank");
        m.payload = jsonObject();
        m.payload->set("agent_id", ctx.principal().user_id);
        m.payload->set("agent_name", ctx.principal().name);
        Message stored = ctx.app.pipeline->postFromBot(c, std::move(m));
        long long now = nowMs();
        ctx.app.db->write([&](soci::session& sql) {
            sql << "UPDATE conversations SET first_response_at = :n WHERE id = :id AND first_response_at IS NULL",
                soci::use(now), soci::use(c.id);
        });
        JsonObject out = jsonObject();
        out->set("message", stored.toJson());
        ctx.sendJson(201, out);
    });
    // Back to the queue, to another agent, or open again: one helper for the assignment changes.
    auto reassign = [](RequestContext& ctx, const std::string& tenant, const Conversation& c, const std::string& status,
                       const std::string& agent) {
        long long now = nowMs();
        soci::indicator agent_ind = agent.empty() ? soci::i_null : soci::i_ok;
        ctx.app.db->write([&](soci::session& sql) {
            sql << "UPDATE conversations SET status = :s, assigned_agent_id = :a, assigned_at = :n, closed_at = NULL, "
                   "updated_at = :u WHERE id = :id",
                soci::use(status), soci::use(agent, agent_ind), soci::use(now), soci::use(now), soci::use(c.id);
            JsonObject event = jsonObject();
            event->set("conversation_id", c.id);
            event->set("agent_id", agent.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(agent));
            event->set("status", status);
            event->set("by", ctx.principal().user_id);
            appendOutboxEvent(sql, tenant, "conversation.assigned", event);
        });
        JsonObject out = ctx.app.db->read([&](soci::session& sql) { return ConversationRepository(sql).find(c.id)->toJson(); });
        ctx.sendJson(200, out);
    };
    router.add("POST", "/api/v1/agent/conversations/{conversation_id}/unassign", Guard::signed_in,
               [reassign](RequestContext& ctx) {
                   std::string tenant = agentTenant(ctx, true);
                   Conversation c = tenantConversation(ctx, tenant);
                   if (c.status == "closed") throw conflict("conversation_closed", "this conversation is closed");
                   reassign(ctx, tenant, c, "queued", "");
               });
    router.add("POST", "/api/v1/agent/conversations/{conversation_id}/transfer", Guard::signed_in,
               [reassign](RequestContext& ctx) {
                   std::string tenant = agentTenant(ctx, true);
                   Conversation c = tenantConversation(ctx, tenant);
                   if (c.status == "closed") throw conflict("conversation_closed", "this conversation is closed");
                   std::string to = Poco::toLower(reqString(ctx.json(), "agent_id", 36));
                   std::string role;
                   if (isUuid(to)) {
                       soci::indicator ind = soci::i_null;
                       ctx.app.db->read([&](soci::session& sql) {
                           sql << "SELECT role FROM memberships WHERE tenant_id = :t AND user_id = :u", soci::use(tenant),
                               soci::use(to), soci::into(role, ind);
                       });
                       if (ind != soci::i_ok) role.clear();
                   }
                   if (role != "agent" && role != "client_admin")
                       throw invalidField("agent_id", "must be an agent or client_admin of this tenant");
                   reassign(ctx, tenant, c, "active", to);
               });
    router.add("POST", "/api/v1/agent/conversations/{conversation_id}/reopen", Guard::signed_in,
               [reassign](RequestContext& ctx) {
                   std::string tenant = agentTenant(ctx, true);
                   Conversation c = tenantConversation(ctx, tenant);
                   if (c.status != "closed") throw conflict("conversation_open", "this conversation is not closed");
                   reassign(ctx, tenant, c, "active", ctx.principal().user_id);
               });
    router.add("POST", "/api/v1/agent/conversations/{conversation_id}/notes", Guard::signed_in, [](RequestContext& ctx) {
        std::string tenant = agentTenant(ctx, true);
        Conversation c = tenantConversation(ctx, tenant);
        NewMessage m;
        m.sender_type = "note";  // internal: agents see it, the visitor's history never shows it
        m.text = reqString(ctx.json(), "text", 4000);
        if (m.text.find_first_not_of(" \t\r\n") == std::string::npos) throw invalidField("text", "must not be blank");
        m.payload = jsonObject();
        m.payload->set("agent_id", ctx.principal().user_id);
        Message stored = ctx.app.pipeline->postFromBot(c, std::move(m));
        JsonObject out = jsonObject();
        out->set("message", stored.toJson());
        ctx.sendJson(201, out);
    });
    // Canned responses: every member reads them; client admins write them.
    router.add("GET", "/api/v1/agent/canned-responses", Guard::signed_in, [](RequestContext& ctx) {
        std::string tenant = agentTenant(ctx, false);
        JsonArray list = jsonArray();
        ctx.app.db->read([&](soci::session& sql) {
            soci::rowset<soci::row> rows =
                (sql.prepare << "SELECT id, shortcut, text FROM canned_responses WHERE tenant_id = :t ORDER BY shortcut",
                 soci::use(tenant));
            for (const auto& r : rows) {
                JsonObject o = jsonObject();
                o->set("id", rowText(r, 0));
                o->set("shortcut", rowText(r, 1));
                o->set("text", rowText(r, 2));
                list->add(o);
            }
        });
        JsonObject out = jsonObject();
        out->set("canned_responses", list);
        ctx.sendJson(200, out);
    });
    router.add("POST", "/api/v1/agent/canned-responses", Guard::signed_in, [](RequestContext& ctx) {
        std::string tenant = agentTenant(ctx, true);
        requireAccess(ctx.principal(), tenant, Access::manage);
        JsonObject body = ctx.json();
        std::string shortcut = Poco::trim(reqString(body, "shortcut", 40)), text = reqString(body, "text", 4000);
        if (shortcut.empty() || shortcut.find(' ') != std::string::npos)
            throw invalidField("shortcut", "must be one word, like 'hours'");
        std::string id = newUuid();
        long long now = nowMs();
        ctx.app.db->write([&](soci::session& sql) {
            int n = 0;
            sql << "SELECT COUNT(*) FROM canned_responses WHERE tenant_id = :t AND shortcut = :s", soci::use(tenant),
                soci::use(shortcut), soci::into(n);
            if (n > 0) throw conflict("shortcut_taken", "a canned response with shortcut '" + shortcut + "' exists");
            sql << "INSERT INTO canned_responses (id, tenant_id, shortcut, text, created_at) VALUES (:i, :t, :s, :x, :c)",
                soci::use(id), soci::use(tenant), soci::use(shortcut), soci::use(text), soci::use(now);
        });
        JsonObject out = jsonObject();
        out->set("id", id);
        out->set("shortcut", shortcut);
        out->set("text", text);
        ctx.sendJson(201, out);
    });
    router.add("DELETE", "/api/v1/agent/canned-responses/{canned_id}", Guard::signed_in, [](RequestContext& ctx) {
        std::string tenant = agentTenant(ctx, true);
        requireAccess(ctx.principal(), tenant, Access::manage);
        std::string id = ctx.param("canned_id", true);
        bool removed = ctx.app.db->write([&](soci::session& sql) {
            soci::statement st = (sql.prepare << "DELETE FROM canned_responses WHERE tenant_id = :t AND id = :i",
                                  soci::use(tenant), soci::use(id));
            st.execute(true);
            return st.get_affected_rows() == 1;
        });
        if (!removed) throw notFound("canned response '" + id + "' not found");
        ctx.sendEmpty(204);
    });
    router.add("POST", "/api/v1/agent/conversations/{conversation_id}/close", Guard::signed_in, [](RequestContext& ctx) {
        std::string tenant = agentTenant(ctx, true);
        Conversation c = tenantConversation(ctx, tenant);
        long long now = nowMs();
        ctx.app.db->write([&](soci::session& sql) {
            sql << "UPDATE conversations SET status = 'closed', closed_at = :n, closed_by = 'agent', updated_at = :u "
                   "WHERE id = :id",
                soci::use(now), soci::use(now), soci::use(c.id);
            JsonObject event = jsonObject();
            event->set("conversation_id", c.id);
            event->set("closed_by", std::string("agent"));
            appendOutboxEvent(sql, tenant, "conversation.closed", event);
        });
        c.status = "closed";
        JsonObject out = jsonObject();
        out->set("conversation", c.toJson());
        ctx.sendJson(200, out);
    });
}

}  // namespace parley::core

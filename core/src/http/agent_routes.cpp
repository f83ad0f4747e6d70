// The agent's side (first part): presence with heartbeats, the tenant's conversations, assignment, replies,
// closing. The tenant is named by X-Parley-Tenant (or ?tenant=); client_user reads, never writes.
#include "app/app.hpp"
#include "app/errors.hpp"
#include "http/router.hpp"
#include "http/routes.hpp"
#include "pipeline/message_pipeline.hpp"
#include "pipeline/message_types.hpp"
#include "pipeline/routing.hpp"
#include "realtime/hub.hpp"
#include "store/database.hpp"
#include "store/row.hpp"

#include <Poco/String.h>

#include <algorithm>
#include <limits>

namespace parley::core {

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

bool agentsAvailable(App& app, const std::string& tenant_id) { return app.routing->agentsOnline(tenant_id, "", false); }

namespace {

// After a change of status or assignment: sockets hear it, freed capacity takes the next queued conversation.
void changed(App& app, const Conversation& c) {
    app.realtime->conversationChanged(c.id);
    app.routing->routeTenant(c.tenant_id);
}

JsonObject conversationJson(App& app, const std::string& id) {
    return app.db->read([&](soci::session& sql) { return ConversationRepository(sql).find(id)->toJson(); });
}

}  // namespace

void registerAgentRoutes(Router& router) {
    router.add("POST", "/api/v1/agent/presence", Guard::signed_in, [](RequestContext& ctx) {
        std::string tenant = agentTenant(ctx, true);
        JsonObject body = ctx.json();
        std::string status = reqString(body, "status", 20);
        if (status != "online" && status != "away" && status != "offline")
            throw invalidField("status", "must be online, away or offline");
        ctx.app.routing->setPresence(tenant, ctx.principal().user_id, ctx.principal().name, status);
        JsonObject out = jsonObject();
        out->set("status", status);
        out->set("heartbeat_seconds", ctx.app.config.routing.presence_timeout_seconds / 2);
        ctx.sendJson(200, out);
    });
    // The tenant's agents with presence, capacity, departments and load.
    router.add("GET", "/api/v1/agent/agents", Guard::signed_in, [](RequestContext& ctx) {
        std::string tenant = agentTenant(ctx, false);
        JsonArray list = jsonArray();
        for (const auto& a : ctx.app.routing->agents(tenant)) list->add(a.toJson());
        JsonObject out = jsonObject();
        out->set("agents", list);
        ctx.sendJson(200, out);
    });
    // Capacity and departments of one agent: the tenant's client admins set them.
    router.add("PUT", "/api/v1/agent/agents/{user_id}", Guard::signed_in, [](RequestContext& ctx) {
        std::string tenant = agentTenant(ctx, true);
        requireAccess(ctx.principal(), tenant, Access::manage);
        std::string user = Poco::toLower(ctx.param("user_id"));
        auto agents = ctx.app.routing->agents(tenant);
        auto it = std::find_if(agents.begin(), agents.end(), [&](const AgentState& a) { return a.user_id == user; });
        if (it == agents.end()) throw notFound("no agent or client_admin '" + user + "' in this tenant");
        JsonObject body = ctx.json();
        int capacity = static_cast<int>(optInt(body, "capacity", 0, 100).value_or(it->capacity));
        auto departments = optStringArray(body, "departments", 20, 50).value_or(it->departments);
        ctx.app.routing->setAgentSettings(tenant, user, capacity, departments);
        ctx.app.routing->routeTenant(tenant);
        for (const auto& a : ctx.app.routing->agents(tenant))
            if (a.user_id == user) return ctx.sendJson(200, a.toJson());
    });
    // Per-agent metrics over a period (default: the last 30 days): conversations, wait, first response, resolution.
    router.add("GET", "/api/v1/agent/metrics", Guard::signed_in, [](RequestContext& ctx) {
        std::string tenant = agentTenant(ctx, false);
        long long now = nowMs();
        long long since = ctx.queryInt("since", now - 30LL * 86'400'000, 0, RequestContext::kLatestMs, "milliseconds since the epoch");
        long long until = ctx.queryInt("until", now, 0, RequestContext::kLatestMs, "milliseconds since the epoch");
        JsonArray list = jsonArray();
        ctx.app.db->read([&](soci::session& sql) {
            soci::rowset<soci::row> rows =
                (sql.prepare << "SELECT CAST(first_agent_id AS TEXT), COUNT(*), "
                                "AVG(CASE WHEN queued_at IS NOT NULL THEN first_assigned_at - queued_at END), "
                                "AVG(CASE WHEN first_response_at IS NOT NULL THEN first_response_at - COALESCE(queued_at, created_at) END), "
                                "AVG(CASE WHEN closed_at IS NOT NULL THEN closed_at - created_at END), "
                                "SUM(CASE WHEN status = 'closed' THEN 1 ELSE 0 END) "
                                "FROM conversations WHERE tenant_id = :t AND first_agent_id IS NOT NULL "
                                "AND first_assigned_at >= :s AND first_assigned_at < :u GROUP BY first_agent_id",
                 soci::use(tenant), soci::use(since), soci::use(until));
            for (const auto& r : rows) {
                JsonObject a = jsonObject();
                a->set("agent_id", rowText(r, 0));
                a->set("conversations", rowInt(r, 1));
                auto avg = [&](std::size_t i) {
                    return rowIsNull(r, i) ? Poco::Dynamic::Var() : Poco::Dynamic::Var(static_cast<Poco::Int64>(rowInt(r, i)));
                };
                a->set("avg_wait_ms", avg(2));
                a->set("avg_first_response_ms", avg(3));
                a->set("avg_resolution_ms", avg(4));
                a->set("resolved", rowInt(r, 5));
                list->add(a);
            }
        });
        JsonObject out = jsonObject();
        out->set("since", since);
        out->set("until", until);
        out->set("agents", list);
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
                   long long after = ctx.queryInt("after_seq", 0, 0, std::numeric_limits<long long>::max());
                   JsonArray list = jsonArray();
                   for (const auto& m : ctx.app.db->read([&](soci::session& sql) {
                            return ConversationRepository(sql).messagesAfter(c.id, after, 200, true);
                        }))
                       list->add(m.toJson());
                   JsonObject out = jsonObject();
                   out->set("messages", list);
                   ctx.sendJson(200, out);
               });
    // Manual pick: the caller takes the conversation (over capacity if they choose to).
    router.add("POST", "/api/v1/agent/conversations/{conversation_id}/assign", Guard::signed_in, [](RequestContext& ctx) {
        std::string tenant = agentTenant(ctx, true);
        Conversation c = tenantConversation(ctx, tenant);
        if (c.status == "closed") throw conflict("conversation_closed", "this conversation is closed; reopen it first");
        ctx.app.routing->assign(c, ctx.principal().user_id, ctx.principal().user_id);
        changed(ctx.app, c);
        ctx.sendJson(200, conversationJson(ctx.app, c.id));
    });
    router.add("POST", "/api/v1/agent/conversations/{conversation_id}/messages", Guard::signed_in, [](RequestContext& ctx) {
        std::string tenant = agentTenant(ctx, true);
        Conversation c = tenantConversation(ctx, tenant);
        if (c.status == "closed") throw conflict("conversation_closed", "this conversation is closed");
        NewMessage m = agentMessage(ctx.app, c, ctx.json());
        m.payload->set("agent_id", ctx.principal().user_id);
        m.payload->set("agent_name", ctx.principal().name);
        Posted posted = ctx.app.pipeline->postFromAgent(c, std::move(m));
        JsonObject out = jsonObject();
        out->set("message", posted.message.toJson());
        out->set("duplicate", posted.duplicate);
        ctx.sendJson(posted.duplicate ? 200 : 201, out);
    });
    // Back to the queue (routing may give it to someone else at once).
    router.add("POST", "/api/v1/agent/conversations/{conversation_id}/unassign", Guard::signed_in, [](RequestContext& ctx) {
        std::string tenant = agentTenant(ctx, true);
        Conversation c = tenantConversation(ctx, tenant);
        if (c.status == "closed") throw conflict("conversation_closed", "this conversation is closed");
        ctx.app.routing->enqueue(c, "unassigned", "");
        changed(ctx.app, c);
        ctx.sendJson(200, conversationJson(ctx.app, c.id));
    });
    // To another agent ({"agent_id"}) or to a department's queue ({"department"}).
    router.add("POST", "/api/v1/agent/conversations/{conversation_id}/transfer", Guard::signed_in, [](RequestContext& ctx) {
        std::string tenant = agentTenant(ctx, true);
        Conversation c = tenantConversation(ctx, tenant);
        if (c.status == "closed") throw conflict("conversation_closed", "this conversation is closed");
        JsonObject body = ctx.json();
        auto department = optString(body, "department", 50);
        auto to = optString(body, "agent_id", 36);
        if (department.has_value() == to.has_value())
            throw badRequest("invalid_transfer", "name either agent_id (an agent) or department (a queue)");
        if (department) {
            if (department->empty()) throw invalidField("department", "must not be empty");
            ctx.app.routing->enqueue(c, "transferred", *department);
        } else {
            std::string agent = Poco::toLower(*to);
            auto agents = ctx.app.routing->agents(tenant);
            if (std::none_of(agents.begin(), agents.end(), [&](const AgentState& a) { return a.user_id == agent; }))
                throw invalidField("agent_id", "must be an agent or client_admin of this tenant");
            ctx.app.routing->assign(c, agent, ctx.principal().user_id);
        }
        changed(ctx.app, c);
        ctx.sendJson(200, conversationJson(ctx.app, c.id));
    });
    router.add("POST", "/api/v1/agent/conversations/{conversation_id}/reopen", Guard::signed_in, [](RequestContext& ctx) {
        std::string tenant = agentTenant(ctx, true);
        Conversation c = tenantConversation(ctx, tenant);
        if (c.status != "closed") throw conflict("conversation_open", "this conversation is not closed");
        ctx.app.routing->assign(c, ctx.principal().user_id, ctx.principal().user_id);
        changed(ctx.app, c);
        ctx.sendJson(200, conversationJson(ctx.app, c.id));
    });
    router.add("POST", "/api/v1/agent/conversations/{conversation_id}/notes", Guard::signed_in, [](RequestContext& ctx) {
        std::string tenant = agentTenant(ctx, true);
        Conversation c = tenantConversation(ctx, tenant);
        NewMessage m;
        m.sender_type = "note";  // internal: agents see it, the visitor never does
        m.text = reqString(ctx.json(), "text", 4000);
        if (m.text.find_first_not_of(" \t\r\n") == std::string::npos) throw invalidField("text", "must not be blank");
        m.payload = jsonObject();
        m.payload->set("agent_id", ctx.principal().user_id);
        Posted posted = ctx.app.pipeline->postFromAgent(c, std::move(m));
        JsonObject out = jsonObject();
        out->set("message", posted.message.toJson());
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
        ctx.app.routing->close(c, "agent");
        changed(ctx.app, c);
        JsonObject out = jsonObject();
        out->set("conversation", conversationJson(ctx.app, c.id));
        ctx.sendJson(200, out);
    });
}

}  // namespace parley::core

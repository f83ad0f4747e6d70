// The queue and the least-busy rule. Reads are cheap aggregate queries; assignment runs in one write
// transaction per tenant so two nodes (or two threads) never give one conversation twice.
#include "pipeline/routing.hpp"

#include "app/app.hpp"
#include "pipeline/message_pipeline.hpp"
#include "realtime/hub.hpp"
#include "store/database.hpp"
#include "store/row.hpp"
#include "store/widget_repository.hpp"

#include <algorithm>
#include <map>

namespace parley::core {

bool AgentState::serves(const std::string& department) const {
    return department.empty() || departments.empty() ||
           std::find(departments.begin(), departments.end(), department) != departments.end();
}

bool AgentState::canTake(const std::string& department) const {
    return status == "online" && active < capacity && serves(department);
}

JsonObject AgentState::toJson() const {
    JsonObject o = jsonObject();
    o->set("user_id", user_id);
    o->set("name", name);
    o->set("role", role);
    o->set("status", status);
    o->set("last_seen_at", last_seen_at ? Poco::Dynamic::Var(static_cast<Poco::Int64>(last_seen_at)) : Poco::Dynamic::Var());
    o->set("capacity", capacity);
    JsonArray deps = jsonArray();
    for (const auto& d : departments) deps->add(d);
    o->set("departments", deps);
    o->set("active_conversations", active);
    return o;
}

namespace {

std::vector<AgentState> loadAgents(soci::session& sql, const Config& config, const std::string& tenant) {
    long long fresh_since = nowMs() - config.routing.presence_timeout_seconds * 1000LL;
    std::vector<AgentState> out;
    std::map<std::string, size_t> index;
    soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT m.user_id, u.name, m.role, p.status, p.last_seen_at, s.capacity, s.departments "
                        "FROM memberships m JOIN users u ON u.id = m.user_id "
                        "LEFT JOIN agent_presence p ON p.tenant_id = m.tenant_id AND p.user_id = m.user_id "
                        "LEFT JOIN agent_settings s ON s.tenant_id = m.tenant_id AND s.user_id = m.user_id "
                        "WHERE m.tenant_id = :t AND m.role IN ('agent', 'client_admin') ORDER BY u.name, m.user_id",
         soci::use(tenant));
    for (const auto& r : rows) {
        AgentState a;
        a.user_id = rowText(r, 0);
        a.name = rowText(r, 1);
        a.role = rowText(r, 2);
        a.last_seen_at = rowInt(r, 4);
        std::string status = rowText(r, 3);
        a.status = status.empty() || a.last_seen_at <= fresh_since ? "offline" : status;
        a.capacity = rowIsNull(r, 5) ? config.routing.default_capacity : static_cast<int>(rowInt(r, 5));
        if (!rowIsNull(r, 6)) {
            JsonArray deps = storedArray(rowText(r, 6));
            for (size_t i = 0; deps && i < deps->size(); ++i) a.departments.push_back(deps->getElement<std::string>(i));
        }
        index[a.user_id] = out.size();
        out.push_back(std::move(a));
    }
    soci::rowset<soci::row> load =
        (sql.prepare << "SELECT CAST(assigned_agent_id AS TEXT), COUNT(*) FROM conversations WHERE tenant_id = :t "
                        "AND status = 'active' AND assigned_agent_id IS NOT NULL GROUP BY assigned_agent_id",
         soci::use(tenant));
    for (const auto& r : load) {
        auto it = index.find(rowText(r, 0));
        if (it != index.end()) out[it->second].active = static_cast<int>(rowInt(r, 1));
    }
    return out;
}

void assignIn(soci::session& sql, const Conversation& c, const std::string& agent, const std::string& by) {
    long long now = nowMs();
    sql << "UPDATE conversations SET status = 'active', assigned_agent_id = :a, assigned_at = :n, closed_at = NULL, "
           "first_assigned_at = COALESCE(first_assigned_at, :f), first_agent_id = COALESCE(first_agent_id, :fa), "
           "updated_at = :u WHERE id = :id",
        soci::use(agent), soci::use(now), soci::use(now), soci::use(agent), soci::use(now), soci::use(c.id);
    JsonObject event = jsonObject();
    event->set("conversation_id", c.id);
    event->set("agent_id", agent);
    event->set("status", std::string("active"));
    event->set("by", by);
    appendOutboxEvent(sql, c.tenant_id, "conversation.assigned", event);
}

}  // namespace

std::vector<AgentState> Routing::agents(const std::string& tenant_id) {
    return app_.db->read([&](soci::session& sql) { return loadAgents(sql, app_.config, tenant_id); });
}

bool Routing::agentsOnline(const std::string& tenant_id, const std::string& department, bool with_room) {
    for (const auto& a : agents(tenant_id))
        if (with_room ? a.canTake(department) : a.status == "online" && a.serves(department)) return true;
    return false;
}

void Routing::enqueue(const Conversation& c, const std::string& reason, const std::string& department) {
    long long now = nowMs();
    std::string dep = department.empty() ? c.department : department;
    app_.db->write([&](soci::session& sql) {
        sql << "UPDATE conversations SET status = 'queued', assigned_agent_id = NULL, department = :d, queued_at = :q, "
               "updated_at = :u WHERE id = :id",
            soci::use(dep), soci::use(now), soci::use(now), soci::use(c.id);
        JsonObject event = jsonObject();
        event->set("conversation_id", c.id);
        event->set("reason", reason);
        event->set("department", dep);
        appendOutboxEvent(sql, c.tenant_id, "conversation.handoff_requested", event);
    });
}

std::vector<Assignment> Routing::assignQueued(const std::string& tenant_id) {
    std::vector<Assignment> done;
    if (!app_.config.routing.auto_assign) return done;
    app_.db->write([&](soci::session& sql) {
        // SQLite's writer lock already serializes this; PostgreSQL needs one lock per tenant across nodes.
        if (app_.db->isPostgres()) sql << "SELECT pg_advisory_xact_lock(hashtext(:t))", soci::use(tenant_id);
        std::vector<AgentState> agents = loadAgents(sql, app_.config, tenant_id);
        if (std::none_of(agents.begin(), agents.end(), [](const AgentState& a) { return a.status == "online"; })) return;
        std::vector<Conversation> queued;
        soci::rowset<soci::row> rows =
            (sql.prepare << "SELECT id, department FROM conversations WHERE tenant_id = :t AND status = 'queued' "
                            "ORDER BY queued_at, created_at LIMIT 200",
             soci::use(tenant_id));
        for (const auto& r : rows) {
            Conversation c;
            c.id = rowText(r, 0);
            c.department = rowText(r, 1);
            c.tenant_id = tenant_id;
            queued.push_back(std::move(c));
        }
        for (const auto& c : queued) {
            AgentState* best = nullptr;
            for (auto& a : agents)
                if (a.canTake(c.department) && (!best || a.active < best->active)) best = &a;
            if (!best) continue;  // nobody with room for this department: later ones may still fit elsewhere
            assignIn(sql, c, best->user_id, "routing");
            ++best->active;
            done.push_back({c.id, best->user_id});
        }
    });
    return done;
}

void Routing::assign(const Conversation& c, const std::string& agent_id, const std::string& by) {
    app_.db->write([&](soci::session& sql) { assignIn(sql, c, agent_id, by); });
}

int Routing::queuePosition(const Conversation& c) {
    if (c.status != "queued") return 0;
    int ahead = 0;
    app_.db->read([&](soci::session& sql) {
        sql << "SELECT COUNT(*) FROM conversations WHERE tenant_id = :t AND status = 'queued' AND department = :d "
               "AND (queued_at < :q OR (queued_at = :q2 AND id < :id))",
            soci::use(c.tenant_id), soci::use(c.department), soci::use(c.queued_at), soci::use(c.queued_at),
            soci::use(c.id), soci::into(ahead);
    });
    return ahead + 1;
}

void Routing::setPresence(const std::string& tenant_id, const std::string& user_id, const std::string& name,
                          const std::string& status) {
    long long now = nowMs();
    std::string previous;
    app_.db->write([&](soci::session& sql) {
        soci::indicator ind = soci::i_null;
        sql << "SELECT status FROM agent_presence WHERE tenant_id = :t AND user_id = :u", soci::use(tenant_id),
            soci::use(user_id), soci::into(previous, ind);
        if (ind != soci::i_ok) previous.clear();
        sql << "INSERT INTO agent_presence (tenant_id, user_id, status, last_seen_at) VALUES (:t, :u, :s, :n) "
               "ON CONFLICT (tenant_id, user_id) DO UPDATE SET status = excluded.status, last_seen_at = excluded.last_seen_at",
            soci::use(tenant_id), soci::use(user_id), soci::use(status), soci::use(now);
    });
    if (previous != status && app_.realtime) app_.realtime->presenceChanged(tenant_id, user_id, name, status);
    if (status == "online") routeTenant(tenant_id);
}

void Routing::routeTenant(const std::string& tenant_id) {
    auto done = assignQueued(tenant_id);
    if (!app_.realtime) return;
    for (const auto& a : done) app_.realtime->conversationChanged(a.conversation_id);
    if (!done.empty()) app_.realtime->queueChanged(tenant_id);
}

void Routing::handoff(const Conversation& c, const std::string& reason, const std::string& department) {
    if (c.status == "closed") return;
    bool already_with_humans = c.status == "queued" || c.status == "active";
    if (!already_with_humans) enqueue(c, reason, department);
    auto done = assignQueued(c.tenant_id);
    if (app_.realtime) {
        if (!already_with_humans) app_.realtime->conversationChanged(c.id);
        for (const auto& a : done) app_.realtime->conversationChanged(a.conversation_id);
        app_.realtime->queueChanged(c.tenant_id);
    }
    if (already_with_humans) return;
    bool assigned = std::any_of(done.begin(), done.end(), [&](const Assignment& a) { return a.conversation_id == c.id; });
    if (assigned || agentsOnline(c.tenant_id, department.empty() ? c.department : department, false)) return;
    askForContact(c, "no_agent_online");
}

// Offline lead capture: a bot message with the lead form, in the widget's offline wording.
void Routing::askForContact(const Conversation& c, const std::string& reason) {
    std::string text = "No one is available right now. Leave your contact details and we will get back to you.";
    auto widget = app_.db->read([&](soci::session& sql) { return WidgetRepository(sql).find(c.tenant_id, c.widget_id); });
    if (widget && widget->config) {
        if (auto behavior = widget->config->getObject("behavior"))
            text = behavior->optValue<std::string>("offline_message", text);
    }
    NewMessage m;
    m.sender_type = "bot";
    m.type = "form";
    m.text = text;
    m.payload = jsonObject();
    m.payload->set("form", std::string("lead"));
    m.payload->set("reason", reason);
    JsonArray fields = jsonArray();
    for (const char* f : {"name", "email", "phone", "consent"}) fields->add(std::string(f));
    m.payload->set("fields", fields);
    app_.pipeline->postFromBot(c, std::move(m));
}

void Routing::close(const Conversation& c, const std::string& by) {
    long long now = nowMs();
    app_.db->write([&](soci::session& sql) {
        soci::statement st = (sql.prepare << "UPDATE conversations SET status = 'closed', closed_at = :n, closed_by = :b, "
                                             "updated_at = :u WHERE id = :id AND status <> 'closed'",
                              soci::use(now), soci::use(by), soci::use(now), soci::use(c.id));
        st.execute(true);
        if (st.get_affected_rows() != 1) return;  // already closed
        JsonObject event = jsonObject();
        event->set("conversation_id", c.id);
        event->set("closed_by", by);
        appendOutboxEvent(sql, c.tenant_id, "conversation.closed", event);
    });
}

void Routing::setAgentSettings(const std::string& tenant_id, const std::string& user_id, int capacity,
                               const std::vector<std::string>& departments) {
    JsonArray deps = jsonArray();
    for (const auto& d : departments) deps->add(d);
    std::string text = toJson(deps);
    long long now = nowMs();
    app_.db->write([&](soci::session& sql) {
        sql << "INSERT INTO agent_settings (tenant_id, user_id, capacity, departments, updated_at) VALUES (:t, :u, :c, "
               ":d, :n) ON CONFLICT (tenant_id, user_id) DO UPDATE SET capacity = excluded.capacity, "
               "departments = excluded.departments, updated_at = excluded.updated_at",
            soci::use(tenant_id), soci::use(user_id), soci::use(capacity), soci::use(text), soci::use(now);
    });
}

}  // namespace parley::core

// Registry and fan-out. Messages are delivered per socket in seq order with no gaps and no repeats: each socket
// remembers the last seq it got per conversation; a message that would leave a gap (another node's, or two
// commits finishing out of order) makes that socket catch up from the database instead.
#include "realtime/hub.hpp"

#include "app/app.hpp"
#include "http/json.hpp"
#include "pipeline/outbox_dispatcher.hpp"
#include "pipeline/routing.hpp"
#include "realtime/ws_upgrade.hpp"
#include "store/database.hpp"
#include "store/row.hpp"

#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <iostream>

namespace parley::core::realtime {
namespace {

// Forwards one socket's reactor callbacks to the hub with what its upgrade established.
class Adapter final : public Handler {
public:
    Adapter(Hub& hub, Admission admission) : hub_(hub), admission_(std::move(admission)) {}
    void onOpen(const std::shared_ptr<Connection>& c) override { hub_.opened(c, admission_); }
    void onMessage(const std::shared_ptr<Connection>& c, std::string text) override { hub_.received(c, std::move(text)); }
    void onClose(const std::shared_ptr<Connection>& c, std::uint16_t, std::string) override { hub_.closed(c); }

private:
    Hub& hub_;
    Admission admission_;
};

void removeFrom(std::unordered_map<std::string, std::vector<std::shared_ptr<Connection>>>& map, const std::string& key,
                const std::shared_ptr<Connection>& c) {
    auto it = map.find(key);
    if (it == map.end()) return;
    auto& list = it->second;
    list.erase(std::remove(list.begin(), list.end(), c), list.end());
    if (list.empty()) map.erase(it);
}

bool visibleToVisitor(const Message& m) { return !m.flagged && m.sender_type != "note"; }

}  // namespace

std::string messageFrame(const Message& m) {
    JsonObject frame = jsonObject();
    frame->set("type", std::string("message"));
    frame->set("conversation_id", m.conversation_id);
    frame->set("message", m.toJson());
    return toJson(frame);
}

Hub::Hub(App& app) : app_(app), node_id_(newUuid()) {}

Hub::~Hub() { stop(); }

Session& Hub::session(const ConnectionPtr& c) { return *std::any_cast<std::shared_ptr<Session>>(c->state); }

void Hub::start() {
    const auto& rc = app_.config.realtime;
    ReactorOptions options;
    options.threads = rc.threads;
    options.max_message_bytes = static_cast<std::size_t>(rc.max_frame_bytes);
    options.max_queued_bytes = static_cast<std::size_t>(rc.max_queued_bytes);
    options.ping_interval_ms = rc.ping_interval_seconds * 1000;
    options.idle_timeout_ms = rc.idle_timeout_seconds * 1000;
    reactor_ = std::make_unique<Reactor>(options);
    // Workers wait on commits, and the commits waiting together share one (store/group_commit.hpp): the more
    // frames in flight, the larger the groups and the cheaper each message, on both databases. A waiting worker
    // holds no connection (only a group's leader does), so this may exceed database.pool_size.
    int workers = rc.workers > 0 ? rc.workers : kDefaultWorkers;
    executor_ = std::make_unique<Executor>(workers);
    bus_ = makeBus(app_);
    reactor_->start();
    bus_->start([this](const std::string& payload) { remote(payload); });
    housekeeper_ = std::thread([this] { housekeeping(); });
    started_ = true;
    // On stdout like the listening line: an operator starting a second node should see this at once.
    std::cout << (bus_->clustered()
                      ? "parleyd: realtime: clustered through PostgreSQL LISTEN/NOTIFY (any node serves any client)"
                      : "parleyd: realtime: single node (SQLite); use PostgreSQL to run several nodes")
              << std::endl;
}

void Hub::stop() {
    if (!started_) return;
    started_ = false;
    {
        std::lock_guard lock(housekeeper_mutex_);
        stopping_ = true;
    }
    housekeeper_wake_.notify_all();
    if (housekeeper_.joinable()) housekeeper_.join();
    bus_->stop();
    reactor_->stop();  // closes every socket (1001) and calls closed() for each
    executor_->stop();
}

// Tells the other nodes (the bus queues it for its publisher thread); nothing when single-node.
void Hub::announce(std::string payload) {
    if (bus_->clustered()) bus_->publish(payload);
}

void Hub::announceOutboxCommits() {
    if (!bus_ || !bus_->clustered()) return;
    JsonObject note = jsonObject();
    note->set("k", std::string("o"));
    note->set("n", node_id_);
    bus_->publish(toJson(note));
}

std::size_t Hub::connections() const { return reactor_ ? reactor_->connections() : 0; }

bool Hub::clustered() const { return bus_ && bus_->clustered(); }

void Hub::accept(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, Admission admission) {
    upgrade(request, response, *reactor_, std::make_shared<Adapter>(*this, std::move(admission)));
}

void Hub::opened(const ConnectionPtr& c, const Admission& admission) {
    auto s = std::make_shared<Session>();
    s->admission = admission;
    s->opened_at = nowMs();
    s->strand = std::make_shared<Executor::Strand>(*executor_);
    c->state = s;
    std::unique_lock lock(index_mutex_);
    pending_[c->id()] = c;
}

void Hub::received(const ConnectionPtr& c, std::string text) {
    // Frames run on the socket's strand: in order, off the reactor thread (most touch the database).
    auto& s = session(c);
    s.strand->post([this, c, text = std::move(text)] { handleFrame(c, text); });
}

void Hub::closed(const ConnectionPtr& c) {
    if (!c->state.has_value()) return;
    auto& s = session(c);
    std::unique_lock lock(index_mutex_);
    pending_.erase(c->id());
    if (!s.ready) return;
    if (s.admission.role == "visitor") {
        if (!s.conversation_id.empty()) {
            removeFrom(visitors_, s.conversation_id, c);
            removeFrom(visitors_by_tenant_, s.tenant_id, c);
        }
        removeFrom(visitors_by_widget_, s.admission.widget_id, c);
    } else {
        removeFrom(agents_, s.tenant_id, c);
    }
}

void Hub::index(const ConnectionPtr& c, Session& s) {
    std::unique_lock lock(index_mutex_);
    pending_.erase(c->id());
    if (s.admission.role == "visitor") {
        if (!s.conversation_id.empty()) {
            visitors_[s.conversation_id].push_back(c);
            visitors_by_tenant_[s.tenant_id].push_back(c);
        }
        visitors_by_widget_[s.admission.widget_id].push_back(c);
    } else {
        agents_[s.tenant_id].push_back(c);
    }
}

std::vector<Hub::ConnectionPtr> Hub::visitorsOf(const std::string& conversation_id) {
    std::shared_lock lock(index_mutex_);
    auto it = visitors_.find(conversation_id);
    return it == visitors_.end() ? std::vector<ConnectionPtr>{} : it->second;
}

std::vector<Hub::ConnectionPtr> Hub::agentsOf(const std::string& tenant_id) {
    std::shared_lock lock(index_mutex_);
    auto it = agents_.find(tenant_id);
    return it == agents_.end() ? std::vector<ConnectionPtr>{} : it->second;
}

// --- messages ---------------------------------------------------------------------------------------------

void Hub::offer(const ConnectionPtr& c, const Message& m, const std::string& frame) {
    auto& s = session(c);
    bool visible = s.admission.role == "agent" || visibleToVisitor(m);
    std::unique_lock lock(s.mutex);
    auto it = s.delivered.find(m.conversation_id);
    if (it == s.delivered.end()) {
        // An agent who has not asked for this conversation's history: live from here on.
        s.delivered[m.conversation_id] = m.seq;
        if (visible) c->send(frame);
        return;
    }
    if (m.seq <= it->second) return;  // already sent
    if (m.seq == it->second + 1 && !s.catching_up.count(m.conversation_id)) {
        it->second = m.seq;
        if (visible) c->send(frame);
        return;
    }
    // A gap: fetch what lies between from the database, in order.
    if (!s.catching_up.insert(m.conversation_id).second) {
        s.catch_up_again.insert(m.conversation_id);
        return;
    }
    lock.unlock();
    std::string conversation_id = m.conversation_id;
    s.strand->post([this, c, conversation_id] { catchUp(c, conversation_id); });
}

void Hub::catchUp(const ConnectionPtr& c, const std::string& conversation_id) {
    auto& s = session(c);
    bool agent = s.admission.role == "agent";
    for (;;) {
        long long after;
        {
            std::lock_guard lock(s.mutex);
            after = s.delivered[conversation_id];
        }
        std::vector<Message> batch;
        try {
            batch = app_.db->read([&](soci::session& sql) {
                return ConversationRepository(sql).messagesAfter(conversation_id, after, 200, true, true);
            });
        } catch (const std::exception& e) {
            app_.log->warning(std::string("realtime: catch-up failed: ") + e.what());
            c->close(1011, "temporary failure; reconnect with your last seq");
            return;
        }
        {
            std::lock_guard lock(s.mutex);
            long long& last = s.delivered[conversation_id];
            for (const auto& m : batch) {
                if (m.seq <= last) continue;
                last = m.seq;
                if (agent || visibleToVisitor(m)) c->send(messageFrame(m));
            }
            if (batch.size() == 200) continue;
            if (s.catch_up_again.erase(conversation_id)) continue;
            s.catching_up.erase(conversation_id);
            return;
        }
    }
}

void Hub::messageCommitted(const std::string& tenant_id, const Message& m) {
    if (!started_) return;
    std::string frame = messageFrame(m);
    for (const auto& c : visitorsOf(m.conversation_id)) offer(c, m, frame);
    for (const auto& c : agentsOf(tenant_id)) offer(c, m, frame);
    JsonObject note = jsonObject();
    note->set("k", std::string("m"));
    note->set("n", node_id_);
    note->set("t", tenant_id);
    note->set("c", m.conversation_id);
    note->set("s", static_cast<Poco::Int64>(m.seq));
    announce(toJson(note));
}

void Hub::remoteMessage(const std::string& tenant_id, const std::string& conversation_id, long long seq) {
    auto visitors = visitorsOf(conversation_id);
    auto agents = agentsOf(tenant_id);
    if (visitors.empty() && agents.empty()) return;
    executor_->post([this, visitors, agents, conversation_id, seq] {
        std::vector<Message> batch;
        try {
            batch = app_.db->read([&](soci::session& sql) {
                return ConversationRepository(sql).messagesAfter(conversation_id, seq - 1, 50, true, true);
            });
        } catch (const std::exception& e) {
            app_.log->warning(std::string("realtime: reading a remote message failed: ") + e.what());
            return;
        }
        for (const auto& m : batch) {
            std::string frame = messageFrame(m);
            for (const auto& c : visitors) offer(c, m, frame);
            for (const auto& c : agents) offer(c, m, frame);
        }
    });
}

// --- other events -----------------------------------------------------------------------------------------

void Hub::fanOut(const std::string& tenant_id, const std::string& conversation_id, const std::string& to,
                 const std::string& frame, bool publish) {
    if (to == "visitor" || to == "both")
        for (const auto& c : visitorsOf(conversation_id)) c->send(frame);
    if (to == "agents" || to == "both")
        for (const auto& c : agentsOf(tenant_id)) c->send(frame);
    if (!publish) return;
    JsonObject note = jsonObject();
    note->set("k", std::string("e"));
    note->set("n", node_id_);
    note->set("t", tenant_id);
    note->set("c", conversation_id);
    note->set("to", to);
    note->set("f", frame);
    announce(toJson(note));
}

void Hub::conversationChanged(const std::string& conversation_id) {
    if (!started_) return;
    auto c = app_.db->read([&](soci::session& sql) { return ConversationRepository(sql).find(conversation_id); });
    if (!c) return;
    std::string agent_name;
    if (!c->assigned_agent_id.empty()) {
        soci::indicator ind = soci::i_null;
        app_.db->read([&](soci::session& sql) {
            sql << "SELECT name FROM users WHERE id = :id", soci::use(c->assigned_agent_id), soci::into(agent_name, ind);
        });
    }
    // The visitor sees status and who answers; agents see the whole conversation for their inbox.
    JsonObject status = jsonObject();
    status->set("type", std::string("status"));
    status->set("conversation_id", c->id);
    status->set("status", c->status);
    JsonObject agent = jsonObject();
    if (!c->assigned_agent_id.empty()) {
        agent->set("id", c->assigned_agent_id);
        agent->set("name", agent_name);
    }
    status->set("agent", c->assigned_agent_id.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(agent));
    fanOut(c->tenant_id, c->id, "visitor", toJson(status), true);
    JsonObject inbox = jsonObject();
    inbox->set("type", std::string("conversation"));
    inbox->set("conversation", c->toJson());
    fanOut(c->tenant_id, c->id, "agents", toJson(inbox), true);
    queueChanged(c->tenant_id);
}

void Hub::messageStatusChanged(const std::string& tenant_id, const Message& m) {
    if (!started_) return;
    JsonObject frame = jsonObject();
    frame->set("type", std::string("message_status"));
    frame->set("conversation_id", m.conversation_id);
    frame->set("message_id", m.id);
    frame->set("seq", static_cast<Poco::Int64>(m.seq));
    frame->set("delivery", m.payload && m.payload->getObject("delivery") ? m.payload->getObject("delivery") : jsonObject());
    fanOut(tenant_id, m.conversation_id, "agents", toJson(frame), true);
}

void Hub::messageUpdated(const std::string& tenant_id, const Message& m) {
    if (!started_) return;
    JsonObject frame = jsonObject();
    frame->set("type", std::string("message_updated"));
    frame->set("conversation_id", m.conversation_id);
    frame->set("message_id", m.id);
    frame->set("seq", static_cast<Poco::Int64>(m.seq));
    // The file, not the whole payload: frames cross nodes through NOTIFY, which holds under 8 KB.
    frame->set("file", m.payload && m.payload->getObject("file") ? m.payload->getObject("file") : jsonObject());
    fanOut(tenant_id, m.conversation_id, "agents", toJson(frame), true);
}

void Hub::toTenantUsers(const std::string& tenant_id, const std::string& frame) {
    if (!started_) return;
    fanOut(tenant_id, "", "agents", frame, true);
}

void Hub::presenceChanged(const std::string& tenant_id, const std::string& user_id, const std::string& name,
                          const std::string& status) {
    if (!started_) return;
    JsonObject frame = jsonObject();
    frame->set("type", std::string("presence"));
    frame->set("user_id", user_id);
    frame->set("name", name);
    frame->set("status", status);
    fanOut(tenant_id, "", "agents", toJson(frame), true);
}

void Hub::queueChanged(const std::string& tenant_id) {
    if (!started_) return;
    sendQueuePositions(tenant_id);
    JsonObject note = jsonObject();
    note->set("k", std::string("q"));
    note->set("n", node_id_);
    note->set("t", tenant_id);
    announce(toJson(note));
}

// Every visitor of the tenant on this node whose conversation is queued hears its place when it changes.
void Hub::sendQueuePositions(const std::string& tenant_id) {
    std::vector<ConnectionPtr> visitors;
    {
        std::shared_lock lock(index_mutex_);
        auto it = visitors_by_tenant_.find(tenant_id);
        if (it != visitors_by_tenant_.end()) visitors = it->second;
    }
    if (visitors.empty()) return;
    executor_->post([this, visitors] {
        Routing& routing = *app_.routing;
        for (const auto& c : visitors) {
            auto& s = session(c);
            auto conversation =
                app_.db->read([&](soci::session& sql) { return ConversationRepository(sql).find(s.conversation_id); });
            if (!conversation) continue;
            int position = routing.queuePosition(*conversation);
            {
                std::lock_guard lock(s.mutex);
                if (position == s.queue_position) continue;
                s.queue_position = position;
            }
            if (position == 0) continue;  // left the queue: the status frame says where it went
            JsonObject frame = jsonObject();
            frame->set("type", std::string("queue"));
            frame->set("conversation_id", s.conversation_id);
            frame->set("position", position);
            c->send(toJson(frame));
        }
    });
}

int Hub::deliverCommandHere(const std::string& widget_id, const std::string& visitor_id,
                           const std::string& conversation_id, const std::string& frame) {
    std::vector<ConnectionPtr> sockets;
    {
        std::shared_lock lock(index_mutex_);
        auto it = visitors_by_widget_.find(widget_id);
        if (it != visitors_by_widget_.end()) sockets = it->second;
    }
    int delivered = 0;
    for (const auto& c : sockets) {
        auto& s = session(c);
        if (!conversation_id.empty() ? s.conversation_id != conversation_id
                                     : !visitor_id.empty() && s.visitor_id != visitor_id)
            continue;
        if (c->send(frame)) ++delivered;
    }
    return delivered;
}

int Hub::deliverCommand(const std::string& widget_id, const std::string& visitor_id,
                        const std::string& conversation_id, const std::string& frame) {
    if (!started_) return 0;
    int here = deliverCommandHere(widget_id, visitor_id, conversation_id, frame);
    JsonObject note = jsonObject();
    note->set("k", std::string("c"));
    note->set("n", node_id_);
    note->set("w", widget_id);
    note->set("v", visitor_id);
    note->set("c", conversation_id);
    note->set("f", frame);
    announce(toJson(note));
    return here;
}

// Commands that waited for this visitor (or conversation): sent once, then forgotten. A read first: most hellos
// find none, and must not take the write lock.
void Hub::sendPendingCommands(const ConnectionPtr& c, Session& s) {
    std::vector<std::pair<std::string, std::string>> pending;
    long long now = nowMs();
    app_.db->read([&](soci::session& sql) {
        soci::rowset<soci::row> rows =
            (sql.prepare << "SELECT id, frame FROM pending_commands WHERE widget_id = :w AND expires_at > :n AND "
                            "(visitor_id = :v OR (conversation_id <> '' AND conversation_id = :c)) ORDER BY expires_at",
             soci::use(s.admission.widget_id), soci::use(now), soci::use(s.visitor_id), soci::use(s.conversation_id));
        for (const auto& r : rows) pending.emplace_back(rowText(r, 0), rowText(r, 1));
    });
    if (pending.empty()) return;
    app_.db->write([&](soci::session& sql) {
        for (const auto& [id, _] : pending) sql << "DELETE FROM pending_commands WHERE id = :id", soci::use(id);
        sql << "DELETE FROM pending_commands WHERE expires_at <= :n", soci::use(now);
    });
    for (const auto& [_, frame] : pending) c->send(frame);
}

void Hub::remote(const std::string& payload) {
    if (payload == kResync) {
        // Notifications may have been lost: every socket catches up on its conversations from the database.
        std::vector<ConnectionPtr> all;
        {
            std::shared_lock lock(index_mutex_);
            for (const auto& [_, list] : visitors_) all.insert(all.end(), list.begin(), list.end());
            for (const auto& [_, list] : agents_) all.insert(all.end(), list.begin(), list.end());
        }
        for (const auto& c : all) {
            auto& s = session(c);
            std::vector<std::string> conversations;
            {
                std::lock_guard lock(s.mutex);
                for (const auto& [id, _] : s.delivered)
                    if (s.catching_up.insert(id).second) conversations.push_back(id);
            }
            for (const auto& id : conversations) s.strand->post([this, c, id] { catchUp(c, id); });
        }
        return;
    }
    JsonObject note;
    try {
        note = parseJsonObject(payload, 8);
    } catch (const std::exception&) {
        return;
    }
    if (note->optValue<std::string>("n", "") == node_id_) return;  // our own
    std::string kind = note->optValue<std::string>("k", "");
    std::string tenant = note->optValue<std::string>("t", "");
    std::string conversation = note->optValue<std::string>("c", "");
    if (kind == "m") remoteMessage(tenant, conversation, note->optValue<Poco::Int64>("s", 0));
    else if (kind == "e") fanOut(tenant, conversation, note->optValue<std::string>("to", ""), note->optValue<std::string>("f", ""), false);
    else if (kind == "q") sendQueuePositions(tenant);
    else if (kind == "o" && app_.outbox) app_.outbox->wake(false);  // another node committed outbox rows
    else if (kind == "c")
        deliverCommandHere(note->optValue<std::string>("w", ""), note->optValue<std::string>("v", ""), conversation,
                           note->optValue<std::string>("f", ""));
}

// --- housekeeping -----------------------------------------------------------------------------------------

void Hub::housekeeping() {
    const long long auth_ms = app_.config.realtime.auth_timeout_seconds * 1000LL;
    const long long presence_every_ms = std::max(1000LL, app_.config.routing.presence_timeout_seconds * 1000LL / 3);
    long long presence_at = nowMs();
    std::unique_lock lock(housekeeper_mutex_);
    while (!stopping_) {
        housekeeper_wake_.wait_for(lock, std::chrono::milliseconds(500));
        if (stopping_) return;
        lock.unlock();
        long long now = nowMs();
        std::vector<ConnectionPtr> late;
        {
            std::shared_lock index(index_mutex_);
            for (const auto& [_, c] : pending_)
                if (now - session(c).opened_at > auth_ms) late.push_back(c);
        }
        for (const auto& c : late) c->close(1008, "no hello frame in time");
        // Agents with an open socket stay present without HTTP heartbeats.
        if (now - presence_at >= presence_every_ms) {
            presence_at = now;
            std::vector<std::pair<std::string, std::string>> present;
            {
                std::shared_lock index(index_mutex_);
                for (const auto& [tenant, list] : agents_)
                    for (const auto& c : list) {
                        auto& s = session(c);
                        if (!s.presence.empty() && s.presence != "offline")
                            present.emplace_back(tenant, s.admission.user_id);
                    }
            }
            try {
                app_.db->write([&](soci::session& sql) {
                    for (const auto& [tenant, user] : present)
                        sql << "UPDATE agent_presence SET last_seen_at = :n WHERE tenant_id = :t AND user_id = :u",
                            soci::use(now), soci::use(tenant), soci::use(user);
                });
            } catch (const std::exception& e) {
                app_.log->warning(std::string("realtime: presence refresh failed: ") + e.what());
            }
        }
        lock.lock();
    }
}

}  // namespace parley::core::realtime

// The realtime hub: who is connected (visitors by conversation, agents by tenant), and fan-out of what happens
// (messages by seq, typing, read receipts, presence, queue positions, assignment and status changes) to the
// right sockets on this node and, through the bus, on every other node. Protocol: docs/http-api.md#realtime.
#pragma once

#include "realtime/bus.hpp"
#include "realtime/executor.hpp"
#include "realtime/reactor.hpp"
#include "store/conversation_repository.hpp"

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace parley::core {
struct App;
}

namespace parley::core::realtime {

// {"type":"message","conversation_id":…,"message":{…}}: how every message travels to sockets.
std::string messageFrame(const Message& message);

// What the HTTP upgrade established before the socket joined the reactor.
struct Admission {
    std::string role;       // "visitor" or "agent"
    std::string widget_id;  // visitors: the widget whose key (and origin) was checked
    std::string tenant_id;  // visitors: the widget's tenant
    std::string user_id;    // agents: the signed-in user
    std::string name;
    bool via_cookie = false;
    std::string csrf_token;
    std::map<std::string, std::string> roles;  // agents: tenant id -> role
    bool super_admin = false;
};

// One socket's state, kept in Connection::state.
struct Session {
    Admission admission;
    bool ready = false;  // the hello frame was accepted
    std::string tenant_id;
    std::string conversation_id;  // visitors: theirs ("" for a visitor who has not started one yet)
    std::string visitor_id;       // visitors
    bool read_only = false;       // client_user: sees, never writes
    std::string presence;         // agents: what they last said (online, away, offline)
    long long opened_at = 0;
    std::shared_ptr<Executor::Strand> strand;
    std::mutex mutex;  // guards what follows
    std::unordered_map<std::string, long long> delivered;  // conversation -> last seq sent (or skipped)
    std::set<std::string> catching_up, catch_up_again;
    int queue_position = -1;
};

class Hub {
public:
    // realtime.workers 0 (automatic): threads running frames that touch the database.
    static constexpr int kDefaultWorkers = 64;

    explicit Hub(App& app);
    ~Hub();

    void start();
    void stop();

    // The HTTP side of GET /api/v1/realtime: refuses with a JSON error or upgrades.
    void accept(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, Admission admission);

    // After a commit: a message (its seq decides who already has it), a conversation whose status or
    // assignment changed, an agent's presence, a tenant's queue (positions are recomputed).
    void messageCommitted(const std::string& tenant_id, const Message& message);
    void conversationChanged(const std::string& conversation_id);
    void presenceChanged(const std::string& tenant_id, const std::string& user_id, const std::string& name,
                         const std::string& status);
    void queueChanged(const std::string& tenant_id);
    // An incoming command for a widget's visitors: every socket of the widget (both ids empty), one visitor's
    // sockets, or one conversation's. Returns how many sockets on this node got it; other nodes hear it too.
    int deliverCommand(const std::string& widget_id, const std::string& visitor_id,
                       const std::string& conversation_id, const std::string& frame);
    // A channel reported a delivery status for an outbound message: agents of the tenant get
    // {"type":"message_status","conversation_id","message_id","seq","delivery":{...}}.
    void messageStatusChanged(const std::string& tenant_id, const Message& message);
    // A message's payload changed after its commit (a plugin linked its media file): agents of the tenant get
    // {"type":"message_updated","conversation_id","message_id","seq","file":{...}}.
    void messageUpdated(const std::string& tenant_id, const Message& message);
    // A plugin's live notice (publish_realtime): every signed-in user of the tenant connected on any node gets
    // `frame` as it is.
    void toTenantUsers(const std::string& tenant_id, const std::string& frame);

    std::size_t connections() const;
    bool clustered() const;
    // Tells the other nodes that outbox rows were committed here, so their dispatchers run a pass (a hint over
    // the bus; nothing when single-node).
    void announceOutboxCommits();

    // Reactor callbacks (through a per-socket adapter).
    void opened(const std::shared_ptr<Connection>& c, const Admission& admission);
    void received(const std::shared_ptr<Connection>& c, std::string text);
    void closed(const std::shared_ptr<Connection>& c);

private:
    using ConnectionPtr = std::shared_ptr<Connection>;
    static Session& session(const ConnectionPtr& c);

    // Client frames (protocol.cpp).
    void handleFrame(const ConnectionPtr& c, const std::string& text);
    void hello(const ConnectionPtr& c, Session& s, const JsonObject& frame);
    void sendMessage(const ConnectionPtr& c, Session& s, const JsonObject& frame);
    void typing(const ConnectionPtr& c, Session& s, const JsonObject& frame);
    void markRead(const ConnectionPtr& c, Session& s, const JsonObject& frame);
    void resume(const ConnectionPtr& c, Session& s, const JsonObject& frame);
    void setPresence(const ConnectionPtr& c, Session& s, const JsonObject& frame);
    std::string frameConversation(Session& s, const JsonObject& frame);  // agents name it; visitors have one

    // Fan-out.
    void offer(const ConnectionPtr& c, const Message& m, const std::string& frame);
    void catchUp(const ConnectionPtr& c, const std::string& conversation_id);
    void fanOut(const std::string& tenant_id, const std::string& conversation_id, const std::string& to,
                const std::string& frame, bool publish);
    void remote(const std::string& payload);
    void announce(std::string payload);
    void remoteMessage(const std::string& tenant_id, const std::string& conversation_id, long long seq);
    void sendQueuePositions(const std::string& tenant_id);
    int deliverCommandHere(const std::string& widget_id, const std::string& visitor_id,
                           const std::string& conversation_id, const std::string& frame);
    void sendPendingCommands(const ConnectionPtr& c, Session& s);
    std::vector<ConnectionPtr> visitorsOf(const std::string& conversation_id);
    std::vector<ConnectionPtr> agentsOf(const std::string& tenant_id);
    void index(const ConnectionPtr& c, Session& s);
    void housekeeping();  // auth timeouts, agents' presence while connected

    App& app_;
    std::string node_id_;
    std::unique_ptr<Reactor> reactor_;
    std::unique_ptr<Executor> executor_;
    std::unique_ptr<Bus> bus_;
    mutable std::shared_mutex index_mutex_;
    std::unordered_map<std::string, std::vector<ConnectionPtr>> visitors_;  // conversation -> sockets
    std::unordered_map<std::string, std::vector<ConnectionPtr>> visitors_by_tenant_;
    std::unordered_map<std::string, std::vector<ConnectionPtr>> visitors_by_widget_;  // lobby sockets too
    std::unordered_map<std::string, std::vector<ConnectionPtr>> agents_;    // tenant -> sockets
    std::unordered_map<std::uint64_t, ConnectionPtr> pending_;              // before hello
    std::thread housekeeper_;
    std::mutex housekeeper_mutex_;
    std::condition_variable housekeeper_wake_;
    bool stopping_ = false;
    std::atomic<bool> started_{false};
};

}  // namespace parley::core::realtime

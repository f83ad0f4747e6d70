// Who answers a queued conversation: the tenant's queue (per department), agents' capacity and presence, and
// automatic assignment to the least-busy online agent with room. State lives in the database, so any node
// can route any tenant (on PostgreSQL an advisory lock per tenant keeps two nodes from racing).
#pragma once

#include "store/conversation_repository.hpp"

#include <string>
#include <vector>

namespace parley::core {

struct App;

struct AgentState {
    std::string user_id;
    std::string name;
    std::string role;
    std::string status = "offline";  // online, away, offline (offline also when the heartbeat is stale)
    long long last_seen_at = 0;
    int capacity = 0;
    std::vector<std::string> departments;  // empty: every department
    int active = 0;                        // conversations assigned and not closed

    bool serves(const std::string& department) const;   // "" or no departments of their own: every one
    bool canTake(const std::string& department) const;  // online, serves it, below capacity
    JsonObject toJson() const;
};

struct Assignment {
    std::string conversation_id;
    std::string agent_id;
};

class Routing {
public:
    explicit Routing(App& app) : app_(app) {}

    // Every agent and client admin of the tenant with presence, capacity and load.
    std::vector<AgentState> agents(const std::string& tenant_id);
    // True when an online agent exists for the department ("" means any); `with_room` also asks for capacity.
    bool agentsOnline(const std::string& tenant_id, const std::string& department, bool with_room);

    // Moves the conversation to the queue (department "" keeps the current one), records when, and writes
    // conversation.handoff_requested to the outbox.
    void enqueue(const Conversation& conversation, const std::string& reason, const std::string& department);
    // Gives queued conversations, oldest first, to the least-busy online agent with room for its department.
    // Returns what it assigned (nothing when routing.auto_assign is off). Does not publish: see routeTenant.
    std::vector<Assignment> assignQueued(const std::string& tenant_id);
    // Assigns one conversation to one agent (manual pick, transfer): status active, timestamps, outbox event.
    void assign(const Conversation& conversation, const std::string& agent_id, const std::string& by);
    // 1-based place in its tenant's (and department's) queue; 0 when not queued.
    int queuePosition(const Conversation& conversation);

    // Records an agent's presence (a heartbeat), tells the tenant's agents, and when the agent comes online
    // gives them queued conversations.
    void setPresence(const std::string& tenant_id, const std::string& user_id, const std::string& name,
                     const std::string& status);

    // Hands the conversation to a human: queue, assignment if someone has room, realtime updates; with no agent
    // online at all, asks the visitor for contact details instead of leaving them waiting (offline lead capture).
    void handoff(const Conversation& conversation, const std::string& reason, const std::string& department);
    // Assigns what it can in the tenant and tells everyone concerned.
    void routeTenant(const std::string& tenant_id);

    void setAgentSettings(const std::string& tenant_id, const std::string& user_id, int capacity,
                          const std::vector<std::string>& departments);
    // Closes the conversation (by "visitor", "agent", "rule"...) with its conversation.closed event. Idempotent.
    void close(const Conversation& conversation, const std::string& by);
    // Posts the lead form as a bot message (offline lead capture; also the `ask_lead` action).
    void askForContact(const Conversation& conversation, const std::string& reason);

private:
    App& app_;
};

}  // namespace parley::core

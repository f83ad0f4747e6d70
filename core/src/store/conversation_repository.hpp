// Conversations and their messages; a message's seq is its place in the conversation, given at commit.
#pragma once

#include "http/json.hpp"

#include <soci/soci.h>

#include <optional>
#include <string>
#include <vector>

namespace parley::core {

struct Conversation {
    std::string id;
    std::string tenant_id;
    std::string widget_id;
    std::string visitor_id;
    std::string session_id;
    std::string visitor_token_hash;
    std::string channel = "web";
    std::string status = "bot";  // bot, queued, active, closed
    JsonObject visitor_info;
    JsonObject context;
    JsonObject attributes;
    long long last_seq = 0;
    std::string assigned_agent_id;  // "" while no agent has it
    std::string department;         // "" for the tenant's general queue
    long long created_at = 0;
    long long updated_at = 0;
    long long queued_at = 0;          // when it last joined the human queue (0: never)
    long long first_assigned_at = 0;  // wait time = first_assigned_at - queued_at
    long long first_response_at = 0;  // first agent reply
    long long closed_at = 0;
    long long visitor_read_seq = 0;   // read receipts: the last seq each side has seen
    long long agent_read_seq = 0;

    JsonObject toJson() const;  // never the token hash
};

struct Message {
    std::string id;
    std::string tenant_id;
    std::string conversation_id;
    long long seq = 0;
    std::string sender_type;  // visitor, bot, agent, system
    std::string type = "text";
    std::string text;
    JsonObject payload;
    std::string client_message_id;
    std::string origin;  // "" for the core, a plugin id or "lua:<file>"
    bool flagged = false;
    long long created_at = 0;

    JsonObject toJson() const;
};

class ConversationRepository {
public:
    explicit ConversationRepository(soci::session& sql) : sql_(sql) {}

    void insert(const Conversation& c);
    // The conversation with this id in this widget (public calls name both), or nullopt.
    std::optional<Conversation> findInWidget(const std::string& widget_id, const std::string& id);
    std::optional<Conversation> find(const std::string& id);
    // The newest conversation not closed of a channel contact with this tenant's widget.
    std::optional<Conversation> findOpenOnChannel(const std::string& tenant_id, const std::string& widget_id,
                                                  const std::string& channel, const std::string& visitor_id);
    // The conversation, and whether a message with `client_message_id` ("" = none) is already stored in it: the
    // two reads a new message needs, in one query.
    std::optional<std::pair<Conversation, bool>> findForMessage(const std::string& id,
                                                                const std::string& client_message_id);
    // findOpenOnChannel and findForMessage in one query: a channel contact's open conversation, and whether a
    // message with `client_message_id` is already stored in it.
    std::optional<std::pair<Conversation, bool>> findOpenOnChannelForMessage(const std::string& tenant_id,
                                                                             const std::string& widget_id,
                                                                             const std::string& channel,
                                                                             const std::string& visitor_id,
                                                                             const std::string& client_message_id);
    // A tenant's conversations, most recently updated first; `status` and `agent_id` filter when not empty.
    std::vector<Conversation> listForTenant(const std::string& tenant_id, const std::string& status,
                                            const std::string& agent_id, int limit);
    void updateAttributes(const std::string& id, const JsonObject& attributes, long long now);
    void updateStatus(const std::string& id, const std::string& status, long long now);

    // Gives the message the conversation's next seq and stores it. Call inside a write transaction.
    void appendMessage(Message& m);
    // The message with this id in this conversation, or nullopt (ids of other conversations are unknown here).
    std::optional<Message> findMessage(const std::string& conversation_id, const std::string& message_id);
    void updateMessagePayload(const std::string& message_id, const JsonObject& payload);
    std::optional<Message> findByClientId(const std::string& conversation_id, const std::string& client_message_id);
    // Messages after `after_seq` in order. The visitor's view passes include_internal = false: internal notes
    // (sender_type "note") are the agents' only.
    std::vector<Message> messagesAfter(const std::string& conversation_id, long long after_seq, int limit,
                                       bool include_flagged, bool include_internal = true);

private:
    soci::session& sql_;
};

// Appends an event to the transactional outbox (in the caller's transaction).
void appendOutboxEvent(soci::session& sql, const std::string& tenant_id, const std::string& name,
                       const JsonObject& payload);

}  // namespace parley::core

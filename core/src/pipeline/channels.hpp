// What channel plugins (WhatsApp, ...) need from the core beyond the web widget: a conversation per outside
// contact, and delivery statuses on the messages they carry out (host functions of ABI 1.2).
#pragma once

#include "store/conversation_repository.hpp"

#include <string>

namespace parley::core {

struct App;

struct ChannelContact {
    std::string channel;     // "whatsapp"
    std::string tenant_id;
    std::string widget_id;   // whose bot and settings apply
    std::string contact_id;  // the contact's id on the channel (stored as visitor_id)
    JsonObject visitor_info;
    JsonObject context;
};

struct ChannelConversation {
    Conversation conversation;
    bool created = false;
};

// The contact's conversation that is not closed, or a new one (with its conversation.started outbox event).
// Racing calls for one contact get one conversation (SQLite's single writer; an advisory lock on PostgreSQL).
// Throws ApiError 404 when the widget is not the tenant's, 422 for malformed fields.
ChannelConversation openChannelConversation(App& app, const ChannelContact& contact);

struct ChannelTarget {
    Conversation conversation;
    bool created = false;  // opened by this call
    bool seen = true;      // a message with the client message id may be stored in it already (false: it is not)
};

// For a contact's new message (ABI 1.5 channel_inbound): the contact's open conversation and whether
// `client_message_id` is stored in it, in one read; when there is none, openChannelConversation's road.
// `small_request`: the caller's request text was under 8 KiB, so visitor_info and context cannot pass their
// limits and are not measured again. Throws like openChannelConversation.
ChannelTarget channelTargetForMessage(App& app, const ChannelContact& contact, const std::string& client_message_id,
                                      bool small_request);

struct DeliveryUpdate {
    Message message;
    bool changed = false;
};

// Applies one delivery status to an outbound message's payload.delivery (statuses only move forward; "failed"
// wins over anything before "delivered"); when it changed, commits a message.status outbox event with it and
// tells the tenant's agents live. Throws ApiError 404 for an unknown message, 422 for an unknown status.
DeliveryUpdate applyDeliveryStatus(App& app, const std::string& message_id, const std::string& status, long long at,
                                   const std::string& external_id, const JsonObject& error);

// The rank of a delivery status (queued 0 ... read 4, failed 10), -1 when unknown.
int deliveryRank(const std::string& status);

}  // namespace parley::core

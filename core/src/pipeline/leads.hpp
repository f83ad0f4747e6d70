// Lead capture: a contact created or updated by email (else phone) and a lead linked to the conversation.
#pragma once

#include "store/conversation_repository.hpp"

#include <string>

namespace parley::core {

struct App;

struct LeadInput {
    std::string name;
    std::string email;  // at least one of email and phone
    std::string phone;
    bool consent = false;
    std::string source = "chat_widget";
};

// Validates (422 naming the field), upserts the contact, stores the lead with the conversation's attribution
// (UTM, page, referrer) and a lead.captured outbox event, all in one transaction. Returns {lead, contact}.
JsonObject captureLead(App& app, const Conversation& conversation, LeadInput input);

// Reads a LeadInput from a JSON object (a request body or a rule's capture_lead action); throws 422.
LeadInput leadInputFrom(const JsonObject& body);

}  // namespace parley::core

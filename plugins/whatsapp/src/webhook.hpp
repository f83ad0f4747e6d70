// Meta's webhook payload turned into plain values: every entry, every change, every message and status.
// Plain code (Poco JSON only): no SDK types, unit-tested on the fixtures.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <string>
#include <vector>

namespace parley::whatsapp {

// One message a WhatsApp user sent, as a Parley message plus what routing needs.
struct Inbound {
    std::string phone_number_id;   // which business number received it
    std::string wa_id;             // the sender
    std::string profile_name;      // "" when the change has no contacts (system messages)
    std::string wamid;             // Meta's message id: the client message id for de-duplication
    long long timestamp_ms = 0;    // when the user sent it (Meta's clock)
    std::string type;              // the Parley message type: text, image, quick_reply, location, ...
    std::string text;
    Poco::JSON::Object::Ptr payload;   // type-specific fields plus "whatsapp": {id, type, timestamp, context}
    Poco::JSON::Object::Ptr referral;  // click-to-WhatsApp ad data, or null
};

// One delivery status of a message we sent.
struct StatusUpdate {
    std::string phone_number_id;
    std::string wamid;
    std::string status;        // sent, delivered, read, failed (others are passed on and ignored by the core)
    std::string recipient_id;
    long long timestamp_ms = 0;
    Poco::JSON::Array::Ptr errors;  // for failed; may be null
};

struct ParsedWebhook {
    std::vector<Inbound> messages;
    std::vector<StatusUpdate> statuses;
    std::vector<std::string> ignored;  // what was accepted but not used, for the log (unknown fields, ...)
};

// Reads a webhook body already parsed as a JSON object. Never throws on unknown content: what it does not
// understand is listed in `ignored` (Meta retries anything but a 2xx for days, so unknown is not an error).
ParsedWebhook parseWebhook(const Poco::JSON::Object::Ptr& root);

// The Parley message for one entry of value.messages (exposed for tests).
Inbound mapMessage(const Poco::JSON::Object::Ptr& message);

}  // namespace parley::whatsapp

// What a receiver gets: the Standard Webhooks body {type, timestamp, data} or seed 000's legacy body, built
// from a durable-subscription event. Plain functions over Poco JSON, no SDK types.
#pragma once

#include <Poco/JSON/Object.h>

#include <string>
#include <vector>

namespace parley::crm_webhooks {

using Json = Poco::JSON::Object::Ptr;

// Parses a JSON object; throws std::invalid_argument with the parser's reason otherwise.
Json parseObject(const std::string& text);
std::string toText(const Json& object);
// Parses a JSON array of objects (a batch subscription's events); throws std::invalid_argument otherwise.
std::vector<Json> parseEvents(const std::string& text);
// A string member, or `fallback` when absent, null or not a string.
std::string stringOf(const Json& object, const std::string& key, const std::string& fallback = "");

// "2021-02-25T15:02:10.123Z" for milliseconds since the epoch.
std::string isoTime(long long ms);

// The webhook-id of an event: "msg_" + its outbox id without dashes; the same for every attempt.
std::string webhookId(const std::string& event_id);

// {"type": name, "timestamp": ISO time of the commit, "data": payload + tenant_id + conversation context}.
std::string standardBody(const Json& event);

// Seed 000's shape: {"event": "chat_opened", "timestamp", "siteId", "sessionId", "utm", "page", "visitor", "data"}.
std::string legacyBody(const Json& event);
// conversation.started -> chat_opened, conversation.closed -> chat_closed, lead.captured -> lead_captured,
// anything else with dots turned into underscores.
std::string legacyEventName(const std::string& name);

// The widget an event concerns: payload.widget_id, payload.conversation.widget_id or conversation.widget_id.
std::string widgetOf(const Json& event);

}  // namespace parley::crm_webhooks

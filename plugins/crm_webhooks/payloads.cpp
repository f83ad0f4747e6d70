// Webhook bodies from durable-subscription events.
#include "payloads.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <ctime>
#include <sstream>
#include <stdexcept>

namespace parley::crm_webhooks {

Json parseObject(const std::string& text) {
    try {
        Poco::JSON::Parser parser;
        Poco::Dynamic::Var v = parser.parse(text);
        if (v.type() != typeid(Json)) throw std::invalid_argument("expected a JSON object");
        return v.extract<Json>();
    } catch (const Poco::Exception& e) {
        throw std::invalid_argument("not valid JSON: " + e.displayText());
    }
}

std::vector<Json> parseEvents(const std::string& text) {
    Poco::JSON::Array::Ptr list;
    try {
        Poco::JSON::Parser parser;
        Poco::Dynamic::Var v = parser.parse(text);
        if (v.type() != typeid(Poco::JSON::Array::Ptr)) throw std::invalid_argument("expected a JSON array of events");
        list = v.extract<Poco::JSON::Array::Ptr>();
    } catch (const Poco::Exception& e) {
        throw std::invalid_argument("events are not valid JSON: " + e.displayText());
    }
    std::vector<Json> out;
    for (unsigned i = 0; i < list->size(); ++i) {
        Json e = list->getObject(i);
        if (!e) throw std::invalid_argument("event " + std::to_string(i) + " of the batch is not a JSON object");
        out.push_back(e);
    }
    return out;
}

std::string toText(const Json& object) {
    std::ostringstream out;
    object->stringify(out);
    return out.str();
}

std::string stringOf(const Json& object, const std::string& key, const std::string& fallback) {
    if (!object || !object->has(key)) return fallback;
    Poco::Dynamic::Var v = object->get(key);
    if (v.isEmpty() || !v.isString()) return fallback;
    return v.extract<std::string>();
}

std::string isoTime(long long ms) {
    std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[48];
    std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
    return out;
}

std::string webhookId(const std::string& event_id) {
    std::string out = "msg_";
    for (char c : event_id)
        if (c != '-') out.push_back(c);
    return out;
}

namespace {

Json objectOf(const Json& o, const std::string& key) {
    if (!o || !o->has(key) || o->get(key).type() != typeid(Json)) return nullptr;
    return o->getObject(key);
}

Json eventData(const Json& event) {
    Json payload = objectOf(event, "payload");
    Json data = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    if (payload)
        for (const auto& name : payload->getNames()) data->set(name, payload->get(name));
    if (!data->has("tenant_id") && event->has("tenant_id")) data->set("tenant_id", event->get("tenant_id"));
    if (Json c = objectOf(event, "conversation")) data->set("conversation", c);
    return data;
}

}  // namespace

std::string standardBody(const Json& event) {
    Json body = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("type", stringOf(event, "name"));
    body->set("timestamp", isoTime(event->optValue<Poco::Int64>("created_at", 0)));
    body->set("data", eventData(event));
    return toText(body);
}

std::string legacyEventName(const std::string& name) {
    if (name == "conversation.started") return "chat_opened";
    if (name == "conversation.closed") return "chat_closed";
    if (name == "lead.captured") return "lead_captured";
    std::string out = name;
    for (char& c : out)
        if (c == '.') c = '_';
    return out;
}

std::string legacyBody(const Json& event) {
    Json conversation = objectOf(event, "conversation");
    Json context = objectOf(conversation, "context");
    Json visitor = objectOf(conversation, "visitor");
    Json body = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("event", legacyEventName(stringOf(event, "name")));
    body->set("timestamp", isoTime(event->optValue<Poco::Int64>("created_at", 0)));
    body->set("siteId", widgetOf(event));
    body->set("sessionId", stringOf(conversation, "session_id"));
    Json utm = objectOf(context, "utm");
    body->set("utm", utm ? utm : Json(new Poco::JSON::Object));
    Json page = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    std::string url = stringOf(context, "page_url");
    std::string host;
    if (auto scheme = url.find("://"); scheme != std::string::npos)
        host = url.substr(scheme + 3, url.find('/', scheme + 3) - (scheme + 3));
    page->set("host", host);
    page->set("url", url);
    page->set("referrer", stringOf(context, "referrer"));
    body->set("page", page);
    Json who = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    who->set("id", stringOf(conversation, "visitor_id"));
    who->set("ipHash", stringOf(visitor, "ip_hash"));
    who->set("userAgent", stringOf(visitor, "user_agent"));
    who->set("language", stringOf(visitor, "language"));
    body->set("visitor", who);
    body->set("data", eventData(event));
    return toText(body);
}

std::string widgetOf(const Json& event) {
    Json payload = objectOf(event, "payload");
    std::string w = stringOf(payload, "widget_id");
    if (w.empty()) w = stringOf(objectOf(payload, "conversation"), "widget_id");
    if (w.empty()) w = stringOf(objectOf(event, "conversation"), "widget_id");
    return w;
}

}  // namespace parley::crm_webhooks

// The request is documented in README.md ("Automation bridge"); it is signed like the webhooks, with the
// automation's own secret, so an n8n Webhook node (or any receiver) can verify it.
#include "automation.hpp"

#include "signing.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <set>
#include <sstream>

namespace parley::crm_webhooks {

AutomationAnswer parseAutomationAnswer(const std::string& body) {
    Json o;
    std::string text = body;
    // n8n's "Respond to Webhook" with "All Incoming Items" answers an array: take its first item.
    auto first = text.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && text[first] == '[') {
        Poco::JSON::Parser parser;
        Poco::JSON::Array::Ptr list;
        try {
            list = parser.parse(text).extract<Poco::JSON::Array::Ptr>();
        } catch (const std::exception& e) {
            throw std::invalid_argument(std::string("the answer is not valid JSON: ") + e.what());
        }
        if (list->size() == 0 || !list->isObject(0)) throw std::invalid_argument("the answer is an empty list");
        o = list->getObject(0);
    } else {
        o = parseObject(text);
    }
    AutomationAnswer a;
    if (o->has("reply") && !o->isNull("reply")) {
        if (!o->get("reply").isString()) throw std::invalid_argument("'reply' must be a string");
        a.reply = o->getValue<std::string>("reply");
        if (a.reply.size() > 4000) throw std::invalid_argument("'reply' is over 4000 bytes");
    }
    if (auto q = o->getArray("quick_replies")) {
        for (size_t i = 0; i < q->size() && i < 10; ++i)
            if (q->get(static_cast<unsigned>(i)).isString()) a.quick_replies.push_back(q->getElement<std::string>(static_cast<unsigned>(i)));
    }
    if (o->has("handoff") && !o->isNull("handoff")) {
        Poco::Dynamic::Var h = o->get("handoff");
        a.handoff = h.isBoolean() ? h.extract<bool>() : true;
    }
    if (o->has("attributes") && !o->isNull("attributes")) {
        Json attributes = o->getObject("attributes");
        if (!attributes) throw std::invalid_argument("'attributes' must be an object");
        if (attributes->size() > 0) a.attributes = toText(attributes);
        if (a.attributes.size() > 16384) throw std::invalid_argument("'attributes' is over 16 KiB");
    }
    return a;
}

Automation::Automation(parley::Plugin plugin, Settings settings) : p_(plugin), s_(std::move(settings)) {
    thread_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        for (;;) {
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (stopping_) return;
            Json job = queue_.front();
            queue_.pop_front();
            lock.unlock();
            try {
                run(job);
            } catch (const std::exception& e) {
                p_.warn(std::string("automation: ") + e.what());
            }
            lock.lock();
        }
    });
}

Automation::~Automation() { stop(); }

void Automation::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void Automation::stageBatch(const std::vector<Json>& events) {
    std::vector<Json> candidates;
    std::vector<std::string> widgets;
    for (const auto& event : events) {
        if (stringOf(event, "name") != "message.created") continue;
        Json payload = event->getObject("payload");
        Json message = payload ? payload->getObject("message") : nullptr;
        if (!message || stringOf(message, "sender_type") != "visitor") continue;
        if (message->optValue<bool>("flagged", false)) continue;
        std::string widget = widgetOf(event);
        if (!isUuid(widget)) continue;
        candidates.push_back(event);
        if (std::find(widgets.begin(), widgets.end(), widget) == widgets.end()) widgets.push_back(widget);
    }
    if (candidates.empty()) return;
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    std::string in;
    for (const auto& w : widgets) {
        list->add(w);
        in += (in.empty() ? ":" : ", :") + std::to_string(list->size());
    }
    std::ostringstream params;
    list->stringify(params);
    std::set<std::string> forwarding;
    for (const auto& r : rows(p_, "SELECT widget_id FROM crm_webhooks_automation WHERE enabled = 1 AND mode = 'all' AND "
                                  "widget_id IN (" + in + ")", params.str()))
        forwarding.insert(stringOf(r, "widget_id"));
    if (forwarding.empty()) return;
    long long pass = intOf(events.front(), "pass");
    std::lock_guard lock(mutex_);
    if (pass != staged_pass_) {
        staged_.clear();
        staged_pass_ = pass;
    }
    for (const auto& event : candidates)
        if (forwarding.count(widgetOf(event))) staged_.push_back(event);
}

void Automation::committed() {
    {
        std::lock_guard lock(mutex_);
        for (auto& e : staged_) queue_.push_back(e);
        staged_.clear();
    }
    wake_.notify_all();
}

void Automation::forward(const Json& event) {
    std::lock_guard lock(mutex_);
    queue_.push_back(event);
    wake_.notify_all();
}

void Automation::run(const Json& event) {
    Json payload = event->has("payload") ? event->getObject("payload") : event;
    Json conversation = event->getObject("conversation");
    Json message = payload ? payload->getObject("message") : nullptr;
    std::string conversation_id = stringOf(event, "conversation_id", stringOf(payload, "conversation_id"));
    if (conversation_id.empty() && message) conversation_id = stringOf(message, "conversation_id");
    std::string widget = widgetOf(event);
    if (!isUuid(conversation_id) || !isUuid(widget)) return;
    auto found = rows(p_, "SELECT * FROM crm_webhooks_automation WHERE widget_id = :1 AND enabled = 1", P(widget));
    if (found.empty()) return;
    Json automation = found[0];
    // The request: conversation, message, visitor, UTM and page, and the last messages for context.
    Json request = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    request->set("type", std::string("message.received"));
    request->set("timestamp", isoTime(nowMs()));
    request->set("conversation_id", conversation_id);
    request->set("widget_id", widget);
    request->set("message", message ? message : Json(new Poco::JSON::Object));
    Json context = conversation ? conversation->getObject("context") : nullptr;
    request->set("visitor", conversation && conversation->getObject("visitor") ? conversation->getObject("visitor")
                                                                               : Json(new Poco::JSON::Object));
    request->set("utm", context && context->getObject("utm") ? context->getObject("utm") : Json(new Poco::JSON::Object));
    Json page = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    page->set("url", stringOf(context, "page_url"));
    page->set("referrer", stringOf(context, "referrer"));
    request->set("page", page);
    request->set("attributes", conversation && conversation->getObject("attributes") ? conversation->getObject("attributes")
                                                                                     : Json(new Poco::JSON::Object));
    Poco::JSON::Array::Ptr history = new Poco::JSON::Array;
    auto tail = rows(p_, "SELECT sender_type, text, created_at FROM messages WHERE conversation_id = :1 AND flagged = 0 "
                         "ORDER BY seq DESC LIMIT 10", P(conversation_id));
    for (auto it = tail.rbegin(); it != tail.rend(); ++it) history->add(*it);
    request->set("history", history);
    std::string body = toText(request);
    std::string id = "msg_" + newUuid().substr(0, 8) + newUuid().substr(9, 4);
    long long ts = nowMs() / 1000;
    std::string secret = p_.open(stringOf(automation, "secret"), "automation:" + widget);
    std::string headers = "Content-Type: application/json\nwebhook-id: " + id + "\nwebhook-timestamp: " +
                          std::to_string(ts) + "\nwebhook-signature: " + standardSignature(secret, id, ts, body) + "\n";
    std::string failure;
    AutomationAnswer answer;
    long long started = nowMs();
    try {
        parley::HttpReply reply = p_.http("POST", stringOf(automation, "url"), body, headers,
                                          static_cast<int>(intOf(automation, "timeout_ms", s_.automation_timeout_ms)), 0);
        if (reply.status < 200 || reply.status >= 300) failure = "the workflow answered HTTP " + std::to_string(reply.status);
        else answer = parseAutomationAnswer(reply.body);
    } catch (const std::exception& e) {
        failure = e.what();
    }
    // Attributes apply whether or not a reply came with them (a workflow may only classify the visitor).
    if (failure.empty() && !answer.attributes.empty()) {
        try {
            p_.setConversationAttributes(conversation_id, answer.attributes);
            p_.count("automation_attributes");
        } catch (const std::exception& e) {
            p_.warn("automation for widget " + widget + ": attributes not stored: " + e.what());
        }
    }
    if (!failure.empty() || answer.reply.empty()) {
        if (failure.empty()) failure = "the workflow answered without a reply";
        p_.warn("automation for widget " + widget + " failed after " + std::to_string(nowMs() - started) + " ms: " + failure);
        p_.count("automation_fallbacks");
        std::string fallback = stringOf(automation, "fallback_text");
        if (!fallback.empty() && failure != "the workflow answered without a reply")
            p_.postMessage(conversation_id, "{\"text\":" + parley::Response::quote(fallback) + "}");
        return;
    }
    std::string out = "{\"text\":" + parley::Response::quote(answer.reply);
    if (!answer.quick_replies.empty()) {
        out += ",\"quick_replies\":[";
        for (size_t i = 0; i < answer.quick_replies.size(); ++i)
            out += (i ? "," : "") + parley::Response::quote(answer.quick_replies[i]);
        out += "]";
    }
    p_.postMessage(conversation_id, out + "}");
    p_.count("automation_replies");
    if (answer.handoff) p_.emit("automation.handoff_requested", "{\"conversation_id\":\"" + conversation_id + "\",\"widget_id\":\"" + widget + "\"}");
}

}  // namespace parley::crm_webhooks

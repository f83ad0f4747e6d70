// Reads the core's event payloads (docs/events.md) and turns the bot's decision into actions and counts.
#include "responder.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>
#include <stdexcept>

namespace parley::knowledge_base {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr parseObject(const std::string& json) {
    auto v = Poco::JSON::Parser().parse(json);
    if (v.type() != typeid(Object::Ptr)) throw std::invalid_argument("expected a JSON object");
    return v.extract<Object::Ptr>();
}

WidgetPolicy policyFrom(const Object::Ptr& widget) {
    WidgetPolicy p;
    if (!widget) return p;
    p.chatbot_enabled = widget->optValue<bool>("chatbot_enabled", true);
    p.answer_threshold = widget->optValue<double>("bot_confidence_threshold", 0.6);
    p.suggestion_threshold = widget->optValue<double>("bot_suggestion_threshold", 0.35);
    p.fallback = widget->optValue<std::string>("bot_fallback", "handoff");
    p.language = widget->optValue<std::string>("default_language", "en");
    return p;
}

}  // namespace

std::vector<std::string> Responder::onInbound(const std::string& payload_json) {
    Object::Ptr payload = parseObject(payload_json);
    std::string tenant = payload->optValue<std::string>("tenant_id", "");
    std::string widget = payload->optValue<std::string>("widget_id", "");
    Object::Ptr message = payload->getObject("message");
    std::string text = message ? message->optValue<std::string>("text", "") : "";
    WidgetPolicy policy = policyFrom(payload->getObject("widget"));
    if (!policy.chatbot_enabled || text.find_first_not_of(" \t\r\n") == std::string::npos || !isUuid(tenant) ||
        !isUuid(widget))
        return {};
    Decision decision;
    std::string action;
    cache_.read(tenant, widget, policy.language, [&](const Index& index) {
        if (index.size() == 0) return;  // no knowledge base: leave the conversation to others
        decision = decide(index.search(text, kMaxSuggestions), policy);
        action = actionJson(decision, policy);  // built under the lock: hits point into the index
    });
    if (action.empty()) return {};
    if (decision.outcome == Outcome::answer) {
        store_.countUse(tenant, widget, decision.hits[0].entry->id);
    } else {
        std::string best = decision.hits.empty() ? "" : decision.hits[0].entry->id;
        double confidence = decision.hits.empty() ? 0 : decision.hits[0].confidence;
        store_.recordGap(tenant, widget, gapKey(text, policy.language), text.substr(0, 1000),
                         decision.outcome == Outcome::suggest ? "suggested" : "unanswered", best, confidence);
    }
    return {action};
}

void Responder::onFeedback(const std::string& payload_json) {
    Object::Ptr payload = parseObject(payload_json);
    Object::Ptr message = payload->getObject("message");
    Object::Ptr message_payload = message ? message->getObject("payload") : nullptr;
    Object::Ptr meta = message_payload ? message_payload->getObject("meta") : nullptr;
    if (!meta || !meta->has("kb_entry_id")) return;
    bool helpful = payload->optValue<bool>("helpful", false);
    std::string previous = payload->optValue<std::string>("previous", "");
    int helpful_delta = (helpful ? 1 : 0) - (previous == "helpful" ? 1 : 0);
    int not_helpful_delta = (helpful ? 0 : 1) - (previous == "not_helpful" ? 1 : 0);
    store_.countFeedback(payload->optValue<std::string>("tenant_id", ""), payload->optValue<std::string>("widget_id", ""),
                         meta->optValue<std::string>("kb_entry_id", ""), helpful_delta, not_helpful_delta);
}

std::string Responder::luaSearch(const std::string& args_json) {
    auto parsed = Poco::JSON::Parser().parse(args_json);
    Array::Ptr args = parsed.type() == typeid(Array::Ptr) ? parsed.extract<Array::Ptr>() : nullptr;
    if (!args || args->size() == 0 || !args->get(0).isString())
        throw std::invalid_argument("parley.kb.search(text, {widget_id = ctx.widget_id, limit = 3}): text must be a string");
    std::string text = args->getElement<std::string>(0);
    Object::Ptr options = args->size() > 1 ? args->getObject(1) : nullptr;
    std::string widget = options ? options->optValue<std::string>("widget_id", "") : "";
    int limit = options ? options->optValue<int>("limit", 3) : 3;
    if (limit < 1 || limit > 20) throw std::invalid_argument("parley.kb.search: limit must be between 1 and 20");
    auto tenant = store_.widgetTenant(widget);
    if (!tenant) throw std::invalid_argument("parley.kb.search: options.widget_id must name a widget (ctx.widget_id)");
    Array::Ptr out = new Array;
    cache_.read(*tenant, widget, "", [&](const Index& index) {
        for (const auto& h : index.search(text, static_cast<size_t>(limit))) {
            Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
            o->set("id", h.entry->id);
            o->set("question", h.entry->question);
            o->set("answer", h.entry->answer);
            o->set("score", h.score);
            o->set("confidence", h.confidence);
            out->add(o);
        }
    });
    std::ostringstream s;
    Poco::JSON::Stringifier::condense(out, s);
    return s.str();
}

}  // namespace parley::knowledge_base

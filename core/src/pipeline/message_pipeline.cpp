// One road for every message: a reject stores nothing, a commit stores the message and its outbox event
// together, and bots answer after the client has its 2xx.
#include "pipeline/message_pipeline.hpp"

#include "app/app.hpp"
#include "app/errors.hpp"
#include "pipeline/attributes.hpp"
#include "pipeline/leads.hpp"
#include "pipeline/routing.hpp"
#include "realtime/hub.hpp"
#include "store/database.hpp"
#include "store/widget_repository.hpp"

#include <Poco/String.h>

namespace parley::core {

MessagePipeline::MessagePipeline(App& app) : app_(app), committer_(*app.db) {}

MessagePipeline::~MessagePipeline() { stop(); }

// What a bot needs to know about the widget it answers for: its thresholds, fallback and language. Kept for
// widgets.config_cache_seconds (like the public config), so a message costs no widget read.
JsonObject MessagePipeline::botSettings(const Conversation& c) const {
    long long now = nowMs();
    long long ttl = app_.config.widgets.config_cache_seconds * 1000LL;
    {
        std::lock_guard lock(settings_mutex_);
        auto it = settings_.find(c.widget_id);
        if (it != settings_.end() && now - it->second.first < ttl) {
            JsonObject copy = jsonObject();  // a hook may change its payload: never hand out the cached object
            for (const auto& name : it->second.second->getNames()) copy->set(name, it->second.second->get(name));
            return copy;
        }
    }
    auto widget = app_.db->read([&](soci::session& sql) { return WidgetRepository(sql).find(c.tenant_id, c.widget_id); });
    JsonObject features = widget && widget->config ? widget->config->getObject("features") : nullptr;
    JsonObject localization = widget && widget->config ? widget->config->getObject("localization") : nullptr;
    JsonObject out = jsonObject();
    out->set("id", c.widget_id);
    out->set("chatbot_enabled", features ? features->optValue<bool>("chatbot_enabled", true) : true);
    out->set("bot_confidence_threshold", features ? features->optValue<double>("bot_confidence_threshold", 0.6) : 0.6);
    out->set("bot_suggestion_threshold", features ? features->optValue<double>("bot_suggestion_threshold", 0.35) : 0.35);
    out->set("bot_fallback", features ? features->optValue<std::string>("bot_fallback", "handoff") : "handoff");
    out->set("default_language", localization ? localization->optValue<std::string>("default_language", "en") : "en");
    std::lock_guard lock(settings_mutex_);
    if (settings_.size() > 10000) settings_.clear();  // bounded: widgets are few, but never grow without end
    JsonObject cached = jsonObject();
    for (const auto& name : out->getNames()) cached->set(name, out->get(name));
    settings_[c.widget_id] = {now, cached};
    return out;
}

JsonObject MessagePipeline::eventPayload(const Conversation& c, const NewMessage& m) const {
    JsonObject message = jsonObject();
    message->set("text", m.text);
    message->set("type", m.type);
    message->set("sender_type", m.sender_type);
    if (m.payload) message->set("payload", m.payload);
    JsonObject conversation = jsonObject();
    conversation->set("id", c.id);
    conversation->set("status", c.status);
    conversation->set("attributes", c.attributes);
    JsonObject visitor = c.visitor_info ? storedObject(toJson(c.visitor_info)) : jsonObject();
    visitor->set("id", c.visitor_id);
    JsonObject payload = jsonObject();
    payload->set("tenant_id", c.tenant_id);
    payload->set("widget_id", c.widget_id);
    payload->set("message", message);
    payload->set("conversation", conversation);
    payload->set("visitor", visitor);
    payload->set("channel", c.channel);
    payload->set("utm", c.context && c.context->getObject("utm") ? c.context->getObject("utm") : jsonObject());
    payload->set("widget", botSettings(c));
    return payload;
}

Message MessagePipeline::commit(const Conversation& c, NewMessage& m, bool flagged) {
    Message msg;
    msg.id = newUuid();
    msg.tenant_id = c.tenant_id;
    msg.conversation_id = c.id;
    msg.sender_type = m.sender_type;
    msg.type = m.type;
    msg.text = m.text;
    msg.payload = m.payload ? m.payload : jsonObject();
    msg.client_message_id = m.client_message_id;
    msg.origin = m.origin;
    msg.flagged = flagged;
    msg.created_at = nowMs();
    JsonObject event = jsonObject();
    event->set("widget_id", c.widget_id);
    event->set("channel", c.channel);  // what a subscription's conditions most often look at (docs/events.md)
    committer_.commit(msg, "message.created", event, m.with_commit);
    if (app_.realtime) app_.realtime->messageCommitted(c.tenant_id, msg);
    return msg;
}

// The message a client message id already stored in this conversation, if any.
std::optional<Message> MessagePipeline::firstResult(const Conversation& c, const NewMessage& m) const {
    if (m.client_message_id.empty()) return std::nullopt;
    return app_.db->read(
        [&](soci::session& sql) { return ConversationRepository(sql).findByClientId(c.id, m.client_message_id); });
}

// Commits, or, when two retries race on one client message id and the unique index kept the other, answers with
// that one.
Posted MessagePipeline::commitOnce(const Conversation& c, NewMessage& m, bool flagged) {
    try {
        return {commit(c, m, flagged), false};
    } catch (const soci::soci_error&) {
        auto seen = firstResult(c, m);
        if (!seen) throw;
        return {*seen, true};
    }
}

Posted MessagePipeline::postFromVisitor(const Conversation& c, NewMessage m, bool maybe_seen) {
    if (maybe_seen)
        if (auto seen = firstResult(c, m)) return {*seen, true};
    Event event;
    event.name = "message.inbound";
    event.payload = eventPayload(c, m);
    DispatchResult screened = app_.hooks.dispatch(event);
    for (const auto& failure : screened.failures) app_.log->warning("hook failed on message.inbound: " + failure);
    if (screened.rejected)
        throw ApiError(422, "message_rejected",
                       "the message was not accepted" + (screened.reason.empty() ? "" : ": " + screened.reason));
    bool flagged = false;
    std::vector<Action> actions;
    for (const auto& a : screened.actions) {
        if (a->optValue<std::string>("type", "") == "flag") flagged = true;
        else actions.push_back(a);
    }
    Posted posted = commitOnce(c, m, flagged);
    if (posted.duplicate) return posted;
    const Message& stored = posted.message;
    if (!flagged && c.status == "bot" && asksForHuman(m)) {
        JsonObject handoff = jsonObject();
        handoff->set("type", std::string("handoff"));
        handoff->set("reason", std::string("visitor_asked"));
        actions.push_back(handoff);
    }
    if (!flagged && !actions.empty()) {
        std::lock_guard lock(mutex_);
        queue_.push_back({c.id, std::move(actions), stored.toJson()});
        wake_.notify_one();
    }
    return posted;
}

Message MessagePipeline::postFromBot(const Conversation& c, NewMessage m) { return commit(c, m, false); }

Posted MessagePipeline::postFromAgent(const Conversation& c, NewMessage m, bool maybe_seen) {
    if (maybe_seen)
        if (auto seen = firstResult(c, m)) return {*seen, true};
    Posted posted = commitOnce(c, m, false);
    if (posted.duplicate) return posted;
    const Message& stored = posted.message;
    if (m.sender_type == "agent" && !c.first_response_at) {
        long long now = stored.created_at;
        app_.db->write([&](soci::session& sql) {
            sql << "UPDATE conversations SET first_response_at = :n WHERE id = :id AND first_response_at IS NULL",
                soci::use(now), soci::use(c.id);
        });
    }
    return posted;
}

bool MessagePipeline::asksForHuman(const NewMessage& m) const {
    if (m.type == "quick_reply" && m.payload && m.payload->optValue<std::string>("value", "") == "handoff") return true;
    if (m.type != "text" || m.text.size() > 200) return false;  // a long message is a question, not a request
    std::string text = Poco::toLower(m.text);  // keywords are ASCII; other bytes pass through
    for (const auto& k : app_.config.routing.human_keywords)
        if (!k.empty() && text.find(Poco::toLower(k)) != std::string::npos) return true;
    return false;
}

void MessagePipeline::respond(const Work& work) {
    auto conversation =
        app_.db->read([&](soci::session& sql) { return ConversationRepository(sql).find(work.conversation_id); });
    if (!conversation) return;
    for (const auto& action : work.actions) {
        std::string type = action->optValue<std::string>("type", "");
        std::string origin = action->optValue<std::string>("origin", "");
        if (type == "reply") {
            if (conversation->status == "active") continue;  // an agent has it now: bots stay quiet
            NewMessage reply;
            reply.sender_type = "bot";
            reply.text = action->optValue<std::string>("text", "");
            reply.origin = origin;
            reply.payload = jsonObject();
            if (auto quick = action->getArray("quick_replies")) reply.payload->set("quick_replies", quick);
            if (auto meta = action->getObject("meta")) reply.payload->set("meta", meta);
            if (action->has("confidence")) {
                double confidence = action->optValue<double>("confidence", 0);
                double threshold = botSettings(*conversation)->optValue<double>("bot_confidence_threshold", 0.6);
                reply.payload->set("confidence", confidence);
                if (confidence < threshold) {  // not sure enough to answer: a human takes it
                    app_.routing->handoff(*conversation, "low_confidence", "");
                    continue;
                }
            }
            postFromBot(*conversation, std::move(reply));
        } else if (type == "forward_to_automation" && app_.hooks.handles("automation.forward")) {
            // The automation bridge (crm_webhooks) sends it to the widget's workflow and posts the answer.
            Event event;
            event.name = "automation.forward";
            event.origin = origin;
            event.payload = jsonObject();
            event.payload->set("conversation_id", conversation->id);
            event.payload->set("widget_id", conversation->widget_id);
            event.payload->set("tenant_id", conversation->tenant_id);
            event.payload->set("message", work.message ? work.message : jsonObject());
            event.payload->set("reason", action->optValue<std::string>("reason", ""));
            for (const auto& failure : app_.hooks.dispatch(event).failures)
                app_.log->warning("hook failed on automation.forward: " + failure);
        } else if (type == "handoff" || type == "forward_to_automation") {
            // forward_to_automation with no automation bridge installed: a human takes it.
            app_.routing->handoff(*conversation, action->optValue<std::string>("reason", type),
                                  action->optValue<std::string>("department", ""));
            conversation->status = "queued";
        } else if (type == "ask_lead") {
            app_.routing->askForContact(*conversation, action->optValue<std::string>("reason", "bot"));
        } else if (type == "set") {
            std::string key = action->optValue<std::string>("key", "");
            if (key.empty() || key.size() > 100) {  // docs/lua-rules.md: ctx:set keys are 1 to 100 bytes
                app_.log->warning("set from " + origin + " ignored: the key must be 1 to 100 bytes");
                continue;
            }
            JsonObject patch = jsonObject();
            patch->set(key, action->get("value"));
            AttributesUpdate update = mergeConversationAttributes(app_, conversation->id, patch, origin);
            if (update.too_large) app_.log->warning("set from " + origin + " ignored: attributes would pass 16 KiB");
            else if (update.conversation) conversation->attributes = update.conversation->attributes;
        } else if (type == "capture_lead") {
            try {
                JsonObject fields = action->getObject("fields") ? action->getObject("fields") : action;
                captureLead(app_, *conversation, leadInputFrom(fields));
            } catch (const std::exception& e) {
                app_.log->warning("capture_lead from " + origin + " not stored: " + e.what());
            }
        }
    }
}

void MessagePipeline::start() {
    worker_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        for (;;) {
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty() && stopping_) return;
            Work work = std::move(queue_.front());
            queue_.pop_front();
            lock.unlock();
            try {
                respond(work);
            } catch (const std::exception& e) {
                app_.log->error(std::string("responder: ") + e.what());
            }
            lock.lock();
        }
    });
}

void MessagePipeline::stop() {
    {
        std::lock_guard lock(mutex_);
        if (!worker_.joinable()) return;
        stopping_ = true;
    }
    wake_.notify_all();
    worker_.join();
}

}  // namespace parley::core

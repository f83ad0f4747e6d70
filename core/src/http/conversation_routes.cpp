// The visitor's side of a conversation: start it, send messages (idempotent by client message id), read history.
// Every call names the widget by its public key and passes the widget's origin checks; message calls also
// carry the visitor token that starting the conversation returned (X-Visitor-Token).
#include "app/app.hpp"
#include "app/errors.hpp"
#include "auth/crypto.hpp"
#include "http/router.hpp"
#include "http/routes.hpp"
#include "pipeline/leads.hpp"
#include "pipeline/message_pipeline.hpp"
#include "pipeline/message_types.hpp"
#include "pipeline/routing.hpp"
#include "realtime/hub.hpp"
#include "store/database.hpp"
#include "widgets/widget_config_cache.hpp"

#include <limits>

namespace parley::core {

// The conversation named in the path, checked against the widget and the visitor's token. An unknown id, a
// conversation of another widget and a wrong token all answer the same 404, so ids cannot be probed.
Conversation visitorConversation(RequestContext& ctx, const PublicWidget& widget) {
    std::string id = ctx.param("conversation_id", true);
    std::string token = ctx.request.get("X-Visitor-Token", "");
    if (token.empty()) throw unauthorized("send the visitor token from the conversation start in X-Visitor-Token");
    auto c = ctx.app.db->read(
        [&](soci::session& sql) { return ConversationRepository(sql).findInWidget(widget.widget.id, id); });
    if (!c || !constantTimeEquals(sha256Hex(token), c->visitor_token_hash))
        throw notFound("conversation '" + id + "' not found");
    return *c;
}

void registerConversationRoutes(Router& router) {
    const std::string base = "/api/v1/widgets/{key}/conversations";
    router.add("POST", base, Guard::public_api, [](RequestContext& ctx) {
        auto widget = admitWidgetRequest(ctx, ctx.param("key"), false);
        JsonObject body = ctx.json();
        Conversation c;
        c.id = newUuid();
        c.tenant_id = widget->widget.tenant_id;
        c.widget_id = widget->widget.id;
        c.visitor_id = reqString(body, "visitor_id", 100);
        c.session_id = optString(body, "session_id", 100).value_or("");
        c.visitor_info = optObject(body, "visitor_info").value_or(jsonObject());
        c.context = optObject(body, "context").value_or(jsonObject());
        if (toJson(c.visitor_info).size() > 8192) throw invalidField("visitor_info", "is larger than 8 KiB");
        if (toJson(c.context).size() > 16384) throw invalidField("context", "is larger than 16 KiB");
        c.attributes = jsonObject();
        c.context->set("ip_hash", ctx.ipHash());
        c.context->set("user_agent", ctx.request.get("User-Agent", "").substr(0, 300));
        std::string token = randomToken(24, "vt_");
        c.visitor_token_hash = sha256Hex(token);
        c.created_at = c.updated_at = nowMs();
        ctx.app.db->write([&](soci::session& sql) {
            ConversationRepository(sql).insert(c);
            JsonObject event = jsonObject();
            event->set("conversation", c.toJson());
            appendOutboxEvent(sql, c.tenant_id, "conversation.started", event);
        });
        JsonObject out = jsonObject();
        out->set("conversation", c.toJson());
        out->set("visitor_token", token);  // shown once: the widget keeps it with the conversation id
        out->set("agents_available", agentsAvailable(ctx.app, c.tenant_id));
        ctx.sendJson(201, out);
    });
    router.add("POST", base + "/{conversation_id}/messages", Guard::public_api, [](RequestContext& ctx) {
        auto widget = admitWidgetRequest(ctx, ctx.param("key"), false);
        Conversation c = visitorConversation(ctx, *widget);
        if (c.status == "closed") throw conflict("conversation_closed", "this conversation is closed; start a new one");
        NewMessage m = visitorMessage(ctx.app, c, ctx.json());
        Posted posted = ctx.app.pipeline->postFromVisitor(c, std::move(m));
        JsonObject out = jsonObject();
        out->set("message", posted.message.toJson());
        out->set("duplicate", posted.duplicate);
        ctx.sendJson(posted.duplicate ? 200 : 201, out);
    });
    router.add("POST", base + "/{conversation_id}/end", Guard::public_api, [](RequestContext& ctx) {
        auto widget = admitWidgetRequest(ctx, ctx.param("key"), false);
        Conversation c = visitorConversation(ctx, *widget);
        if (c.status != "closed") {
            ctx.app.routing->close(c, "visitor");
            ctx.app.realtime->conversationChanged(c.id);
            ctx.app.routing->routeTenant(c.tenant_id);
            c.status = "closed";
        }
        JsonObject out = jsonObject();
        out->set("conversation", c.toJson());
        ctx.sendJson(200, out);
    });
    // "Talk to a human": the widget's button (or a quick reply) puts the conversation in the queue.
    router.add("POST", base + "/{conversation_id}/handoff", Guard::public_api, [](RequestContext& ctx) {
        auto widget = admitWidgetRequest(ctx, ctx.param("key"), false);
        Conversation c = visitorConversation(ctx, *widget);
        if (c.status == "closed") throw conflict("conversation_closed", "this conversation is closed; start a new one");
        std::string department;
        if (!ctx.body().empty()) department = optString(ctx.json(), "department", 50).value_or("");
        ctx.app.routing->handoff(c, "visitor_asked", department);
        auto now = ctx.app.db->read([&](soci::session& sql) { return ConversationRepository(sql).find(c.id); });
        JsonObject out = jsonObject();
        out->set("conversation", now->toJson());
        out->set("queue_position", ctx.app.routing->queuePosition(*now));
        out->set("agents_available", ctx.app.routing->agentsOnline(c.tenant_id, now->department, false));
        ctx.sendJson(200, out);
    });
    router.add("POST", base + "/{conversation_id}/rating", Guard::public_api, [](RequestContext& ctx) {
        auto widget = admitWidgetRequest(ctx, ctx.param("key"), false);
        Conversation c = visitorConversation(ctx, *widget);
        JsonObject body = ctx.json();
        auto rating = optInt(body, "rating", 1, 5);
        if (!rating) throw invalidField("rating", "is required (1 to 5)");
        std::string comment = optString(body, "comment", 1000).value_or("");
        int value = static_cast<int>(*rating);
        ctx.app.db->write([&](soci::session& sql) {
            sql << "UPDATE conversations SET rating = :r, rating_comment = :c WHERE id = :id", soci::use(value),
                soci::use(comment), soci::use(c.id);
            JsonObject event = jsonObject();
            event->set("conversation_id", c.id);
            event->set("rating", value);
            event->set("comment", comment);
            appendOutboxEvent(sql, c.tenant_id, "feedback.submitted", event);
        });
        JsonObject out = jsonObject();
        out->set("rating", value);
        out->set("comment", comment);
        ctx.sendJson(200, out);
    });
    // Visitor feedback on a bot answer: recorded on the message once (a change of mind replaces it) and
    // dispatched as message.feedback, which the knowledge-base bot counts.
    router.add("POST", base + "/{conversation_id}/messages/{message_id}/feedback", Guard::public_api,
               [](RequestContext& ctx) {
        auto widget = admitWidgetRequest(ctx, ctx.param("key"), false);
        Conversation c = visitorConversation(ctx, *widget);
        JsonObject body = ctx.json();
        auto helpful = optBool(body, "helpful");
        if (!helpful) throw invalidField("helpful", "is required (true or false)");
        std::string message_id = ctx.param("message_id");
        if (!isUuid(message_id)) throw ApiError(404, "message_not_found", "no such message in this conversation");
        std::string value = *helpful ? "helpful" : "not_helpful";
        std::string previous;
        auto message = ctx.app.db->write([&](soci::session& sql) {
            ConversationRepository repo(sql);
            auto m = repo.findMessage(c.id, message_id);
            if (!m || m->sender_type != "bot")
                throw ApiError(404, "message_not_found", "no bot message with this id in this conversation");
            previous = m->payload->optValue<std::string>("feedback", "");
            if (previous != value) {
                m->payload->set("feedback", value);
                repo.updateMessagePayload(m->id, m->payload);
                JsonObject event = jsonObject();
                event->set("message", m->toJson());
                event->set("widget_id", c.widget_id);
                event->set("helpful", *helpful);
                event->set("previous", previous);
                appendOutboxEvent(sql, c.tenant_id, "message.feedback", event);
            }
            return *m;
        });
        if (previous != value) {
            Event event;
            event.name = "message.feedback";
            event.payload = jsonObject();
            event.payload->set("tenant_id", c.tenant_id);
            event.payload->set("widget_id", c.widget_id);
            event.payload->set("conversation_id", c.id);
            event.payload->set("message", message.toJson());
            event.payload->set("helpful", *helpful);
            event.payload->set("previous", previous);
            ctx.app.hooks.dispatch(event);
        }
        JsonObject out = jsonObject();
        out->set("message_id", message.id);
        out->set("feedback", value);
        ctx.sendJson(200, out);
    });
    router.add("POST", base + "/{conversation_id}/lead", Guard::public_api, [](RequestContext& ctx) {
        auto widget = admitWidgetRequest(ctx, ctx.param("key"), false);
        Conversation c = visitorConversation(ctx, *widget);
        JsonObject lead = captureLead(ctx.app, c, leadInputFrom(ctx.json()));
        JsonObject out = jsonObject();
        out->set("lead", lead);
        ctx.sendJson(201, out);
    });
    router.add("GET", base + "/{conversation_id}/messages", Guard::public_api, [](RequestContext& ctx) {
        auto widget = admitWidgetRequest(ctx, ctx.param("key"), false);
        Conversation c = visitorConversation(ctx, *widget);
        long long after = ctx.queryInt("after_seq", 0, 0, std::numeric_limits<long long>::max());
        int limit = static_cast<int>(ctx.queryInt("limit", 50, 1, 200));
        auto messages = ctx.app.db->read(
            [&](soci::session& sql) { return ConversationRepository(sql).messagesAfter(c.id, after, limit, true, false); });
        JsonArray list = jsonArray();
        for (const auto& m : messages) list->add(m.toJson());
        JsonObject out = jsonObject();
        out->set("messages", list);
        out->set("conversation", c.toJson());
        ctx.sendJson(200, out);
    });
}

}  // namespace parley::core

// What clients say over the socket (docs/http-api.md#realtime): hello first, then message, typing, read,
// resume and presence. Every frame may carry an `id`; the answer (ack or error) echoes it as `ref`.
#include "app/app.hpp"
#include "app/errors.hpp"
#include "auth/crypto.hpp"
#include "pipeline/message_pipeline.hpp"
#include "pipeline/message_types.hpp"
#include "pipeline/routing.hpp"
#include "realtime/hub.hpp"
#include "store/database.hpp"

#include <Poco/String.h>

namespace parley::core::realtime {
namespace {

std::string errorFrame(const std::string& ref, const std::string& code, const std::string& message) {
    JsonObject error = jsonObject();
    error->set("code", code);
    error->set("message", message);
    JsonObject frame = jsonObject();
    frame->set("type", std::string("error"));
    frame->set("ref", ref);
    frame->set("error", error);
    return toJson(frame);
}

}  // namespace

void Hub::handleFrame(const ConnectionPtr& c, const std::string& text) {
    if (!c->open()) return;
    auto& s = session(c);
    std::string ref;
    try {
        JsonObject frame = parseJsonObject(text, 16);
        ref = optString(frame, "id", 100).value_or("");
        std::string type = optString(frame, "type", 30).value_or("");
        if (!s.ready) {
            if (type != "hello") {
                c->send(errorFrame(ref, "hello_expected", "the first frame must be {\"type\":\"hello\", ...}"));
                c->close(1008, "hello expected");
                return;
            }
            hello(c, s, frame);
            return;
        }
        if (type == "message") sendMessage(c, s, frame);
        else if (type == "typing") typing(c, s, frame);
        else if (type == "read") markRead(c, s, frame);
        else if (type == "resume") resume(c, s, frame);
        else if (type == "presence") setPresence(c, s, frame);
        else if (type == "ping") c->send(R"({"type":"pong"})");
        else if (type == "hello") throw conflict("already_authenticated", "this socket already said hello");
        else throw badRequest("unknown_frame", "unknown frame type '" + type + "': expected message, typing, read, "
                                               "resume, presence or ping");
    } catch (const ApiError& e) {
        c->send(errorFrame(ref, e.code(), e.what()));
        if (!s.ready) c->close(1008, e.code());  // a failed hello ends the socket
    } catch (const std::exception& e) {
        app_.log->error(std::string("realtime: frame failed: ") + e.what());
        c->send(errorFrame(ref, "internal_error", "the server could not handle this frame; try again"));
    }
}

std::string Hub::frameConversation(Session& s, const JsonObject& frame) {
    if (s.admission.role == "visitor") {
        if (s.conversation_id.empty())
            throw conflict("no_conversation", "start a conversation, then say hello with its id and token");
        return s.conversation_id;
    }
    std::string id = Poco::toLower(reqString(frame, "conversation_id", 36));
    std::optional<Conversation> c;
    if (isUuid(id)) c = app_.db->read([&](soci::session& sql) { return ConversationRepository(sql).find(id); });
    if (!c || c->tenant_id != s.tenant_id) throw notFound("conversation '" + id + "' not found");
    return id;
}

void Hub::hello(const ConnectionPtr& c, Session& s, const JsonObject& frame) {
    JsonObject welcome = jsonObject();
    welcome->set("type", std::string("welcome"));
    welcome->set("role", s.admission.role);
    welcome->set("node", node_id_);
    long long last_seq = optInt(frame, "last_seq", 0, 1LL << 62).value_or(0);
    if (s.admission.role == "visitor" && !frame->has("conversation_id")) {
        // Before a conversation exists: the widget listens for commands (open_chat, show_notification, ...).
        s.visitor_id = reqString(frame, "visitor_id", 100);
        s.tenant_id = s.admission.tenant_id;
        s.ready = true;
        index(c, s);
        c->send(toJson(welcome));
        sendPendingCommands(c, s);
        return;
    }
    if (s.admission.role == "visitor") {
        std::string id = Poco::toLower(reqString(frame, "conversation_id", 36));
        std::string token = reqString(frame, "visitor_token", 200);
        std::optional<Conversation> conversation;
        if (isUuid(id))
            conversation = app_.db->read(
                [&](soci::session& sql) { return ConversationRepository(sql).findInWidget(s.admission.widget_id, id); });
        if (!conversation || !constantTimeEquals(sha256Hex(token), conversation->visitor_token_hash))
            throw notFound("conversation '" + id + "' not found for this widget and visitor token");
        s.tenant_id = conversation->tenant_id;
        s.conversation_id = conversation->id;
        s.visitor_id = conversation->visitor_id;
        {
            std::lock_guard lock(s.mutex);
            s.delivered[s.conversation_id] = last_seq;
            s.catching_up.insert(s.conversation_id);
        }
        s.ready = true;
        index(c, s);
        int position = app_.routing->queuePosition(*conversation);
        {
            std::lock_guard lock(s.mutex);
            s.queue_position = position;
        }
        JsonObject visible = conversation->toJson();
        welcome->set("conversation", visible);
        welcome->set("queue_position", position);
        welcome->set("agents_available", app_.routing->agentsOnline(s.tenant_id, conversation->department, false));
        c->send(toJson(welcome));
        catchUp(c, s.conversation_id);  // what it missed since last_seq, then live
        sendPendingCommands(c, s);
        return;
    }
    // Agents: the session was checked at the upgrade; the hello names the tenant (and, for cookie sessions,
    // echoes the CSRF token, so another site cannot open a socket with the agent's cookie).
    std::string tenant = Poco::toLower(reqString(frame, "tenant_id", 36));
    if (s.admission.via_cookie) {
        std::string csrf = optString(frame, "csrf_token", 200).value_or("");
        if (csrf.empty() || !constantTimeEquals(csrf, s.admission.csrf_token))
            throw ApiError(403, "csrf_failed", "a cookie session must echo its csrf_token in the hello frame");
    }
    auto role = s.admission.roles.find(tenant);
    if (role == s.admission.roles.end() && !s.admission.super_admin)
        throw notFound("tenant '" + tenant + "' not found");
    s.read_only = role != s.admission.roles.end() && role->second == "client_user";
    s.tenant_id = tenant;
    s.ready = true;
    index(c, s);
    JsonArray agents = jsonArray();
    for (const auto& a : app_.routing->agents(tenant)) agents->add(a.toJson());
    welcome->set("tenant_id", tenant);
    welcome->set("read_only", s.read_only);
    welcome->set("agents", agents);
    c->send(toJson(welcome));
}

void Hub::sendMessage(const ConnectionPtr& c, Session& s, const JsonObject& frame) {
    if (s.read_only) throw forbidden("role 'client_user' is read-only: it cannot send messages");
    std::string ref = optString(frame, "id", 100).value_or("");
    std::string id = frameConversation(s, frame);
    std::string client_id = optString(frame, "client_message_id", 100).value_or("");
    auto found = app_.db->read(
        [&](soci::session& sql) { return ConversationRepository(sql).findForMessage(id, client_id); });
    if (!found) throw notFound("conversation '" + id + "' not found");
    auto conversation = std::optional<Conversation>(std::move(found->first));
    bool seen = found->second;
    if (conversation->status == "closed") throw conflict("conversation_closed", "this conversation is closed");
    // The frame's `type` is "message"; the message's own kind travels as `message_type`.
    JsonObject body = jsonObject();
    for (const auto& name : frame->getNames())
        if (name != "type" && name != "message_type") body->set(name, frame->get(name));
    body->set("type", optString(frame, "message_type", 20).value_or("text"));
    Posted posted;
    if (s.admission.role == "visitor") {
        posted = app_.pipeline->postFromVisitor(*conversation, visitorMessage(app_, *conversation, body), seen);
    } else {
        NewMessage m = agentMessage(app_, *conversation, body);
        m.payload->set("agent_id", s.admission.user_id);
        m.payload->set("agent_name", s.admission.name);
        posted = app_.pipeline->postFromAgent(*conversation, std::move(m), seen);
    }
    JsonObject ack = jsonObject();
    ack->set("type", std::string("ack"));
    ack->set("ref", ref);
    ack->set("duplicate", posted.duplicate);
    ack->set("message", posted.message.toJson());
    c->send(toJson(ack));
}

void Hub::typing(const ConnectionPtr&, Session& s, const JsonObject& frame) {
    if (s.read_only) return;  // watching is not typing
    std::string id = frameConversation(s, frame);
    bool state = optBool(frame, "state").value_or(true);
    JsonObject out = jsonObject();
    out->set("type", std::string("typing"));
    out->set("conversation_id", id);
    out->set("from", s.admission.role);
    out->set("state", state);
    if (s.admission.role == "agent") {
        out->set("name", s.admission.name);
        fanOut(s.tenant_id, id, "both", toJson(out), true);
    } else {
        fanOut(s.tenant_id, id, "agents", toJson(out), true);
    }
}

void Hub::markRead(const ConnectionPtr&, Session& s, const JsonObject& frame) {
    if (s.read_only) return;
    std::string id = frameConversation(s, frame);
    auto seq = optInt(frame, "seq", 0, 1LL << 62);
    if (!seq) throw invalidField("seq", "is required: the last seq read");
    const char* column = s.admission.role == "visitor" ? "visitor_read_seq" : "agent_read_seq";
    long long value = *seq;
    app_.db->write([&](soci::session& sql) {
        // Never backwards, never past what exists.
        sql << std::string("UPDATE conversations SET ") + column + " = :s WHERE id = :id AND " + column +
                   " < :s2 AND last_seq >= :s3",
            soci::use(value), soci::use(id), soci::use(value), soci::use(value);
    });
    JsonObject out = jsonObject();
    out->set("type", std::string("read"));
    out->set("conversation_id", id);
    out->set("by", s.admission.role);
    out->set("seq", value);
    fanOut(s.tenant_id, id, s.admission.role == "visitor" ? "agents" : "both", toJson(out), true);
}

void Hub::resume(const ConnectionPtr& c, Session& s, const JsonObject& frame) {
    std::string id = frameConversation(s, frame);
    long long last_seq = optInt(frame, "last_seq", 0, 1LL << 62).value_or(0);
    {
        std::lock_guard lock(s.mutex);
        if (s.catching_up.count(id)) {
            s.catch_up_again.insert(id);
            if (s.delivered[id] > last_seq) s.delivered[id] = last_seq;
            return;
        }
        s.delivered[id] = last_seq;
        s.catching_up.insert(id);
    }
    catchUp(c, id);
}

void Hub::setPresence(const ConnectionPtr&, Session& s, const JsonObject& frame) {
    if (s.admission.role != "agent") throw forbidden("only agents have presence");
    if (s.read_only) throw forbidden("role 'client_user' does not take conversations");
    std::string status = reqString(frame, "status", 20);
    if (status != "online" && status != "away" && status != "offline")
        throw invalidField("status", "must be online, away or offline");
    s.presence = status;
    app_.routing->setPresence(s.tenant_id, s.admission.user_id, s.admission.name, status);
}

}  // namespace parley::core::realtime

// POST /api/v1/widgets/{key}/commands: a business's server tells the widget what to do (seed 000): open the
// chat, show a notification, send a message, update settings, identify the visitor. Signed like our webhooks
// (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature "v1,<base64 HMAC-SHA256>") with the
// widget's secret; old timestamps and replayed ids are refused. Delivered live over the realtime sockets, and
// kept briefly for a targeted visitor or conversation that is not connected.
#include "app/app.hpp"
#include "app/errors.hpp"
#include "auth/crypto.hpp"
#include "auth/secret_box.hpp"
#include "http/router.hpp"
#include "http/routes.hpp"
#include "pipeline/message_pipeline.hpp"
#include "realtime/hub.hpp"
#include "store/database.hpp"
#include "store/widget_repository.hpp"

#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

#include <cstdlib>

namespace parley::core {
namespace {

constexpr long long kToleranceSeconds = 300;

// The HMAC key of a widget secret "ws_<base64url>": its decoded bytes (for the standardwebhooks libraries,
// pass "whsec_" + standard base64 of the same bytes).
std::string commandKey(const std::string& secret) {
    return base64UrlDecode(secret.rfind("ws_", 0) == 0 ? secret.substr(3) : secret);
}

void verifySignature(RequestContext& ctx, const Widget& widget, const std::string& body, std::string& id) {
    id = ctx.request.get("webhook-id", "");
    std::string timestamp = ctx.request.get("webhook-timestamp", "");
    std::string signatures = ctx.request.get("webhook-signature", "");
    if (id.empty() || timestamp.empty() || signatures.empty())
        throw ApiError(401, "missing_signature",
                       "sign the command: webhook-id, webhook-timestamp and webhook-signature headers are required");
    if (id.size() > 100) throw ApiError(400, "invalid_webhook_id", "webhook-id is longer than 100 bytes");
    char* end = nullptr;
    long long ts = std::strtoll(timestamp.c_str(), &end, 10);
    if (!end || *end != '\0' || timestamp.size() > 12)
        throw ApiError(400, "invalid_timestamp", "webhook-timestamp must be seconds since the epoch");
    long long now = nowMs() / 1000;
    if (ts < now - kToleranceSeconds || ts > now + kToleranceSeconds)
        throw ApiError(401, "stale_timestamp", "webhook-timestamp is more than 5 minutes away from the server's clock");
    std::string secret = ctx.app.secrets->open(widget.secret_ciphertext, "widget:" + widget.id);
    std::string expected = base64Encode(hmacSha256(commandKey(secret), id + "." + timestamp + "." + body));
    Poco::StringTokenizer list(signatures, " ", Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    for (const auto& entry : list) {
        if (entry.rfind("v1,", 0) == 0 && constantTimeEquals(entry.substr(3), expected)) return;
    }
    throw ApiError(401, "invalid_signature", "webhook-signature does not match the body under the widget's secret");
}

std::string checkedCommand(const JsonObject& body) {
    std::string command = reqString(body, "command", 40);
    static const char* known[] = {"open_chat", "show_notification", "send_message", "update_settings", "identify"};
    for (const char* k : known)
        if (command == k) return command;
    throw invalidField("command", "must be open_chat, show_notification, send_message, update_settings or identify");
}

}  // namespace

void registerCommandRoutes(Router& router) {
    router.add("POST", "/api/v1/widgets/{key}/commands", Guard::public_api, [](RequestContext& ctx) {
        auto widget = ctx.app.db->read(
            [&](soci::session& sql) { return WidgetRepository(sql).findByPublicKey(ctx.param("key")); });
        if (!widget || !widget->is_active) throw notFound("widget '" + ctx.param("key") + "' not found");
        const std::string& raw = ctx.body();
        std::string id;
        verifySignature(ctx, *widget, raw, id);
        JsonObject body = ctx.json();
        std::string command = checkedCommand(body);
        JsonObject target = optObject(body, "target").value_or(jsonObject());
        JsonObject data = optObject(body, "data").value_or(jsonObject());
        if (toJson(data).size() > 8192) throw invalidField("data", "is larger than 8 KiB");
        std::string visitor = optString(target, "visitor_id", 100).value_or("");
        std::string conversation_id = Poco::toLower(optString(target, "conversation_id", 36).value_or(""));
        int ttl = static_cast<int>(optInt(body, "ttl_seconds", 0, 3600).value_or(600));
        std::optional<Conversation> conversation;
        if (!conversation_id.empty()) {
            if (isUuid(conversation_id))
                conversation = ctx.app.db->read(
                    [&](soci::session& sql) { return ConversationRepository(sql).findInWidget(widget->id, conversation_id); });
            if (!conversation) throw notFound("conversation '" + conversation_id + "' not found in this widget");
        }
        if (command == "show_notification" && optString(data, "text", 500).value_or("").empty())
            throw invalidField("data.text", "is required for show_notification (at most 500 bytes)");
        if (command == "send_message" && !conversation)
            throw invalidField("target.conversation_id", "is required for send_message");
        if (command == "identify" && visitor.empty() && !conversation)
            throw invalidField("target", "identify needs a visitor_id or a conversation_id");

        // Replays: each webhook-id once per widget (kept for twice the timestamp tolerance).
        long long now = nowMs();
        bool fresh = false;
        try {
            fresh = ctx.app.db->write([&](soci::session& sql) {
            long long horizon = now - 2 * kToleranceSeconds * 1000;
            sql << "DELETE FROM command_receipts WHERE received_at < :h", soci::use(horizon);
            int seen = 0;
            sql << "SELECT COUNT(*) FROM command_receipts WHERE widget_id = :w AND webhook_id = :id", soci::use(widget->id),
                soci::use(id), soci::into(seen);
            if (seen) return false;
            sql << "INSERT INTO command_receipts (widget_id, webhook_id, received_at) VALUES (:w, :id, :n)",
                soci::use(widget->id), soci::use(id), soci::use(now);
            return true;
            });
        } catch (const soci::soci_error&) {
            fresh = false;  // the same id racing in twice: the primary key kept one
        }
        if (!fresh) throw conflict("replayed", "this webhook-id was already accepted; sign each command with a new id");

        JsonObject out = jsonObject();
        out->set("id", id);
        out->set("command", command);
        if (command == "send_message") {
            NewMessage m;
            std::string as = optString(data, "as", 10).value_or("bot");
            if (as != "bot" && as != "agent") throw invalidField("data.as", "must be bot or agent");
            m.sender_type = as;
            m.text = reqString(data, "text", 4000);
            m.origin = "command";
            m.payload = jsonObject();
            if (auto name = optString(data, "agent_name", 100)) m.payload->set("agent_name", *name);
            if (auto quick = optStringArray(data, "quick_replies", 10, 100)) {
                JsonArray list = jsonArray();
                for (const auto& q : *quick) list->add(q);
                m.payload->set("quick_replies", list);
            }
            Message stored = ctx.app.pipeline->postFromBot(*conversation, std::move(m));
            out->set("message", stored.toJson());
            ctx.sendJson(202, out);
            return;
        }
        if (command == "identify") {
            // The visitor's name, email and attributes join what their conversations know about them.
            ctx.app.db->write([&](soci::session& sql) {
                std::vector<std::pair<std::string, std::string>> rows;
                std::string who = conversation ? conversation->visitor_id : visitor;
                soci::rowset<soci::row> found =
                    (sql.prepare << "SELECT id, visitor_info FROM conversations WHERE widget_id = :w AND visitor_id = :v",
                     soci::use(widget->id), soci::use(who));
                for (const auto& r : found) rows.emplace_back(r.get<std::string>(0), r.get<std::string>(1));
                for (auto& [cid, text] : rows) {
                    JsonObject info = storedObject(text);
                    for (const char* field : {"name", "email"})
                        if (auto v = optString(data, field, 200)) info->set(field, *v);
                    if (auto attributes = optObject(data, "attributes")) info->set("attributes", *attributes);
                    std::string updated = toJson(info);
                    sql << "UPDATE conversations SET visitor_info = :i WHERE id = :id", soci::use(updated), soci::use(cid);
                }
            });
        }
        JsonObject frame = jsonObject();
        frame->set("type", std::string("command"));
        frame->set("id", id);
        frame->set("command", command);
        frame->set("data", data);
        std::string text = toJson(frame);
        int delivered = ctx.app.realtime->deliverCommand(widget->id, visitor, conversation_id, text);
        bool queued = false;
        if (delivered == 0 && (!visitor.empty() || !conversation_id.empty()) && ttl > 0) {
            long long expires = now + ttl * 1000LL;
            std::string pending_id = newUuid();
            ctx.app.db->write([&](soci::session& sql) {
                sql << "INSERT INTO pending_commands (id, widget_id, visitor_id, conversation_id, frame, expires_at) "
                       "VALUES (:id, :w, :v, :c, :f, :e)",
                    soci::use(pending_id), soci::use(widget->id), soci::use(visitor), soci::use(conversation_id),
                    soci::use(text), soci::use(expires);
            });
            queued = true;
        }
        out->set("delivered", delivered);
        out->set("queued", queued);
        ctx.sendJson(202, out);
    });
}

}  // namespace parley::core

// Receiving: verify the signature over the raw bytes, then store every message and status of every entry.
// Anything we cannot use is logged and acknowledged (Meta retries non-2xx for days); only a failure to commit
// answers 500, so Meta delivers again and the wamid de-duplicates what was already stored.
#include "ingest.hpp"

#include "signature.hpp"
#include "webhook.hpp"

#include <set>

namespace parley::whatsapp {
namespace {

// The contact's service window, per conversation: the latest inbound time and wamid (statuses and replies out of
// order never move it back).
constexpr const char* kWindowUpsert =
    "INSERT INTO whatsapp_contacts (conversation_id, tenant_id, phone_number_id, wa_id, last_inbound_at, last_inbound_wamid) "
    "VALUES (:1, :2, :3, :4, :5, :6) ON CONFLICT (conversation_id) DO UPDATE SET "
    "phone_number_id = excluded.phone_number_id, "
    "last_inbound_wamid = CASE WHEN excluded.last_inbound_at >= whatsapp_contacts.last_inbound_at "
    "THEN excluded.last_inbound_wamid ELSE whatsapp_contacts.last_inbound_wamid END, "
    "last_inbound_at = CASE WHEN excluded.last_inbound_at > whatsapp_contacts.last_inbound_at "
    "THEN excluded.last_inbound_at ELSE whatsapp_contacts.last_inbound_at END";

int rankOf(const std::string& s) {
    static const char* order[] = {"queued", "sending", "accepted", "sent", "delivered", "read"};
    for (int i = 0; i < 6; ++i)
        if (s == order[i]) return i;
    return s == "failed" ? 10 : -1;
}

}  // namespace

void Ingest::handshake(const parley::Request& r, parley::Response& w) {
    auto mode = r.param("hub.mode"), token = r.param("hub.verify_token"), challenge = r.param("hub.challenge");
    if (!mode || !token || !challenge || challenge->empty()) {
        w.error(400, "invalid_request", "the verification request needs hub.mode, hub.verify_token and hub.challenge");
        return;
    }
    bool known = false;
    for (const auto& n : numbers_.all()) known = constantTimeEquals(n.verify_token, *token) || known;
    if (*mode != "subscribe" || !known) {
        w.error(403, "verification_failed", "hub.verify_token matches no configured WhatsApp number (or hub.mode is not subscribe)");
        return;
    }
    w.send(200, "text/plain; charset=utf-8", *challenge);
}

void Ingest::deliver(const parley::Request& r, parley::Response& w) {
    std::string header = r.header("X-Hub-Signature-256").value_or("");
    if (header.empty()) {
        w.error(401, "signature_missing", "X-Hub-Signature-256 is required: sha256=<HMAC-SHA256 of the body under the app secret>");
        return;
    }
    // Which app secrets signed this body: only numbers of those apps may be written to.
    std::set<std::string> signed_by;
    std::set<std::string> tried;
    for (const auto& n : numbers_.all()) {
        if (!tried.insert(n.app_secret).second) continue;
        if (checkSignature(n.app_secret, r.body(), header) == SignatureCheck::ok) signed_by.insert(n.app_secret);
    }
    if (signed_by.empty()) {
        db_.plugin().count("signature_rejected");
        w.error(403, "signature_mismatch", "X-Hub-Signature-256 does not match the body under any configured app secret");
        return;
    }
    Object::Ptr root;
    try {
        root = parseObject(std::string(r.body()));
    } catch (const std::exception& e) {
        w.error(400, "invalid_json", std::string("the body is not a JSON object: ") + e.what());
        return;
    }
    ParsedWebhook parsed = parseWebhook(root);
    for (const auto& why : parsed.ignored) db_.plugin().info("webhook: accepted and ignored: " + why);
    std::set<std::string> touched;
    for (const auto& in : parsed.messages) {
        auto number = numbers_.find(in.phone_number_id);
        if (!number || !signed_by.count(number->app_secret)) {
            db_.plugin().warn("webhook: message " + in.wamid + " for number '" + in.phone_number_id +
                              "', which is not configured (or belongs to another app): ignored");
            continue;
        }
        storeMessage(*number, in);  // throws on a database failure: the host answers 500 and Meta retries
        touched.insert(in.phone_number_id);
    }
    for (const auto& s : parsed.statuses) {
        auto number = numbers_.find(s.phone_number_id);
        if (!number || !signed_by.count(number->app_secret)) {
            db_.plugin().warn("webhook: status for number '" + s.phone_number_id + "', which is not configured: ignored");
            continue;
        }
        std::string errors = s.errors ? jsonText(s.errors) : "[]";
        db_.exec("INSERT INTO whatsapp_statuses (wamid, status, at, recipient, errors, received_at) VALUES (:1, :2, :3, :4, :5, :6) "
                 "ON CONFLICT (wamid, status) DO NOTHING",
                 s.wamid, s.status, s.timestamp_ms, s.recipient_id, errors, nowMs());
        applyStatus(s.wamid, s.status, s.timestamp_ms, errors);
        touched.insert(s.phone_number_id);
    }
    for (const auto& id : touched) touchNumber(id);
    db_.plugin().count("webhooks");
    w.json(200, "{\"ok\":true}");
}

void Ingest::storeMessage(const Number& number, const Inbound& in) {
    // The channel_inbound request, written as text (no JSON tree to build and serialize per webhook).
    auto field = [](std::string& out, const char* name, const std::string& value) {
        out += '"';
        out += name;
        out += "\":";
        parley::appendJsonQuoted(out, value);
    };
    std::string request = "{\"channel\":\"whatsapp\",";
    field(request, "tenant_id", number.tenant_id);
    request += ',';
    field(request, "widget_id", number.widget_id);
    request += ',';
    field(request, "contact_id", in.wa_id);
    request += ",\"visitor_info\":{";
    if (!in.profile_name.empty()) {
        field(request, "name", in.profile_name);
        request += ',';
    }
    field(request, "phone", "+" + in.wa_id);
    request += ',';
    field(request, "whatsapp_number", number.display_number);
    request += "},\"context\":";
    if (in.referral) {  // click-to-WhatsApp ads: attribution, read like UTM
        Object::Ptr context = newObject(), utm = newObject();
        context->set("referral", in.referral);
        utm->set("source", std::string("whatsapp"));
        utm->set("medium", in.referral->optValue<std::string>("source_type", "ad"));
        utm->set("campaign", in.referral->optValue<std::string>("source_id", ""));
        utm->set("content", in.referral->optValue<std::string>("headline", ""));
        context->set("utm", utm);
        request += jsonText(context);
    } else {
        request += "{}";
    }
    request += ",\"message\":{";
    field(request, "type", in.type);
    request += ',';
    field(request, "text", in.text.size() > 4000 ? in.text.substr(0, 4000) : in.text);
    request += ",\"payload\":";
    request += in.payload ? jsonText(in.payload) : "{}";
    request += ',';
    field(request, "client_message_id", in.wamid);
    // The service window is the user's, committed with the message: a bot's answer, which runs right after the
    // commit, finds it open (and a new contact's row there, which the sender needs).
    request += "},\"with_commit\":[{";
    field(request, "sql", kWindowUpsert);
    request += ",\"params\":[{\"host\":\"conversation_id\"},";
    parley::appendJsonQuoted(request, number.tenant_id);
    request += ',';
    parley::appendJsonQuoted(request, number.phone_number_id);
    request += ',';
    parley::appendJsonQuoted(request, in.wa_id);
    request += ',' + std::to_string(in.timestamp_ms) + ',';
    parley::appendJsonQuoted(request, in.wamid);
    request += "]}]}";
    try {
        db_.plugin().channelInbound(request, false);
    } catch (const parley::Error& e) {
        if (e.status() == PARLEY_ERR_DENIED) {  // a spam rule rejected it: nothing stored, and no retry wanted
            db_.plugin().info("webhook: message " + in.wamid + " rejected by the screen: " + e.what());
            db_.plugin().count("rejected");
            return;
        }
        throw;
    }
    db_.plugin().count("messages_received");
}

void Ingest::touchNumber(const std::string& id) {
    long long now = nowMs();
    {
        std::lock_guard lock(mutex_);
        long long& last = touched_at_[id];
        if (now - last < 1000) return;
        last = now;
    }
    numbers_.touch(id, "last_webhook_at");
}

void Ingest::applyStatus(const std::string& wamid, const std::string& status, long long at, const std::string& errors_json) {
    if (rankOf(status) < 0) return;  // e.g. "deleted", "warning": stored above, nothing to apply
    Object::Ptr send = db_.row("SELECT id, message_id, broadcast_id, status FROM whatsapp_sends WHERE graph_message_id = :1", wamid);
    if (!send) return;  // not ours yet: the sender replays it when it records the Graph id
    std::string current = col(send, "status");
    bool forward = status == "failed" ? rankOf(current) < rankOf("delivered") : rankOf(status) > rankOf(current) && current != "failed";
    if (forward) {
        db_.exec("UPDATE whatsapp_sends SET status = :1, error = :2, updated_at = :3 WHERE id = :4 AND status = :5", status,
                 status == "failed" ? errors_json : std::string(), nowMs(), col(send, "id"), current);
        if (progress_) progress_->changed(col(send, "broadcast_id"));
    }
    std::string message_id = col(send, "message_id");
    if (message_id.empty()) return;
    Object::Ptr body = newObject();
    body->set("status", status);
    body->set("at", at ? at : nowMs());
    body->set("external_id", wamid);
    if (status == "failed") {
        Array::Ptr errors = Poco::JSON::Parser().parse(errors_json.empty() ? "[]" : errors_json).extract<Array::Ptr>();
        body->set("error", errors->size() ? errors->getObject(0) : newObject());
    }
    try {
        db_.plugin().messageStatus(message_id, jsonText(body));
    } catch (const parley::Error& e) {
        if (e.status() != PARLEY_ERR_NOT_FOUND) throw;  // the conversation was deleted: nothing to update
    }
}

}  // namespace parley::whatsapp

// The send queue: claim (status "sending" with a lease), send, record the Graph id and the outcome.
#include "sender.hpp"

#include "graph.hpp"

#include <algorithm>
#include <map>
#include <thread>

namespace parley::whatsapp {

void Sender::onMessageCreated(const std::string& event_json) {
    Object::Ptr event = parseObject(event_json);
    Object::Ptr conversation = event->getObject("conversation");
    Object::Ptr payload = event->getObject("payload");
    Object::Ptr message = payload ? payload->getObject("message") : nullptr;
    if (!conversation || !message || col(conversation, "channel") != "whatsapp") return;
    std::string sender = col(message, "sender_type");
    if (sender != "agent" && sender != "bot") return;  // visitors' own messages, notes and system lines stay here
    std::string conversation_id = col(conversation, "id");
    Object::Ptr contact = db_.row("SELECT phone_number_id, wa_id FROM whatsapp_contacts WHERE conversation_id = :1", conversation_id);
    if (!contact) {
        db_.plugin().warn("message " + col(message, "id") + ": no WhatsApp contact for conversation " + conversation_id);
        return;
    }
    Object::Ptr source = newObject();
    source->set("kind", std::string("message"));
    Object::Ptr m = newObject();
    m->set("type", col(message, "type"));
    m->set("text", col(message, "text"));
    m->set("payload", message->getObject("payload") ? message->getObject("payload") : newObject());
    source->set("message", m);
    long long now = nowMs();
    // Queue order: the message's commit time, then its seq (two replies in one millisecond keep their order).
    long long created = num(message, "created_at") ? num(message, "created_at") : now;
    db_.exec("INSERT INTO whatsapp_sends (id, tenant_id, phone_number_id, conversation_id, message_id, recipient, source, status, "
             "attempts, next_attempt_at, position, created_at, updated_at) VALUES (:1, :2, :3, :4, :5, :6, :7, 'queued', 0, :8, :9, :10, :11) "
             "ON CONFLICT (id) DO NOTHING",
             col(message, "id"), col(event, "tenant_id"), col(contact, "phone_number_id"), conversation_id, col(message, "id"),
             col(contact, "wa_id"), jsonText(source), now, num(message, "seq"), created, now);
}

void Sender::start() {
    loop_.start(settings_.sender_poll_ms, [this] { pass(); });
}

void Sender::stop() { loop_.stop(); }

void Sender::wake() { loop_.wake(); }

void Sender::pass() {
    try {
        recoverInterrupted();
        // Due sends, oldest first; a stopped broadcast's recipients wait.
        Array::Ptr due = db_.rows(
            "SELECT id, phone_number_id FROM whatsapp_sends WHERE status = 'queued' AND next_attempt_at <= :1 AND (broadcast_id IS NULL OR "
            "broadcast_id IN (SELECT id FROM whatsapp_broadcasts WHERE status = 'running')) ORDER BY created_at, position, id LIMIT 100",
            nowMs());
        std::map<std::string, size_t> left;  // due sends per number in this pass
        for (size_t i = 0; i < due->size(); ++i) ++left[col(due->getObject(i), "phone_number_id")];
        for (size_t i = 0; i < due->size(); ++i) {
            if (loop_.stopping()) return;
            size_t& upcoming = left[col(due->getObject(i), "phone_number_id")];
            sendOne(col(due->getObject(i), "id"), upcoming);
            if (upcoming > 1) --upcoming;
            progress_.flush();
        }
        if (due->size() == 100) wake();  // more waiting
        // Broadcasts with nothing left to send are complete.
        Array::Ptr completed = db_.rows(
            "UPDATE whatsapp_broadcasts SET status = 'completed', updated_at = :1 WHERE status = 'running' AND NOT EXISTS "
            "(SELECT 1 FROM whatsapp_sends s WHERE s.broadcast_id = whatsapp_broadcasts.id AND s.status IN ('queued', 'sending')) "
            "RETURNING id",
            nowMs());
        for (size_t i = 0; i < completed->size(); ++i) progress_.changed(col(completed->getObject(i), "id"), true);
        progress_.flush();
    } catch (const std::exception& e) {
        db_.plugin().error(std::string("sender: ") + e.what());
    }
}

// A row left "sending" past its lease was in flight when a process died: Meta may or may not have it, so it is
// never sent again (no one gets a second copy); it is marked interrupted, and a later status webhook for its
// recipient cannot be matched (documented in the README).
void Sender::recoverInterrupted() {
    Array::Ptr rows = db_.rows(
        "UPDATE whatsapp_sends SET status = 'interrupted', error = :1, lease_until = NULL, updated_at = :2 "
        "WHERE status = 'sending' AND lease_until < :3 RETURNING id, message_id",
        std::string("{\"code\":\"interrupted\",\"message\":\"the process stopped while this send was in flight; not resent to avoid a duplicate\"}"),
        nowMs(), nowMs());
    for (size_t i = 0; i < rows->size(); ++i) {
        std::string message_id = col(rows->getObject(i), "message_id");
        if (message_id.empty()) continue;
        db_.plugin().messageStatus(message_id, "{\"status\":\"failed\",\"error\":{\"code\":\"interrupted\",\"message\":"
                                               "\"the process stopped while this send was in flight\"}}");
    }
}

std::string Sender::buildBody(const Object::Ptr& send, const Number& number, std::string& why_not) {
    Object::Ptr source = parseObject(col(send, "source"));
    std::string kind = col(source, "kind"), to = col(send, "recipient");
    if (kind == "read") return readReceiptBody(col(source, "wamid"));
    auto templateOf = [&](const Object::Ptr& tpl, const std::string& name) {
        std::vector<std::string> params;
        if (auto list = tpl->getArray("parameters"))
            for (size_t i = 0; i < list->size(); ++i) {
                std::string p = list->get(i).convert<std::string>();
                params.push_back(p == "{{name}}" ? name : p);
            }
        return templateBody(to, col(tpl, "name"), tpl->optValue<std::string>("language", "en_US"), params);
    };
    if (kind == "template") return templateOf(source, col(source, "contact_name"));
    // A conversation message: only inside the customer-service window; outside it the number's template.
    Object::Ptr contact = db_.row("SELECT last_inbound_at FROM whatsapp_contacts WHERE conversation_id = :1", col(send, "conversation_id"));
    long long last = num(contact, "last_inbound_at");
    if (nowMs() - last > settings_.window_ms) {
        if (number.window_template && !col(number.window_template, "name").empty()) return templateOf(number.window_template, "");
        why_not = "{\"code\":\"outside_window\",\"message\":\"more than 24 hours since the customer last wrote: only a template "
                  "may be sent, and this number has no window_template\"}";
        return "";
    }
    Object::Ptr message = source->getObject("message");
    Object::Ptr payload = message ? message->getObject("payload") : nullptr;
    std::string reply_to = payload ? payload->optValue<std::string>("whatsapp_reply_to", "") : "";
    std::string problem;
    std::string body = messageBody(message, to, reply_to, problem);
    if (body.empty()) why_not = "{\"code\":\"unsupported_message\",\"message\":" + jsonText(problem) + "}";
    return body;
}

void Sender::finish(const Object::Ptr& send, const std::string& status, const std::string& error_json, const std::string& wamid) {
    std::string message_id = col(send, "message_id");
    if (message_id.empty()) return;
    Object::Ptr body = newObject();
    body->set("status", status);
    if (!wamid.empty()) body->set("external_id", wamid);
    if (!error_json.empty()) body->set("error", parseObject(error_json));
    db_.plugin().messageStatus(message_id, jsonText(body));
}

bool Sender::sendOne(const std::string& id, size_t upcoming) {
    long long now = nowMs();
    Object::Ptr send = db_.row("UPDATE whatsapp_sends SET status = 'sending', lease_until = :1, updated_at = :2 "
                               "WHERE id = :3 AND status = 'queued' RETURNING *",
                               now + settings_.leaseMs(), now, id);
    if (!send) return false;
    // Whatever happens to a broadcast's send shows in its live progress (throttled).
    struct Notify {
        ProgressNotices& progress;
        std::string broadcast;
        ~Notify() { progress.changed(broadcast); }
    } notify{progress_, col(send, "broadcast_id")};
    auto requeue = [&](long long at, long long attempts, const std::string& error) {
        db_.exec("UPDATE whatsapp_sends SET status = 'queued', lease_until = NULL, next_attempt_at = :1, attempts = :2, "
                 "error = :3, updated_at = :4 WHERE id = :5",
                 at, attempts, error, nowMs(), id);
    };
    auto fail = [&](const std::string& error_json, long long attempts) {
        db_.exec("UPDATE whatsapp_sends SET status = 'failed', lease_until = NULL, attempts = :1, error = :2, updated_at = :3 WHERE id = :4",
                 attempts, error_json, nowMs(), id);
        finish(send, "failed", error_json, "");
        db_.plugin().count("sends_failed");
    };
    long long attempts = num(send, "attempts");
    auto number = numbers_.find(col(send, "phone_number_id"));
    if (!number) {
        fail("{\"code\":\"number_not_configured\",\"message\":\"the WhatsApp number of this send is no longer configured\"}", attempts);
        return true;
    }
    if (number->token_state == "expired") {  // held until an admin replaces the token
        requeue(now + 1000, attempts, col(send, "error"));
        return true;
    }
    std::string why_not, body = buildBody(send, *number, why_not);
    if (body.empty()) {
        fail(why_not, attempts);
        return true;
    }
    pace_.wait(number->phone_number_id, upcoming);
    std::string version = number->graph_version.empty() ? settings_.default_graph_version : number->graph_version;
    std::string url = settings_.graph_base_url + "/" + version + "/" + number->phone_number_id + "/messages";
    GraphResult result;
    try {
        parley::HttpReply reply = db_.plugin().http("POST", url, body,
                                                    "Authorization: Bearer " + number->access_token + "\nContent-Type: application/json",
                                                    settings_.graph_timeout_ms, 0);
        result = classifyResponse(reply.status, reply.body);
    } catch (const parley::Error& e) {
        result.outcome = SendOutcome::retry;
        result.error_json = "{\"code\":\"unreachable\",\"message\":" + jsonText(std::string(e.what())) + "}";
    }
    ++attempts;
    switch (result.outcome) {
        case SendOutcome::accepted: {
            db_.exec("UPDATE whatsapp_sends SET status = 'accepted', lease_until = NULL, attempts = :1, graph_message_id = :2, "
                     "error = NULL, updated_at = :3 WHERE id = :4",
                     attempts, result.wamid.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(result.wamid), nowMs(), id);
            numbers_.touch(number->phone_number_id, "last_send_at");
            db_.plugin().count("sends_accepted");
            if (result.wamid.empty()) return true;  // read receipts: nothing to follow
            finish(send, "accepted", "", result.wamid);
            // Statuses that raced ahead of this answer (Meta can be that fast) apply now, in their order.
            Array::Ptr early = db_.rows("SELECT status, at, errors FROM whatsapp_statuses WHERE wamid = :1 ORDER BY at", result.wamid);
            for (size_t i = 0; i < early->size(); ++i) {
                Object::Ptr s = early->getObject(i);
                ingest_.applyStatus(result.wamid, col(s, "status"), num(s, "at"), col(s, "errors"));
            }
            return true;
        }
        case SendOutcome::retry: {
            if (attempts >= settings_.max_attempts) {
                fail(result.error_json, attempts);
                return true;
            }
            long long delay = std::min<long long>(60000, static_cast<long long>(settings_.retry_base_ms) << std::min<long long>(attempts - 1, 16));
            requeue(nowMs() + delay, attempts, result.error_json);
            db_.plugin().count("sends_retried");
            return true;
        }
        case SendOutcome::token_expired: {
            numbers_.markTokenExpired(number->phone_number_id, result.error_json);
            Array::Ptr stopped = db_.rows("UPDATE whatsapp_broadcasts SET status = 'stopped', stop_reason = 'token_expired', "
                                          "updated_at = :1 WHERE phone_number_id = :2 AND status = 'running' RETURNING id",
                                          nowMs(), number->phone_number_id);
            for (size_t i = 0; i < stopped->size(); ++i) progress_.changed(col(stopped->getObject(i), "id"), true);
            requeue(nowMs(), attempts - 1, result.error_json);  // not this send's fault: it goes when the token is fixed
            return true;
        }
        case SendOutcome::permanent:
            fail(result.error_json, attempts);
            return true;
    }
    return true;
}

}  // namespace parley::whatsapp

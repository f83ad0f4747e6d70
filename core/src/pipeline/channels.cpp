// Channel contacts and delivery statuses: the core side of the ABI 1.2 channel functions.
#include "pipeline/channels.hpp"

#include "app/app.hpp"
#include "app/errors.hpp"
#include "auth/crypto.hpp"
#include "realtime/hub.hpp"
#include "store/database.hpp"
#include "store/widget_repository.hpp"

namespace parley::core {
namespace {

std::optional<std::string> openConversationId(soci::session& sql, const ChannelContact& c) {
    std::string id;
    soci::indicator ind = soci::i_null;
    sql << "SELECT id FROM conversations WHERE widget_id = :w AND visitor_id = :v AND channel = :c AND status <> 'closed' "
           "ORDER BY created_at DESC LIMIT 1",
        soci::use(c.widget_id), soci::use(c.contact_id), soci::use(c.channel), soci::into(id, ind);
    if (!sql.got_data() || ind == soci::i_null) return std::nullopt;
    return id;
}

const char* const kStatuses[] = {"queued", "accepted", "sent", "delivered", "read"};

}  // namespace

int deliveryRank(const std::string& status) {
    for (int i = 0; i < 5; ++i)
        if (status == kStatuses[i]) return i;
    return status == "failed" ? 10 : -1;
}

namespace {

// The checks every channel call makes on a contact (422 for a malformed field, 404 for ids that cannot exist).
void checkContact(const ChannelContact& contact, bool measure_objects) {
    if (contact.channel.empty() || contact.channel.size() > 30 ||
        contact.channel.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos || contact.channel == "web")
        throw invalidField("channel", "must be a channel id of [a-z0-9_] (not \"web\")");
    if (contact.contact_id.empty() || contact.contact_id.size() > 100) throw invalidField("contact_id", "must be 1 to 100 bytes");
    if (!isUuid(contact.tenant_id) || !isUuid(contact.widget_id))
        throw notFound("widget '" + contact.widget_id + "' not found in tenant '" + contact.tenant_id + "'");
    if (!measure_objects) return;
    if (contact.visitor_info && toJson(contact.visitor_info).size() > 8192)
        throw invalidField("visitor_info", "is larger than 8 KiB");
    if (contact.context && toJson(contact.context).size() > 16384) throw invalidField("context", "is larger than 16 KiB");
}

}  // namespace

ChannelTarget channelTargetForMessage(App& app, const ChannelContact& contact, const std::string& client_message_id,
                                      bool small_request) {
    checkContact(contact, !small_request);
    auto found = app.db->read([&](soci::session& sql) {
        return ConversationRepository(sql).findOpenOnChannelForMessage(contact.tenant_id, contact.widget_id,
                                                                       contact.channel, contact.contact_id,
                                                                       client_message_id);
    });
    if (found) return {found->first, false, found->second};
    // A new contact (or one whose conversation closed): rare, so the general road, which checks again under its
    // lock. A racing delivery of the same message may have opened it: its client id is looked up again.
    ChannelConversation opened = openChannelConversation(app, contact);
    return {opened.conversation, opened.created, !opened.created};
}

ChannelConversation openChannelConversation(App& app, const ChannelContact& contact) {
    checkContact(contact, true);
    JsonObject info = contact.visitor_info ? contact.visitor_info : jsonObject();
    JsonObject context = contact.context ? contact.context : jsonObject();

    // The common case, in one read: the contact writes again (its conversation's tenant is the widget's).
    auto existing = app.db->read([&](soci::session& sql) {
        return ConversationRepository(sql).findOpenOnChannel(contact.tenant_id, contact.widget_id, contact.channel,
                                                             contact.contact_id);
    });
    if (existing) return {*existing, false};
    auto widget = app.db->read([&](soci::session& sql) { return WidgetRepository(sql).find(contact.tenant_id, contact.widget_id); });
    if (!widget) throw notFound("widget '" + contact.widget_id + "' not found in tenant '" + contact.tenant_id + "'");
    ChannelConversation out;
    app.db->write([&](soci::session& sql) {
        // One creator per contact: SQLite has one writer already; PostgreSQL takes a transaction-scoped lock.
        if (app.db->isPostgres()) {
            std::string key = "channel:" + contact.widget_id + ":" + contact.channel + ":" + contact.contact_id;
            sql << "SELECT pg_advisory_xact_lock(hashtext(:k))", soci::use(key);
        }
        if (auto id = openConversationId(sql, contact)) {
            out.conversation = *ConversationRepository(sql).find(*id);
            return;
        }
        Conversation& c = out.conversation;
        c.id = newUuid();
        c.tenant_id = contact.tenant_id;
        c.widget_id = contact.widget_id;
        c.visitor_id = contact.contact_id;
        c.channel = contact.channel;
        c.visitor_info = info;
        c.context = context;
        c.attributes = jsonObject();
        c.visitor_token_hash = sha256Hex(randomToken(24, "ch_"));  // channel contacts never use the widget API
        c.created_at = c.updated_at = nowMs();
        ConversationRepository(sql).insert(c);
        JsonObject event = jsonObject();
        event->set("conversation", c.toJson());
        appendOutboxEvent(sql, c.tenant_id, "conversation.started", event);
        out.created = true;
    });
    return out;
}

DeliveryUpdate applyDeliveryStatus(App& app, const std::string& message_id, const std::string& status, long long at,
                                   const std::string& external_id, const JsonObject& error) {
    int rank = deliveryRank(status);
    if (rank < 0) throw invalidField("status", "must be queued, accepted, sent, delivered, read or failed");
    if (!isUuid(message_id)) throw notFound("no message '" + message_id + "'");
    DeliveryUpdate out;
    std::string tenant_id;
    app.db->write([&](soci::session& sql) {
        std::string conversation_id;
        soci::indicator ind = soci::i_null;
        // PostgreSQL: lock the row, so two statuses of one message do not overwrite each other.
        sql << std::string("SELECT conversation_id FROM messages WHERE id = :id") + (app.db->isPostgres() ? " FOR UPDATE" : ""),
            soci::use(message_id), soci::into(conversation_id, ind);
        if (!sql.got_data() || ind == soci::i_null) throw notFound("no message '" + message_id + "'");
        ConversationRepository repo(sql);
        auto m = repo.findMessage(conversation_id, message_id);
        if (!m) throw notFound("no message '" + message_id + "'");
        JsonObject payload = m->payload ? m->payload : jsonObject();
        JsonObject delivery = payload->getObject("delivery") ? payload->getObject("delivery") : jsonObject();
        std::string current = delivery->optValue<std::string>("status", "");
        int current_rank = deliveryRank(current);
        std::string stamp = status + "_at";
        bool changed = false;
        if (!delivery->has(stamp)) {
            delivery->set(stamp, static_cast<Poco::Int64>(at));
            changed = true;
        }
        bool advance = rank == 10 ? current_rank < deliveryRank("delivered") : (current_rank != 10 && rank > current_rank);
        if (advance) {
            delivery->set("status", status);
            changed = true;
        }
        if (!external_id.empty() && delivery->optValue<std::string>("external_id", "") != external_id) {
            delivery->set("external_id", external_id);
            changed = true;
        }
        if (rank == 10 && error && !delivery->has("error")) {
            delivery->set("error", error);
            changed = true;
        }
        payload->set("delivery", delivery);
        m->payload = payload;
        out.message = *m;
        out.changed = changed;
        if (!changed) return;
        repo.updateMessagePayload(message_id, payload);
        JsonObject event = jsonObject();
        event->set("message", m->toJson());
        event->set("status", status);
        event->set("delivery", delivery);
        appendOutboxEvent(sql, m->tenant_id, "message.status", event);
        tenant_id = m->tenant_id;
    });
    if (out.changed && app.realtime) app.realtime->messageStatusChanged(tenant_id, out.message);
    return out;
}

}  // namespace parley::core

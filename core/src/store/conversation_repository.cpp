// SQL for conversations, messages and the outbox.
#include "store/conversation_repository.hpp"

#include "store/database.hpp"
#include "store/row.hpp"

namespace parley::core {

JsonObject Conversation::toJson() const {
    JsonObject o = jsonObject();
    o->set("id", id);
    o->set("widget_id", widget_id);
    o->set("visitor_id", visitor_id);
    o->set("session_id", session_id);
    o->set("channel", channel);
    o->set("status", status);
    o->set("visitor_info", visitor_info);
    o->set("context", context);
    o->set("attributes", attributes);
    o->set("last_seq", static_cast<Poco::Int64>(last_seq));
    o->set("assigned_agent_id", assigned_agent_id.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(assigned_agent_id));
    o->set("department", department);
    auto time = [&](const char* name, long long v) {
        o->set(name, v ? Poco::Dynamic::Var(static_cast<Poco::Int64>(v)) : Poco::Dynamic::Var());
    };
    o->set("created_at", static_cast<Poco::Int64>(created_at));
    o->set("updated_at", static_cast<Poco::Int64>(updated_at));
    time("queued_at", queued_at);
    time("first_assigned_at", first_assigned_at);
    time("first_response_at", first_response_at);
    time("closed_at", closed_at);
    o->set("visitor_read_seq", static_cast<Poco::Int64>(visitor_read_seq));
    o->set("agent_read_seq", static_cast<Poco::Int64>(agent_read_seq));
    // Metrics (milliseconds; null until they happen): queue wait, first response and resolution.
    JsonObject metrics = jsonObject();
    auto span = [&](const char* name, long long from, long long to) {
        metrics->set(name, from && to && to >= from ? Poco::Dynamic::Var(static_cast<Poco::Int64>(to - from))
                                                    : Poco::Dynamic::Var());
    };
    span("wait_ms", queued_at, first_assigned_at);
    span("first_response_ms", queued_at ? queued_at : created_at, first_response_at);
    span("resolution_ms", created_at, closed_at);
    o->set("metrics", metrics);
    return o;
}

JsonObject Message::toJson() const {
    JsonObject o = jsonObject();
    o->set("id", id);
    o->set("conversation_id", conversation_id);
    o->set("seq", static_cast<Poco::Int64>(seq));
    o->set("sender_type", sender_type);
    o->set("type", type);
    o->set("text", text);
    o->set("payload", payload);
    o->set("client_message_id", client_message_id.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(client_message_id));
    o->set("flagged", flagged);
    o->set("created_at", static_cast<Poco::Int64>(created_at));
    return o;
}

namespace {
const char* kConversationColumns =
    "SELECT id, tenant_id, widget_id, visitor_id, session_id, visitor_token_hash, channel, status, visitor_info, "
    "context, attributes, last_seq, created_at, updated_at, assigned_agent_id, department, queued_at, "
    "first_assigned_at, first_response_at, closed_at, visitor_read_seq, agent_read_seq FROM conversations ";

Conversation conversationFromRow(const soci::row& r) {
    Conversation c;
    c.id = rowText(r, 0);
    c.tenant_id = rowText(r, 1);
    c.widget_id = rowText(r, 2);
    c.visitor_id = rowText(r, 3);
    c.session_id = rowText(r, 4);
    c.visitor_token_hash = rowText(r, 5);
    c.channel = rowText(r, 6);
    c.status = rowText(r, 7);
    c.visitor_info = storedObject(rowText(r, 8));
    c.context = storedObject(rowText(r, 9));
    c.attributes = storedObject(rowText(r, 10));
    c.last_seq = rowInt(r, 11);
    c.created_at = rowInt(r, 12);
    c.updated_at = rowInt(r, 13);
    c.assigned_agent_id = rowText(r, 14);
    c.department = rowText(r, 15);
    c.queued_at = rowInt(r, 16);
    c.first_assigned_at = rowInt(r, 17);
    c.first_response_at = rowInt(r, 18);
    c.closed_at = rowInt(r, 19);
    c.visitor_read_seq = rowInt(r, 20);
    c.agent_read_seq = rowInt(r, 21);
    return c;
}

const char* kMessageColumns =
    "SELECT id, tenant_id, conversation_id, seq, sender_type, type, text, payload, client_message_id, origin, "
    "flagged, created_at FROM messages ";

Message messageFromRow(const soci::row& r) {
    Message m;
    m.id = rowText(r, 0);
    m.tenant_id = rowText(r, 1);
    m.conversation_id = rowText(r, 2);
    m.seq = rowInt(r, 3);
    m.sender_type = rowText(r, 4);
    m.type = rowText(r, 5);
    m.text = rowText(r, 6);
    m.payload = storedObject(rowText(r, 7));
    m.client_message_id = rowText(r, 8);
    m.origin = rowText(r, 9);
    m.flagged = rowInt(r, 10) != 0;
    m.created_at = rowInt(r, 11);
    return m;
}
}  // namespace

void ConversationRepository::insert(const Conversation& c) {
    std::string info = toJson(c.visitor_info), context = toJson(c.context), attributes = toJson(c.attributes);
    sql_ << "INSERT INTO conversations (id, tenant_id, widget_id, visitor_id, session_id, visitor_token_hash, channel, "
            "status, visitor_info, context, attributes, last_seq, created_at, updated_at) VALUES (:id, :t, :w, :v, :s, "
            ":h, :ch, :st, :vi, :cx, :at, 0, :c, :u)",
        soci::use(c.id), soci::use(c.tenant_id), soci::use(c.widget_id), soci::use(c.visitor_id),
        soci::use(c.session_id), soci::use(c.visitor_token_hash), soci::use(c.channel), soci::use(c.status),
        soci::use(info), soci::use(context), soci::use(attributes), soci::use(c.created_at), soci::use(c.updated_at);
}

std::optional<Conversation> ConversationRepository::findInWidget(const std::string& widget_id, const std::string& id) {
    return queryOne(sql_, std::string(kConversationColumns) + "WHERE widget_id = :w AND id = :id", conversationFromRow,
                    widget_id, id);
}

std::optional<Conversation> ConversationRepository::findOpenOnChannel(const std::string& tenant_id,
                                                                     const std::string& widget_id,
                                                                     const std::string& channel,
                                                                     const std::string& visitor_id) {
    return queryOne(sql_,
                    std::string(kConversationColumns) +
                        "WHERE widget_id = :w AND tenant_id = :t AND visitor_id = :v AND channel = :c AND "
                        "status <> 'closed' ORDER BY created_at DESC LIMIT 1",
                    conversationFromRow, widget_id, tenant_id, visitor_id, channel);
}

std::optional<std::pair<Conversation, bool>> ConversationRepository::findForMessage(
    const std::string& id, const std::string& client_message_id) {
    // The conversation's columns plus one: how many of its messages carry this client message id (0 or 1; ""
    // matches none, an absent id is stored as NULL).
    std::string columns = kConversationColumns;
    columns.replace(columns.rfind(" FROM conversations "), std::string::npos,
                    ", (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = conversations.id AND "
                    "m.client_message_id = :cm) FROM conversations ");
    return queryOne(
        sql_, columns + "WHERE id = :id",
        [](const soci::row& r) { return std::make_pair(conversationFromRow(r), rowInt(r, r.size() - 1) > 0); },
        client_message_id, id);
}

std::optional<std::pair<Conversation, bool>> ConversationRepository::findOpenOnChannelForMessage(
    const std::string& tenant_id, const std::string& widget_id, const std::string& channel, const std::string& visitor_id,
    const std::string& client_message_id) {
    std::string columns = kConversationColumns;
    columns.replace(columns.rfind(" FROM conversations "), std::string::npos,
                    ", (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = conversations.id AND "
                    "m.client_message_id = :cm) FROM conversations ");
    return queryOne(
        sql_,
        columns + "WHERE widget_id = :w AND tenant_id = :t AND visitor_id = :v AND channel = :c AND "
                  "status <> 'closed' ORDER BY created_at DESC LIMIT 1",
        [](const soci::row& r) { return std::make_pair(conversationFromRow(r), rowInt(r, r.size() - 1) > 0); },
        client_message_id, widget_id, tenant_id, visitor_id, channel);
}

std::optional<Conversation> ConversationRepository::find(const std::string& id) {
    return queryOne(sql_, std::string(kConversationColumns) + "WHERE id = :id", conversationFromRow, id);
}

std::vector<Conversation> ConversationRepository::listForTenant(const std::string& tenant_id, const std::string& status,
                                                               const std::string& agent_id, int limit) {
    // Empty filters match everything; the agent id is compared as text so "" never meets the UUID type.
    std::vector<Conversation> out;
    soci::rowset<soci::row> rows =
        (sql_.prepare << std::string(kConversationColumns) +
                             "WHERE tenant_id = :t AND (:s1 = '' OR status = :s2) "
                             "AND (:a1 = '' OR CAST(assigned_agent_id AS TEXT) = :a2) ORDER BY updated_at DESC LIMIT " +
                             std::to_string(limit),
         soci::use(tenant_id), soci::use(status), soci::use(status), soci::use(agent_id), soci::use(agent_id));
    for (const auto& r : rows) out.push_back(conversationFromRow(r));
    return out;
}

void ConversationRepository::updateAttributes(const std::string& id, const JsonObject& attributes, long long now) {
    std::string text = toJson(attributes);
    sql_ << "UPDATE conversations SET attributes = :a, updated_at = :u WHERE id = :id", soci::use(text), soci::use(now),
        soci::use(id);
}

void ConversationRepository::updateStatus(const std::string& id, const std::string& status, long long now) {
    sql_ << "UPDATE conversations SET status = :s, updated_at = :u WHERE id = :id", soci::use(status), soci::use(now),
        soci::use(id);
}

void ConversationRepository::appendMessage(Message& m) {
    // One statement takes the next seq (RETURNING: PostgreSQL, and SQLite since 3.35).
    sql_ << "UPDATE conversations SET last_seq = last_seq + 1, updated_at = :u WHERE id = :id RETURNING last_seq",
        soci::use(m.created_at), soci::use(m.conversation_id), soci::into(m.seq);
    if (!sql_.got_data()) throw std::runtime_error("conversation " + m.conversation_id + " does not exist");
    std::string payload = toJson(m.payload);
    int flagged = m.flagged ? 1 : 0;
    soci::indicator client_ind = m.client_message_id.empty() ? soci::i_null : soci::i_ok;
    sql_ << "INSERT INTO messages (id, tenant_id, conversation_id, seq, sender_type, type, text, payload, "
            "client_message_id, origin, flagged, created_at) VALUES (:id, :t, :c, :s, :st, :ty, :tx, :p, :cm, :o, :f, :ca)",
        soci::use(m.id), soci::use(m.tenant_id), soci::use(m.conversation_id), soci::use(m.seq), soci::use(m.sender_type),
        soci::use(m.type), soci::use(m.text), soci::use(payload), soci::use(m.client_message_id, client_ind),
        soci::use(m.origin), soci::use(flagged), soci::use(m.created_at);
}

std::optional<Message> ConversationRepository::findMessage(const std::string& conversation_id,
                                                           const std::string& message_id) {
    return queryOne(sql_, std::string(kMessageColumns) + "WHERE conversation_id = :c AND id = :m", messageFromRow,
                    conversation_id, message_id);
}

void ConversationRepository::updateMessagePayload(const std::string& message_id, const JsonObject& payload) {
    std::string text = toJson(payload);
    sql_ << "UPDATE messages SET payload = :p WHERE id = :id", soci::use(text), soci::use(message_id);
}

std::optional<Message> ConversationRepository::findByClientId(const std::string& conversation_id,
                                                              const std::string& client_message_id) {
    return queryOne(sql_, std::string(kMessageColumns) + "WHERE conversation_id = :c AND client_message_id = :m",
                    messageFromRow, conversation_id, client_message_id);
}

std::vector<Message> ConversationRepository::messagesAfter(const std::string& conversation_id, long long after_seq,
                                                           int limit, bool include_flagged, bool include_internal) {
    std::vector<Message> out;
    std::string where = "WHERE conversation_id = :c AND seq > :s" + std::string(include_flagged ? "" : " AND flagged = 0") +
                        std::string(include_internal ? "" : " AND sender_type <> 'note'") +
                        " ORDER BY seq LIMIT " + std::to_string(limit);
    soci::rowset<soci::row> rows =
        (sql_.prepare << std::string(kMessageColumns) + where, soci::use(conversation_id), soci::use(after_seq));
    for (const auto& r : rows) out.push_back(messageFromRow(r));
    return out;
}

void appendOutboxEvent(soci::session& sql, const std::string& tenant_id, const std::string& name,
                       const JsonObject& payload) {
    std::string id = newUuid(), text = toJson(payload);
    long long now = nowMs();
    // The event and its place in the queue of undispatched events (migration 0016), in one statement on PostgreSQL.
    if (sql.get_backend_name() == "postgresql") {
        sql << "WITH o AS (INSERT INTO outbox_events (id, tenant_id, name, payload, created_at) "
               "VALUES (CAST(:id AS UUID), CAST(:t AS UUID), :n, CAST(:p AS JSONB), :c) RETURNING seq, id) "
               "INSERT INTO outbox_pending (seq, event_id) SELECT seq, id FROM o",
            soci::use(id), soci::use(tenant_id), soci::use(name), soci::use(text), soci::use(now);
    } else {
        sql << "INSERT INTO outbox_events (id, tenant_id, name, payload, created_at) VALUES (:id, :t, :n, :p, :c)",
            soci::use(id), soci::use(tenant_id), soci::use(name), soci::use(text), soci::use(now);
        sql << "INSERT INTO outbox_pending (seq, event_id) VALUES (last_insert_rowid(), :id)", soci::use(id);
    }
    Database::noteOutboxWrite();  // the dispatcher is woken when this transaction commits
}

}  // namespace parley::core

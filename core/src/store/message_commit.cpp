// One statement on PostgreSQL, one transaction on SQLite: the message, its seq and its outbox event together.
#include "store/message_commit.hpp"

#include "store/database.hpp"
#include "store/row.hpp"

#include <stdexcept>

namespace parley::core {
namespace {

// The seq is taken, the message stored and the event written in one statement. The event's payload is built
// before the seq is known and gets it from the INSERT (jsonb_set), so the outbox and the message always agree.
constexpr const char* kPostgresCommit =
    "WITH s AS (UPDATE conversations SET last_seq = last_seq + 1, updated_at = :u WHERE id = CAST(:c AS UUID) "
    "RETURNING last_seq), "
    "m AS (INSERT INTO messages (id, tenant_id, conversation_id, seq, sender_type, type, text, payload, "
    "client_message_id, origin, flagged, created_at) SELECT CAST(:id AS UUID), CAST(:t AS UUID), CAST(:c2 AS UUID), "
    "s.last_seq, :st, :ty, :tx, CAST(:p AS JSONB), :cm, :o, CAST(:f AS INTEGER), CAST(:ca AS BIGINT) FROM s "
    "RETURNING seq), "
    "o AS (INSERT INTO outbox_events (id, tenant_id, name, payload, created_at) SELECT CAST(:eid AS UUID), "
    "CAST(:t2 AS UUID), :n, jsonb_set(CAST(:ep AS JSONB), '{message,seq}', to_jsonb(m.seq)), CAST(:ec AS BIGINT) "
    "FROM m) "
    "SELECT seq FROM m";

JsonObject withMessage(const JsonObject& event, const Message& m) {
    JsonObject out = jsonObject();
    if (event)
        for (const auto& name : event->getNames()) out->set(name, event->get(name));
    out->set("message", m.toJson());
    return out;
}

}  // namespace

void commitMessage(Database& db, Message& m, const std::string& event_name, const JsonObject& event) {
    if (!db.isPostgres()) {
        db.write([&](soci::session& sql) {
            ConversationRepository(sql).appendMessage(m);
            appendOutboxEvent(sql, m.tenant_id, event_name, withMessage(event, m));
        });
        return;
    }
    m.seq = 0;  // set by the statement
    std::string payload = toJson(m.payload), event_payload = toJson(withMessage(event, m));
    SqlParam client_id = m.client_message_id.empty() ? SqlParam() : SqlParam(m.client_message_id);
    long long flagged = m.flagged ? 1 : 0;
    auto seq = db.autocommit([&](soci::session& sql) {
        return queryOne(sql, kPostgresCommit, [](const soci::row& r) { return rowInt(r, 0); }, m.created_at,
                        m.conversation_id, m.id, m.tenant_id, m.conversation_id, m.sender_type, m.type, m.text, payload,
                        client_id, m.origin, flagged, m.created_at, newUuid(), m.tenant_id, event_name, event_payload,
                        nowMs());
    });
    if (!seq) throw std::runtime_error("conversation " + m.conversation_id + " does not exist");
    m.seq = *seq;
    db.outboxCommitted();  // the statement committed an outbox row: wake the dispatcher
}

}  // namespace parley::core

// One statement per group on PostgreSQL, one transaction per group on SQLite: messages, seqs and outbox events.
#include "store/message_commit.hpp"

#include "store/database.hpp"
#include "store/row.hpp"

#include <stdexcept>
#include <unordered_map>

namespace parley::core {
namespace {

// One message: the seq is taken, the message stored and the event written (and queued for the fan-out, in
// outbox_pending) in one statement. When the conversation does not exist the statement fails (the CAST of a text
// that is no number, evaluated only then), so that statements pipelined after it (with_commit) never commit
// without their message; the caller tells this case from others by looking the conversation up. The event's payload
// is built before the seq is known and gets it from the INSERT (jsonb_set), so the outbox and the message always
// agree.
constexpr const char* kPostgresCommitOne =
    "WITH s AS (UPDATE conversations SET last_seq = last_seq + 1, updated_at = :u WHERE id = CAST(:c AS UUID) "
    "RETURNING last_seq), "
    "m AS (INSERT INTO messages (id, tenant_id, conversation_id, seq, sender_type, type, text, payload, "
    "client_message_id, origin, flagged, created_at) SELECT CAST(:id AS UUID), CAST(:t AS UUID), CAST(:c2 AS UUID), "
    "s.last_seq, :st, :ty, :tx, CAST(:p AS JSONB), :cm, :o, CAST(:f AS INTEGER), CAST(:ca AS BIGINT) FROM s "
    "RETURNING seq), "
    "o AS (INSERT INTO outbox_events (id, tenant_id, name, payload, created_at) SELECT CAST(:eid AS UUID), "
    "CAST(:t2 AS UUID), :n, jsonb_set(CAST(:ep AS JSONB), '{message,seq}', to_jsonb(m.seq)), CAST(:ec AS BIGINT) "
    "FROM m RETURNING seq, id), "
    "p AS (INSERT INTO outbox_pending (seq, event_id) SELECT seq, id FROM o) "
    "SELECT seq FROM m UNION ALL SELECT CAST('unstored ' || COUNT(*) AS BIGINT) FROM m HAVING COUNT(*) = 0";

// A group: the messages arrive as one JSON array (field i is the arrival order). Each conversation's last_seq
// moves by its count of messages in the group, and its messages take the seqs below the new value in arrival
// order; the outbox events are written in arrival order too. Returns the id and seq of every message stored; a
// message of an unknown conversation fails the whole statement (as for one message). The conversations also come
// as an array (:cs), so the UPDATE finds them by primary key: the planner cannot see how many rows the JSON holds
// and would otherwise scan.
constexpr const char* kPostgresCommitGroup =
    "WITH g AS (SELECT * FROM jsonb_to_recordset(CAST(:g AS JSONB)) AS x(i INTEGER, id UUID, t UUID, c UUID, "
    "st TEXT, ty TEXT, tx TEXT, p JSONB, cm TEXT, o TEXT, f INTEGER, ca BIGINT, eid UUID, n TEXT, ep JSONB, "
    "ec BIGINT)), "
    "k AS (SELECT c, COUNT(*) AS n, MAX(ca) AS u FROM g GROUP BY c), "
    "s AS (UPDATE conversations SET last_seq = conversations.last_seq + k.n, updated_at = k.u FROM k "
    "WHERE conversations.id = ANY(CAST(:cs AS UUID[])) AND conversations.id = k.c RETURNING conversations.id, conversations.last_seq - k.n AS base), "
    "q AS (SELECT g.*, s.base + ROW_NUMBER() OVER (PARTITION BY g.c ORDER BY g.i) AS seq FROM g JOIN s ON s.id = g.c), "
    "m AS (INSERT INTO messages (id, tenant_id, conversation_id, seq, sender_type, type, text, payload, "
    "client_message_id, origin, flagged, created_at) SELECT id, t, c, seq, st, ty, tx, p, cm, o, f, ca FROM q "
    "RETURNING id, seq), "
    "o AS (INSERT INTO outbox_events (id, tenant_id, name, payload, created_at) SELECT eid, t, n, "
    "jsonb_set(ep, '{message,seq}', to_jsonb(seq)), ec FROM q ORDER BY i RETURNING seq, id), "
    "op AS (INSERT INTO outbox_pending (seq, event_id) SELECT seq, id FROM o), "
    "n AS (SELECT (SELECT COUNT(*) FROM m) AS stored, (SELECT COUNT(*) FROM g) AS sent) "
    "SELECT CAST(id AS TEXT), seq FROM m UNION ALL "
    "SELECT NULL, CAST('unstored ' || stored AS BIGINT) FROM n WHERE stored <> sent";

JsonObject withMessage(const JsonObject& event, const Message& m) {
    JsonObject out = jsonObject();
    if (event)
        for (const auto& name : event->getNames()) out->set(name, event->get(name));
    out->set("message", m.toJson());
    return out;
}

std::runtime_error unknownConversation(const Message& m) {
    return std::runtime_error("conversation " + m.conversation_id + " does not exist");
}

}  // namespace

struct MessageCommitter::Pending : GroupCommit::Item {
    Message* message = nullptr;
    const std::string* event_name = nullptr;
    JsonObject event;
    const WithCommit* with_commit = nullptr;  // null when the message has none
};

MessageCommitter::MessageCommitter(Database& db, std::size_t max_batches)
    : db_(db), group_(max_batches ? max_batches : db.isPostgres() ? kPostgresBatches : 1, kMaxBatchSize) {}

void MessageCommitter::commit(Message& m, const std::string& event_name, const JsonObject& event,
                              const WithCommit& with_commit) {
    Pending pending;
    pending.key = m.conversation_id;
    pending.message = &m;
    pending.event_name = &event_name;
    pending.event = event;
    if (with_commit) pending.with_commit = &with_commit;
    group_.run(pending, [this](const std::vector<GroupCommit::Item*>& batch) {
        if (db_.isPostgres()) commitPostgres(batch);
        else commitSqlite(batch);
    });
}

// One write transaction: each message in a savepoint of its own, so one refused message (a duplicate client id)
// is rolled back alone and the others commit with the same fsync.
void MessageCommitter::commitSqlite(const std::vector<GroupCommit::Item*>& batch) {
    const bool alone = batch.size() == 1;
    db_.write([&](soci::session& sql) {
        for (GroupCommit::Item* item : batch) {
            auto& p = static_cast<Pending&>(*item);
            if (alone) {  // its error ends the transaction: nothing else is in it
                ConversationRepository(sql).appendMessage(*p.message);
                appendOutboxEvent(sql, p.message->tenant_id, *p.event_name, withMessage(p.event, *p.message));
                if (p.with_commit) p.with_commit->run(sql, *p.message);
                continue;
            }
            sql << "SAVEPOINT message_commit";
            try {
                ConversationRepository(sql).appendMessage(*p.message);
                appendOutboxEvent(sql, p.message->tenant_id, *p.event_name, withMessage(p.event, *p.message));
                if (p.with_commit) p.with_commit->run(sql, *p.message);
            } catch (...) {
                p.error = std::current_exception();
                sql << "ROLLBACK TO SAVEPOINT message_commit";
            }
            sql << "RELEASE SAVEPOINT message_commit";
        }
    });
}

// On PostgreSQL, after the statement that stores the messages (which fails unless every one was stored): the
// with_commit statements of the members that carry some.
void MessageCommitter::appendWithCommit(std::vector<PipelinedStatement>& statements,
                                        const std::vector<GroupCommit::Item*>& members) {
    for (GroupCommit::Item* item : members) {
        auto& p = static_cast<Pending&>(*item);
        if (!p.with_commit) continue;
        for (auto& s : p.with_commit->pipelined(*p.message)) statements.push_back(std::move(s));
    }
}

void MessageCommitter::commitPostgres(const std::vector<GroupCommit::Item*>& batch) {
    auto run = [this](const std::vector<PipelinedStatement>& statements) {
        return db_.autocommit([&](soci::session& sql) { return runPipelined(sql, statements); });
    };
    auto commitOne = [&](GroupCommit::Item* item) {
        auto& p = static_cast<Pending&>(*item);
        Message& m = *p.message;
        m.seq = 0;  // set by the statement
        std::vector<PipelinedStatement> statements;
        statements.push_back(
            {kPostgresCommitOne,
             {std::to_string(m.created_at), m.conversation_id, m.id, m.tenant_id, m.conversation_id, m.sender_type,
              m.type, m.text, toJson(m.payload),
              m.client_message_id.empty() ? SqlParam() : SqlParam(m.client_message_id), m.origin,
              std::string(m.flagged ? "1" : "0"), std::to_string(m.created_at), newUuid(), m.tenant_id,
              *p.event_name, toJson(withMessage(p.event, m)), std::to_string(nowMs())}});
        appendWithCommit(statements, {item});
        std::vector<TextRows> rows;
        try {
            rows = run(statements);
        } catch (const PipelineError& e) {
            if (e.statement() == 0 && !conversationExists(m.conversation_id)) throw unknownConversation(m);
            throw;
        }
        if (rows[0].empty() || !rows[0][0][0]) throw unknownConversation(m);
        m.seq = std::stoll(*rows[0][0][0]);
    };
    if (batch.size() == 1) {
        commitOne(batch.front());
        db_.outboxCommitted();  // the statement committed an outbox row: wake the dispatcher
        return;
    }
    std::string group = "[", conversations = "{";
    std::unordered_map<std::string, Pending*> by_id;
    long long now = nowMs();
    for (std::size_t i = 0; i < batch.size(); ++i) {
        auto& p = static_cast<Pending&>(*batch[i]);
        Message& m = *p.message;
        m.seq = 0;
        by_id[m.id] = &p;
        if (i) group += ',', conversations += ',';
        conversations += m.conversation_id;  // a UUID from the database: nothing to quote
        group += "{\"i\":" + std::to_string(i) + ",\"id\":";
        appendJsonString(group, m.id);
        group += ",\"t\":";
        appendJsonString(group, m.tenant_id);
        group += ",\"c\":";
        appendJsonString(group, m.conversation_id);
        group += ",\"st\":";
        appendJsonString(group, m.sender_type);
        group += ",\"ty\":";
        appendJsonString(group, m.type);
        group += ",\"tx\":";
        appendJsonString(group, m.text);
        group += ",\"p\":" + toJson(m.payload) + ",\"cm\":";
        if (m.client_message_id.empty()) group += "null";
        else appendJsonString(group, m.client_message_id);
        group += ",\"o\":";
        appendJsonString(group, m.origin);
        group += ",\"f\":" + std::string(m.flagged ? "1" : "0") + ",\"ca\":" + std::to_string(m.created_at);
        group += ",\"eid\":";
        appendJsonString(group, newUuid());
        group += ",\"n\":";
        appendJsonString(group, *p.event_name);
        group += ",\"ep\":" + toJson(withMessage(p.event, m)) + ",\"ec\":" + std::to_string(now) + "}";
    }
    group += "]";
    conversations += "}";
    std::vector<PipelinedStatement> statements;
    statements.push_back({kPostgresCommitGroup, {group, conversations}});
    appendWithCommit(statements, batch);
    std::vector<TextRows> rows;
    try {
        rows = run(statements);
    } catch (const std::exception&) {
        // One message was refused (a duplicate client id, text PostgreSQL cannot store, an unknown conversation,
        // a failing with_commit) and nothing of the group was stored: each one alone, so that only the refused
        // one fails.
        for (GroupCommit::Item* item : batch) {
            try {
                commitOne(item);
            } catch (...) {
                item->error = std::current_exception();
            }
        }
        db_.outboxCommitted();
        return;
    }
    for (const auto& row : rows[0]) {
        auto it = row[0] ? by_id.find(*row[0]) : by_id.end();
        if (it != by_id.end() && row[1]) it->second->message->seq = std::stoll(*row[1]);
    }
    for (GroupCommit::Item* item : batch)  // cannot happen (the statement fails then), checked all the same
        if (static_cast<Pending&>(*item).message->seq == 0)
            item->error = std::make_exception_ptr(unknownConversation(*static_cast<Pending&>(*item).message));
    db_.outboxCommitted();
}

bool MessageCommitter::conversationExists(const std::string& id) {
    return db_.read([&](soci::session& sql) {
        return queryOne(sql, "SELECT 1 FROM conversations WHERE id = CAST(:id AS UUID)",
                        [](const soci::row& r) { return rowInt(r, 0); }, id).has_value();
    });
}

}  // namespace parley::core

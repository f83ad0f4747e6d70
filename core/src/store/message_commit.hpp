// Stores messages with their outbox events atomically, in as few round trips and commits as the database allows.
#pragma once

#include "store/conversation_repository.hpp"
#include "store/group_commit.hpp"
#include "store/pipeline.hpp"

#include <functional>
#include <string>

namespace parley::core {

class Database;

class MessageCommitter {
public:
    // `max_batches` 0: kPostgresBatches on PostgreSQL, 1 on SQLite (one writer).
    explicit MessageCommitter(Database& db, std::size_t max_batches = 0);

    // Gives `m` its conversation's next seq and stores it together with the outbox event `event_name`, whose
    // payload is `event` plus {"message": m as JSON, seq included}. Messages committed at the same time share one
    // commit (store/group_commit.hpp): on PostgreSQL one statement for the whole group (a data-modifying WITH
    // over the group as JSON, atomic without BEGIN and COMMIT), on SQLite one write transaction with a savepoint
    // per message (one fsync for the group). A message committed alone takes the same road with a group of one.
    // Throws soci::soci_error when a constraint refuses it (a client message id already stored in the
    // conversation) and std::runtime_error for an unknown conversation; either way nothing of it is stored, and
    // the other messages of its group are not affected.
    // `with_commit` (may be empty): statements that commit with the message or not at all. On SQLite they run in
    // the group's transaction after the message and its event are written. On PostgreSQL they go in the same
    // pipeline as the group's statement (store/pipeline.hpp): one round trip and one implicit transaction; that
    // statement fails unless every message of the group was stored (an unknown conversation), so they never
    // commit without their message.
    struct WithCommit {
        // SQLite: runs the statements on `sql` for the stored message (seq set).
        std::function<void(soci::session&, const Message&)> run;
        // PostgreSQL: the statements for the message about to be stored (its id, conversation, tenant and
        // created_at are known; its seq is not), parameters as text.
        std::function<std::vector<PipelinedStatement>(const Message&)> pipelined;
        explicit operator bool() const { return static_cast<bool>(run); }
    };
    void commit(Message& m, const std::string& event_name, const JsonObject& event, const WithCommit& with_commit = {});

    // Group limits: batches running at once (PostgreSQL: each on its own connection; SQLite has one writer) and
    // messages per batch.
    static constexpr std::size_t kPostgresBatches = 4;
    static constexpr std::size_t kMaxBatchSize = 64;

    GroupCommit::Stats stats() { return group_.stats(); }

private:
    struct Pending;
    void commitPostgres(const std::vector<GroupCommit::Item*>& batch);
    static void appendWithCommit(std::vector<PipelinedStatement>& statements,
                                 const std::vector<GroupCommit::Item*>& members);
    bool conversationExists(const std::string& id);
    void commitSqlite(const std::vector<GroupCommit::Item*>& batch);

    Database& db_;
    GroupCommit group_;
};

}  // namespace parley::core

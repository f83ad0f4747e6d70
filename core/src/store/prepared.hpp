// Statements prepared once per pooled PostgreSQL connection and kept while it lives.
#pragma once

#include <soci/soci.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace parley::core {

// A parameter as it is sent: text, or NULL. PostgreSQL converts text to the column's type (or the CAST's).
using SqlParam = std::optional<std::string>;

// The prepared statements of one connection. PostgreSQL parses and plans a one-time statement at every
// execution; on the message path that cost as much of its CPU as running the statements, so the hot queries
// are prepared once per connection and run again with new parameters. A text is prepared the second time it
// is seen: statements whose text varies (IN lists and multi-row VALUES of every length) then run as one-time
// statements, one round trip each, instead of a PREPARE, an execution and later a DEALLOCATE, and they do not
// crowd the hot statements out. Used by one lease holder at a time.
class PreparedStatements {
public:
    explicit PreparedStatements(soci::session& sql);
    ~PreparedStatements();

    // Runs `query` with `params` bound to its placeholders in order and, when `rows`, fetches the first row;
    // nullptr when no row came (or `rows` is false: a statement that returns none). The row stays valid until
    // the next call on this connection. A statement that fails is dropped (prepared afresh next time) and the
    // error is rethrown. At most kMaxStatements are kept; past that the least recently used one is dropped.
    const soci::row* run(const std::string& query, const std::vector<SqlParam>& params, bool rows = true);
    // The next row of the last run, or nullptr after the last.
    const soci::row* next();

    // Statements pipelines (store/pipeline.hpp) prepared on this connection: the server's name for `text`, or
    // nullptr. A new one gets a name never used before on the connection (a prepare whose answer was lost cannot
    // collide with it); past kMaxPipelined, texts run unprepared.
    const std::string* pipelinedName(const std::string& text) const;
    bool canPipelineMore() const { return pipelined_.size() < kMaxPipelined; }
    std::string newPipelinedName() { return "parley_pl_" + std::to_string(++pipelined_names_); }
    void notePipelined(const std::string& text, std::string name) { pipelined_[text] = std::move(name); }

    static constexpr std::size_t kMaxStatements = 256;
    static constexpr std::size_t kMaxPipelined = 64;
    static constexpr std::size_t kMaxSeenOnce = 4096;  // texts remembered as seen once, forgotten all at once past it

    // Statements prepared on this connection so far, and statements run once without preparing (for tests).
    std::size_t prepared() const { return prepared_count_; }
    std::size_t ranOnce() const { return once_count_; }

private:
    struct Entry;
    soci::session& sql_;
    std::map<std::string, std::unique_ptr<Entry>> entries_;  // by query text
    std::unordered_set<std::size_t> seen_once_;              // hashes of texts run once, not prepared
    std::unique_ptr<Entry> once_;                            // the last one-time statement (its rows)
    Entry* last_ = nullptr;
    unsigned long long uses_ = 0;
    std::size_t prepared_count_ = 0, once_count_ = 0;
    std::map<std::string, std::string> pipelined_;  // text -> name
    unsigned long long pipelined_names_ = 0;

    Entry& prepare(const std::string& query, std::size_t params, bool rows, bool keep);
};

// Runs `query` once with `params` (no statement kept) and fetches the first row into `row`; false when none came.
bool runOnce(soci::session& sql, const std::string& query, const std::vector<SqlParam>& params, soci::row& row);

// Runs `query` once with `params` and hands every row to `each` in order.
void runEach(soci::session& sql, const std::string& query, const std::vector<SqlParam>& params,
             const std::function<void(const soci::row&)>& each);

// The prepared statements of a pooled PostgreSQL connection, or nullptr (SQLite, or a session the pool does
// not own): the caller then runs a one-time statement. The pool registers its sessions and forgets a
// connection's statements when it reconnects it.
PreparedStatements* preparedFor(soci::session& sql);
void registerPrepared(soci::session& sql, PreparedStatements* statements);
void unregisterPrepared(soci::session& sql);

}  // namespace parley::core

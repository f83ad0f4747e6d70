// PostgreSQL statements sent together in one round trip (libpq's pipeline mode) and committed as one transaction.
#pragma once

#include "store/prepared.hpp"

#include <soci/soci.h>

#include <string>
#include <string_view>
#include <vector>

namespace parley::core {

// One statement of a pipeline: its text, with SOCI's `:name` placeholders, and its parameters in the order the
// placeholders appear (text or NULL: PostgreSQL converts text to the column's type, as with SOCI).
struct PipelinedStatement {
    std::string sql;
    std::vector<SqlParam> params;
};

// The rows a statement returned, each column as text or NULL.
using TextRows = std::vector<std::vector<SqlParam>>;

// A statement of a pipeline failed: PostgreSQL's message, and which statement (its index).
class PipelineError : public soci::soci_error {
public:
    PipelineError(const std::string& message, std::size_t statement)
        : soci::soci_error(message), statement_(statement) {}
    std::size_t statement() const { return statement_; }

private:
    std::size_t statement_;
};

// Runs `statements` on `sql`, a PostgreSQL session outside any transaction, and returns each one's rows. They
// go to the server at once and their answers are read after, so the whole list costs one round trip instead of
// one per statement plus BEGIN and COMMIT. Statements up to a pipeline's sync point run in one implicit
// transaction: when one fails, none of them is committed, and PipelineError names it. A statement run again on
// the same pooled connection is prepared there once (store/prepared.hpp), as SOCI's hot statements are.
std::vector<TextRows> runPipelined(soci::session& sql, const std::vector<PipelinedStatement>& statements);

// `sql` with each `:name` placeholder replaced by `$1`, `$2`… in order of appearance, as SOCI's PostgreSQL
// backend numbers them: none inside '…' literals, and `::` (a cast) and `:=` are left alone.
std::string dollarPlaceholders(std::string_view sql);

}  // namespace parley::core

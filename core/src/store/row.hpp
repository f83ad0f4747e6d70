// Reads columns of a soci::row the same way on SQLite and PostgreSQL, whatever type each backend reports.
#pragma once

#include "store/prepared.hpp"

#include <soci/soci.h>

#include <optional>
#include <string>
#include <type_traits>

namespace parley::core {

// The column as text; NULL gives "".
std::string rowText(const soci::row& row, std::size_t i);
// The column as an integer; NULL gives 0.
long long rowInt(const soci::row& row, std::size_t i);
// True when the column is NULL.
bool rowIsNull(const soci::row& row, std::size_t i);

// A value as a statement parameter (text; PostgreSQL converts it to the column's or the CAST's type).
inline SqlParam sqlParam(const std::string& v) { return v; }
inline SqlParam sqlParam(const char* v) { return std::string(v); }
inline SqlParam sqlParam(long long v) { return std::to_string(v); }
inline SqlParam sqlParam(int v) { return std::to_string(v); }
inline SqlParam sqlParam(const SqlParam& v) { return v; }

// The first row of `query`, made into a value by `convert(row)`, or nothing. `params` bind the placeholders in
// order. On a pooled PostgreSQL connection the statement is prepared once per connection (store/prepared.hpp);
// otherwise it runs as a one-time statement (one round trip, where a rowset prepares, executes and deallocates).
template <typename Convert, typename... Params>
auto queryOne(soci::session& sql, const std::string& query, Convert convert, const Params&... params)
    -> std::optional<std::invoke_result_t<Convert, const soci::row&>> {
    if (PreparedStatements* prepared = preparedFor(sql)) {
        const soci::row* row = prepared->run(query, {sqlParam(params)...});
        if (!row) return std::nullopt;
        return convert(*row);
    }
    soci::row row;
    if (!runOnce(sql, query, {sqlParam(params)...}, row)) return std::nullopt;
    return convert(row);
}

// Every row of `query`, each handed to `fn(row)` in order; prepared once per pooled PostgreSQL connection like
// queryOne.
template <typename Fn, typename... Params>
void queryEach(soci::session& sql, const std::string& query, Fn fn, const Params&... params) {
    if (PreparedStatements* prepared = preparedFor(sql)) {
        for (const soci::row* row = prepared->run(query, {sqlParam(params)...}); row; row = prepared->next()) fn(*row);
        return;
    }
    runEach(sql, query, {sqlParam(params)...}, fn);
}

}  // namespace parley::core

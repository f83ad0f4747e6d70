// Reads columns of a soci::row the same way on SQLite and PostgreSQL, whatever type each backend reports.
#pragma once

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

// The first row of `query`, made into a value by `convert(row)`, or nothing. A one-time statement: one round trip
// on PostgreSQL, where a rowset prepares, executes and deallocates (three). `params` bind :1, :2, ... in order.
template <typename Convert, typename... Params>
auto queryOne(soci::session& sql, const std::string& query, Convert convert, const Params&... params)
    -> std::optional<std::invoke_result_t<Convert, const soci::row&>> {
    soci::row row;
    ((sql << query, soci::into(row)), ..., soci::use(params));
    if (!sql.got_data()) return std::nullopt;
    return convert(row);
}

}  // namespace parley::core

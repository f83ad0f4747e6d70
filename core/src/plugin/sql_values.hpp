// A plugin's SQL call in and out as text: its parameters (a flat JSON array) read straight into values, and the
// result rows written straight as a JSON array. Every plugin statement crosses here, often with thousands of
// parameters and long texts (a delivery batch's bodies): a JSON tree of Poco::Dynamic::Var for each side cost
// more CPU than running the statement.
#pragma once

#include "store/prepared.hpp"

#include <soci/soci.h>

#include <string>
#include <string_view>
#include <vector>

namespace parley::core {

// One parameter: SQL NULL, an integer, a real number or a text (a JSON boolean is the integer 1 or 0).
struct SqlValue {
    enum class Kind { null, integer, real, text };
    Kind kind = Kind::null;
    long long integer = 0;
    double real = 0;
    std::string text;
};

// `v` as PostgreSQL receives it: every parameter as text (SOCI sends them so too), or NULL. Reals in their
// shortest exact form.
SqlParam sqlParamOf(SqlValue v);

// Reads `json`, a JSON array of strings, numbers, booleans and nulls. Throws std::invalid_argument naming what
// is wrong and where ("params must be a JSON array", "params may hold only strings, numbers, booleans and nulls",
// "params are not valid JSON: ... at byte N").
std::vector<SqlValue> parseSqlValues(std::string_view json);

// Appends `row` as a JSON object to `out`: integers as numbers, reals as numbers (null when not finite), NULL as
// null, the rest as text, keyed by column name.
void appendRowJson(std::string& out, const soci::row& row);

}  // namespace parley::core

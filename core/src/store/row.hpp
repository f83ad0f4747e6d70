// Reads columns of a soci::row the same way on SQLite and PostgreSQL, whatever type each backend reports.
#pragma once

#include <soci/soci.h>

#include <string>

namespace parley::core {

// The column as text; NULL gives "".
std::string rowText(const soci::row& row, std::size_t i);
// The column as an integer; NULL gives 0.
long long rowInt(const soci::row& row, std::size_t i);
// True when the column is NULL.
bool rowIsNull(const soci::row& row, std::size_t i);

}  // namespace parley::core

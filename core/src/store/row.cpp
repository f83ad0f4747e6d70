// Backend-neutral column reads: SQLite reports declared types, PostgreSQL its OIDs; we accept either.
#include "store/row.hpp"

namespace parley::core {

bool rowIsNull(const soci::row& row, std::size_t i) { return row.get_indicator(i) == soci::i_null; }

std::string rowText(const soci::row& row, std::size_t i) {
    if (rowIsNull(row, i)) return "";
    switch (row.get_properties(i).get_data_type()) {
        case soci::dt_string: return row.get<std::string>(i);
        case soci::dt_integer: return std::to_string(row.get<int>(i));
        case soci::dt_long_long: return std::to_string(row.get<long long>(i));
        case soci::dt_unsigned_long_long: return std::to_string(row.get<unsigned long long>(i));
        case soci::dt_double: return std::to_string(row.get<double>(i));
        default: return row.get<std::string>(i);
    }
}

long long rowInt(const soci::row& row, std::size_t i) {
    if (rowIsNull(row, i)) return 0;
    switch (row.get_properties(i).get_data_type()) {
        case soci::dt_integer: return row.get<int>(i);
        case soci::dt_long_long: return row.get<long long>(i);
        case soci::dt_unsigned_long_long: return static_cast<long long>(row.get<unsigned long long>(i));
        case soci::dt_double: return static_cast<long long>(row.get<double>(i));
        case soci::dt_string: return std::stoll(row.get<std::string>(i));
        default: return 0;
    }
}

}  // namespace parley::core

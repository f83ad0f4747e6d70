// RFC 4180 CSV: quoted fields, doubled quotes, line breaks inside quotes; for import, export and kb_eval.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace parley::knowledge_base {

struct CsvRow {
    size_t line = 0;  // 1-based line where the row starts (for rejection reports)
    std::vector<std::string> fields;
};

// Parses `text` into rows (a UTF-8 BOM and a last line break are ignored; "\r\n" and "\n" both end rows).
// Throws std::invalid_argument naming the line of an unterminated quoted field.
std::vector<CsvRow> parseCsv(std::string_view text);

// One field, quoted when it holds a comma, a quote, a line break or leading/trailing spaces.
std::string csvField(std::string_view value);

}  // namespace parley::knowledge_base

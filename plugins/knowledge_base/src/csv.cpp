// A small CSV reader and writer (RFC 4180), byte-oriented so any UTF-8 passes through untouched.
#include "csv.hpp"

#include <stdexcept>

namespace parley::knowledge_base {

std::vector<CsvRow> parseCsv(std::string_view text) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    std::vector<CsvRow> rows;
    CsvRow row{1, {}};
    std::string field;
    size_t line = 1, quote_line = 0;
    bool quoted = false, any = false;
    auto endField = [&] {
        row.fields.push_back(std::move(field));
        field.clear();
    };
    auto endRow = [&] {
        endField();
        rows.push_back(std::move(row));
        row = CsvRow{line, {}};
        any = false;
    };
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < text.size() && text[i + 1] == '"') {
                    field.push_back('"');
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                if (c == '\n') ++line;
                field.push_back(c);
            }
            continue;
        }
        if (c == '"' && field.empty()) {
            quoted = true;
            quote_line = line;
            any = true;
        } else if (c == ',') {
            endField();
            any = true;
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            continue;
        } else if (c == '\n') {
            ++line;
            endRow();
        } else {
            field.push_back(c);
            any = true;
        }
    }
    if (quoted) throw std::invalid_argument("line " + std::to_string(quote_line) + ": a quoted field is never closed");
    if (any || !field.empty()) endRow();
    return rows;
}

std::string csvField(std::string_view value) {
    bool needs = !value.empty() && (value.front() == ' ' || value.back() == ' ');
    for (char c : value) needs = needs || c == ',' || c == '"' || c == '\n' || c == '\r';
    if (!needs) return std::string(value);
    std::string out = "\"";
    for (char c : value) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
    }
    return out + "\"";
}

}  // namespace parley::knowledge_base

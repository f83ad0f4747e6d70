// A small strict reader for one shape of JSON (a flat array of scalars) and a direct row writer.
#include "plugin/sql_values.hpp"

#include "http/json.hpp"
#include "store/row.hpp"

#include <parley/json_scan.hpp>

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace parley::core {

SqlParam sqlParamOf(SqlValue v) {
    switch (v.kind) {
        case SqlValue::Kind::null: return std::nullopt;
        case SqlValue::Kind::integer: return std::to_string(v.integer);
        case SqlValue::Kind::real: {
            char buffer[64];
            return std::string(buffer, std::to_chars(buffer, buffer + sizeof buffer, v.real).ptr);
        }
        case SqlValue::Kind::text: break;
    }
    return std::move(v.text);
}

namespace {

class Reader {
public:
    explicit Reader(std::string_view text) : s_(text) {}

    std::vector<SqlValue> array() {
        std::vector<SqlValue> out;
        space();
        if (at_end() || s_[i_] != '[') throw std::invalid_argument("params must be a JSON array");
        ++i_;
        space();
        if (peek(']')) {
            ++i_;
        } else {
            for (;;) {
                out.push_back(value());
                space();
                if (peek(',')) {
                    ++i_;
                    space();
                    continue;
                }
                if (peek(']')) {
                    ++i_;
                    break;
                }
                bad("expected ',' or ']'");
            }
        }
        space();
        if (!at_end()) bad("unexpected text after the array");
        return out;
    }

private:
    std::string_view s_;
    std::size_t i_ = 0;

    bool at_end() const { return i_ >= s_.size(); }
    bool peek(char c) const { return i_ < s_.size() && s_[i_] == c; }
    void space() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
    }
    [[noreturn]] void bad(const std::string& what) const {
        throw std::invalid_argument("params are not valid JSON: " + what + " at byte " + std::to_string(i_));
    }
    bool word(std::string_view w) {
        if (s_.substr(i_, w.size()) != w) return false;
        i_ += w.size();
        return true;
    }

    SqlValue value() {
        SqlValue v;
        if (at_end()) bad("unexpected end");
        char c = s_[i_];
        if (c == '"') {
            v.kind = SqlValue::Kind::text;
            v.text = string();
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            number(v);
        } else if (word("true")) {
            v.kind = SqlValue::Kind::integer;
            v.integer = 1;
        } else if (word("false")) {
            v.kind = SqlValue::Kind::integer;
        } else if (word("null")) {
            v.kind = SqlValue::Kind::null;
        } else if (c == '[' || c == '{') {
            throw std::invalid_argument("params may hold only strings, numbers, booleans and nulls");
        } else {
            bad("unexpected character");
        }
        return v;
    }

    void number(SqlValue& v) {
        std::size_t start = i_;
        if (peek('-')) ++i_;
        if (peek('0')) {
            ++i_;
        } else if (!at_end() && s_[i_] >= '1' && s_[i_] <= '9') {
            while (!at_end() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
        } else {
            bad("bad number");
        }
        bool integral = true;
        if (peek('.')) {
            integral = false;
            ++i_;
            if (at_end() || s_[i_] < '0' || s_[i_] > '9') bad("bad number");
            while (!at_end() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
        }
        if (peek('e') || peek('E')) {
            integral = false;
            ++i_;
            if (peek('+') || peek('-')) ++i_;
            if (at_end() || s_[i_] < '0' || s_[i_] > '9') bad("bad number");
            while (!at_end() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
        }
        const char* first = s_.data() + start;
        const char* last = s_.data() + i_;
        if (integral) {
            auto [end, ec] = std::from_chars(first, last, v.integer);
            if (ec == std::errc() && end == last) {
                v.kind = SqlValue::Kind::integer;
                return;
            }
        }
        // A fraction, an exponent or an integer past 64 bits: a real number, as JSON readers take it.
        auto [end, ec] = std::from_chars(first, last, v.real);
        if (ec != std::errc() || end != last) {
            i_ = start;
            bad("number out of range");
        }
        v.kind = SqlValue::Kind::real;
    }

    unsigned hex4() {
        if (i_ + 4 > s_.size()) bad("bad \\u escape");
        unsigned code = 0;
        for (int k = 0; k < 4; ++k) {
            char c = s_[i_++];
            code <<= 4;
            if (c >= '0' && c <= '9') code |= static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f') code |= static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') code |= static_cast<unsigned>(c - 'A' + 10);
            else bad("bad \\u escape");
        }
        return code;
    }

    std::string string() {
        ++i_;  // the opening quote
        std::string out;
        for (;;) {
            // Plain runs are copied in one go: bodies are long and mostly unescaped.
            std::size_t run = i_;
            while (i_ < s_.size() && s_[i_] != '"' && s_[i_] != '\\' && static_cast<unsigned char>(s_[i_]) >= 0x20) ++i_;
            out.append(s_.data() + run, i_ - run);
            if (at_end()) bad("unterminated string");
            char c = s_[i_];
            if (c == '"') {
                ++i_;
                return out;
            }
            if (c != '\\') bad("control character in a string");
            ++i_;
            if (at_end()) bad("unterminated string");
            char e = s_[i_++];
            switch (e) {
                case '"': out.push_back('"'); break;
                case '\\': out.push_back('\\'); break;
                case '/': out.push_back('/'); break;
                case 'b': out.push_back('\b'); break;
                case 'f': out.push_back('\f'); break;
                case 'n': out.push_back('\n'); break;
                case 'r': out.push_back('\r'); break;
                case 't': out.push_back('\t'); break;
                case 'u': {
                    unsigned code = hex4();
                    if (code >= 0xD800 && code <= 0xDBFF) {  // a high surrogate: its low half must follow
                        if (!word("\\u")) bad("lone surrogate in \\u escape");
                        unsigned low = hex4();
                        if (low < 0xDC00 || low > 0xDFFF) bad("lone surrogate in \\u escape");
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                    } else if (code >= 0xDC00 && code <= 0xDFFF) {
                        bad("lone surrogate in \\u escape");
                    }
                    parley::appendUtf8(out, code);
                    break;
                }
                default: --i_; bad("bad escape");
            }
        }
    }
};

}  // namespace

std::vector<SqlValue> parseSqlValues(std::string_view json) { return Reader(json).array(); }

void appendRowJson(std::string& out, const soci::row& row) {
    out.push_back('{');
    for (std::size_t i = 0; i < row.size(); ++i) {
        const auto& props = row.get_properties(i);
        if (i) out.push_back(',');
        appendJsonString(out, props.get_name());
        out.push_back(':');
        if (rowIsNull(row, i)) {
            out += "null";
        } else if (props.get_data_type() == soci::dt_integer || props.get_data_type() == soci::dt_long_long) {
            out += std::to_string(rowInt(row, i));
        } else if (props.get_data_type() == soci::dt_double) {
            double d = row.get<double>(i);
            if (!std::isfinite(d)) {
                out += "null";
                continue;
            }
            char buffer[64];
            out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, d).ptr);
        } else {
            appendJsonString(out, rowText(row, i));
        }
    }
    out.push_back('}');
}

}  // namespace parley::core

// Reading one value out of a JSON text without building a tree (header-only, no JSON library): for a hook or a
// subscription that looks at one or two fields of a large payload before deciding whether to read the rest.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace parley {

// Appends the code point `cp` (at most 0x10FFFF) to `out` as UTF-8. Shared by the readers of JSON escapes.
inline void appendUtf8(std::string& out, unsigned long cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

namespace json_scan_detail {

inline std::size_t skipSpace(std::string_view s, std::size_t i) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
    return i;
}

// The end of the string literal starting at s[i] == '"' (one past its closing quote), or npos when unterminated.
inline std::size_t skipString(std::string_view s, std::size_t i) {
    for (++i; i < s.size(); ++i) {
        if (s[i] == '\\') ++i;
        else if (s[i] == '"') return i + 1;
    }
    return std::string_view::npos;
}

// The end of the value starting at s[i] (one past it), or npos when it is malformed or cut short. Nested
// objects and arrays are matched by depth, strings skipped whole; scalars end at a delimiter.
inline std::size_t skipValue(std::string_view s, std::size_t i) {
    if (i >= s.size()) return std::string_view::npos;
    if (s[i] == '"') return skipString(s, i);
    if (s[i] == '{' || s[i] == '[') {
        int depth = 0;
        while (i < s.size()) {
            char c = s[i];
            if (c == '"') {
                i = skipString(s, i);
                if (i == std::string_view::npos) return i;
                continue;
            }
            if (c == '{' || c == '[') ++depth;
            else if ((c == '}' || c == ']') && --depth == 0) return i + 1;
            ++i;
        }
        return std::string_view::npos;
    }
    std::size_t start = i;
    while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' &&
           s[i] != '\r')
        ++i;
    return i == start ? std::string_view::npos : i;
}

inline bool hex4(std::string_view s, std::size_t i, unsigned long& out) {
    if (i + 4 > s.size()) return false;
    out = 0;
    for (std::size_t k = i; k < i + 4; ++k) {
        char c = s[k];
        out <<= 4;
        if (c >= '0' && c <= '9') out |= static_cast<unsigned long>(c - '0');
        else if (c >= 'a' && c <= 'f') out |= static_cast<unsigned long>(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') out |= static_cast<unsigned long>(c - 'A' + 10);
        else return false;
    }
    return true;
}

// The text of the string literal `literal` (quotes included), escapes resolved; nullopt when malformed.
inline std::optional<std::string> unquote(std::string_view literal) {
    if (literal.size() < 2 || literal.front() != '"' || literal.back() != '"') return std::nullopt;
    std::string out;
    out.reserve(literal.size() - 2);
    for (std::size_t i = 1; i + 1 < literal.size(); ++i) {
        char c = literal[i];
        if (c != '\\') {
            out.push_back(c);
            continue;
        }
        if (++i + 1 >= literal.size()) return std::nullopt;
        switch (literal[i]) {
            case '"': out.push_back('"'); break;
            case '\\': out.push_back('\\'); break;
            case '/': out.push_back('/'); break;
            case 'b': out.push_back('\b'); break;
            case 'f': out.push_back('\f'); break;
            case 'n': out.push_back('\n'); break;
            case 'r': out.push_back('\r'); break;
            case 't': out.push_back('\t'); break;
            case 'u': {
                unsigned long cp = 0;
                if (!hex4(literal, i + 1, cp)) return std::nullopt;
                i += 4;
                if (cp >= 0xD800 && cp < 0xDC00) {  // a surrogate pair: \uD83D\uDE00
                    unsigned long low = 0;
                    if (i + 2 >= literal.size() || literal[i + 1] != '\\' || literal[i + 2] != 'u' ||
                        !hex4(literal, i + 3, low) || low < 0xDC00 || low > 0xDFFF)
                        return std::nullopt;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    i += 6;
                }
                parley::appendUtf8(out, cp);
                break;
            }
            default: return std::nullopt;
        }
    }
    return out;
}

}  // namespace json_scan_detail

// The raw text of the value at `path` in the JSON object `json`: a dotted path of member names ("message.type"
// is member "type" of member "message"), each looked up in an object (the first member of that name). nullopt
// when a member is missing, a step is not an object, or the text is malformed on the way. The value's text is
// returned as written (a string keeps its quotes and escapes; see jsonScalar).
inline std::optional<std::string_view> jsonMember(std::string_view json, std::string_view path) {
    using namespace json_scan_detail;
    std::size_t i = skipSpace(json, 0);
    while (true) {
        std::size_t dot = path.find('.');
        std::string_view name = path.substr(0, dot);
        if (i >= json.size() || json[i] != '{') return std::nullopt;
        i = skipSpace(json, i + 1);
        bool found = false;
        while (i < json.size() && json[i] != '}') {
            if (json[i] != '"') return std::nullopt;
            std::size_t key_end = skipString(json, i);
            if (key_end == std::string_view::npos) return std::nullopt;
            std::string_view key = json.substr(i + 1, key_end - i - 2);
            bool match = key == name;
            if (!match && key.find('\\') != std::string_view::npos) {  // an escaped name: compare its text
                auto text = unquote(json.substr(i, key_end - i));
                match = text && *text == name;
            }
            i = skipSpace(json, key_end);
            if (i >= json.size() || json[i] != ':') return std::nullopt;
            i = skipSpace(json, i + 1);
            std::size_t value_end = skipValue(json, i);
            if (value_end == std::string_view::npos) return std::nullopt;
            if (match) {
                found = true;
                break;
            }
            i = skipSpace(json, value_end);
            if (i < json.size() && json[i] == ',') i = skipSpace(json, i + 1);
        }
        if (!found) return std::nullopt;
        if (dot == std::string_view::npos) return json.substr(i, skipValue(json, i) - i);
        path.remove_prefix(dot + 1);
    }
}

// The value at `path` as text when it is a scalar: a string's text (escapes resolved), a number or true/false
// as written. nullopt for null, an object, an array, or a missing member.
inline std::optional<std::string> jsonScalar(std::string_view json, std::string_view path) {
    auto raw = jsonMember(json, path);
    if (!raw || raw->empty()) return std::nullopt;
    if (raw->front() == '"') return json_scan_detail::unquote(*raw);
    if (raw->front() == '{' || raw->front() == '[' || *raw == "null") return std::nullopt;
    return std::string(*raw);
}

}  // namespace parley

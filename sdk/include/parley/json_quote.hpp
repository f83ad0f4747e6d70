// JSON string literals: the one escaping routine of the SDK and the host (header-only, no JSON library).
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace parley {

// Appends `text` to `out` as a JSON string literal: quoted; quote, backslash and control characters escaped;
// UTF-8 passes through as is. Runs without escapes are copied in one go (message bodies are long and plain).
inline void appendJsonQuoted(std::string& out, std::string_view text) {
    out.push_back('"');
    std::size_t run = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(text.data() + run, i - run);
        run = i + 1;
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default: {
                char buffer[8];
                std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
                out += buffer;
            }
        }
    }
    out.append(text.data() + run, text.size() - run);
    out.push_back('"');
}

}  // namespace parley

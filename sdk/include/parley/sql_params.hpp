// Parameters for Plugin::sql, written straight as the JSON array text the host reads: no JSON library, no tree.
//
//   p.sql("SELECT * FROM t WHERE a = :1 AND b = :2 AND c = :3", parley::sqlParams("x", 42, nullptr));
//
//   parley::SqlParams params;                 // or built up in a loop, e.g. for a multi-row VALUES list
//   for (const auto& r : rows) params.add(r.id).add(r.count);
//   p.sql(statement, params.text());
//
// Texts are UTF-8 and escaped as JSON requires; booleans go as true/false (the host binds 1/0); nullptr and
// std::nullopt as null. Header-only: it needs no host call, so it works with every ABI 1.x host.
#pragma once

#include "parley/json_quote.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace parley {

class SqlParams {
public:
    SqlParams() : text_("[") {}

    SqlParams& add(std::string_view s) {
        separate();
        appendJsonQuoted(text_, s);
        return *this;
    }
    SqlParams& add(const std::string& s) { return add(std::string_view(s)); }
    SqlParams& add(const char* s) { return s ? add(std::string_view(s)) : add(nullptr); }
    SqlParams& add(std::nullptr_t) {
        separate();
        text_ += "null";
        return *this;
    }
    SqlParams& add(std::nullopt_t) { return add(nullptr); }
    SqlParams& add(bool b) {
        separate();
        text_ += b ? "true" : "false";
        return *this;
    }
    SqlParams& add(double d) {
        separate();
        if (!std::isfinite(d)) {
            text_ += "null";  // JSON has no NaN or infinity
            return *this;
        }
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%.17g", d);
        text_ += buffer;
        return *this;
    }
    // Every integer type (char types excepted: they are text).
    template <typename T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char>, int> = 0>
    SqlParams& add(T n) {
        separate();
        text_ += std::to_string(n);
        return *this;
    }
    template <typename T>
    SqlParams& add(const std::optional<T>& v) {
        return v ? add(*v) : add(nullptr);
    }

    // How many parameters so far: the next one binds to ":" + (size() + 1).
    std::size_t size() const { return count_; }
    bool empty() const { return count_ == 0; }
    // The JSON array.
    std::string text() const { return text_ + "]"; }

private:
    std::string text_;
    std::size_t count_ = 0;

    void separate() {
        if (count_++) text_.push_back(',');
    }
};

// sqlParams("a", 1, nullptr) is ["a",1,null].
template <typename... Args>
std::string sqlParams(Args&&... args) {
    SqlParams p;
    (p.add(std::forward<Args>(args)), ...);
    return p.text();
}

}  // namespace parley

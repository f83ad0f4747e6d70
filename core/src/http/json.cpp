// JSON parsing with limits and field-naming type checks for every request body.
#include "http/json.hpp"

#include "app/errors.hpp"

#include <parley/json_quote.hpp>

#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace parley::core {

JsonObject jsonObject() { return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER); }
JsonArray jsonArray() { return new Poco::JSON::Array; }

namespace {

// Depth of nesting, counted without building anything, so a deep bomb is refused before parsing.
size_t nestingDepth(const std::string& text) {
    size_t depth = 0, max_depth = 0;
    bool in_string = false, escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            max_depth = std::max(max_depth, ++depth);
        } else if ((c == '}' || c == ']') && depth > 0) {
            --depth;
        }
    }
    return max_depth;
}

std::string typeName(const Poco::Dynamic::Var& v) {
    if (v.isEmpty()) return "null";
    if (v.isString()) return "a string";
    if (v.isBoolean()) return "a boolean";
    if (v.isNumeric()) return "a number";
    if (v.type() == typeid(Poco::JSON::Object::Ptr)) return "an object";
    if (v.type() == typeid(Poco::JSON::Array::Ptr)) return "an array";
    return "an unknown type";
}

}  // namespace

JsonObject parseJsonObject(const std::string& text, size_t max_depth) {
    if (nestingDepth(text) > max_depth)
        throw badRequest("json_too_deep", "JSON body nests deeper than " + std::to_string(max_depth) + " levels");
    // Poco's parser refuses top-level scalars as malformed; when the text parses inside an array it is a
    // valid scalar, and the client deserves to hear that rather than "invalid JSON".
    auto first = text.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && text[first] != '{' && text[first] != '[') {
        bool scalar = false;
        try {
            Poco::JSON::Parser().parse("[" + text + "]");
            scalar = true;
        } catch (...) {
        }
        if (scalar) throw badRequest("invalid_body", "request body must be a JSON object, got a JSON scalar");
    }
    Poco::Dynamic::Var result;
    try {
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
        result = parser.parse(text);
    } catch (const Poco::Exception& e) {
        throw badRequest("invalid_json", "request body is not valid JSON: " + e.message());
    } catch (const std::exception& e) {
        throw badRequest("invalid_json", std::string("request body is not valid JSON: ") + e.what());
    }
    if (result.type() != typeid(Poco::JSON::Object::Ptr))
        throw badRequest("invalid_body", "request body must be a JSON object, got " + typeName(result));
    return result.extract<Poco::JSON::Object::Ptr>();
}

Poco::Dynamic::Var parseJson(const std::string& text) {
    try {
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
        return parser.parse(text);
    } catch (const Poco::Exception& e) {
        throw std::runtime_error("invalid JSON: " + e.message());
    }
}

void appendJsonString(std::string& out, const std::string& s) { parley::appendJsonQuoted(out, s); }

namespace {

// A direct writer: Poco's Stringifier goes through ostreams and Var conversions and costs several times more,
// which every response and every plugin hook's payload would pay.
void appendJson(std::string& out, const Poco::Dynamic::Var& v) {
    if (v.isEmpty()) {
        out += "null";
    } else if (v.type() == typeid(Poco::JSON::Object::Ptr)) {
        const auto& o = v.extract<Poco::JSON::Object::Ptr>();
        if (!o) {
            out += "null";
            return;
        }
        out.push_back('{');
        bool first = true;
        // getNames() keeps insertion order for objects made with JSON_PRESERVE_KEY_ORDER (iteration would not).
        for (const auto& key : o->getNames()) {
            if (!first) out.push_back(',');
            first = false;
            appendJsonString(out, key);
            out.push_back(':');
            appendJson(out, o->get(key));
        }
        out.push_back('}');
    } else if (v.type() == typeid(Poco::JSON::Array::Ptr)) {
        const auto& a = v.extract<Poco::JSON::Array::Ptr>();
        if (!a) {
            out += "null";
            return;
        }
        out.push_back('[');
        bool first = true;
        for (const auto& value : *a) {
            if (!first) out.push_back(',');
            first = false;
            appendJson(out, value);
        }
        out.push_back(']');
    } else if (v.isString()) {
        appendJsonString(out, v.extract<std::string>());
    } else if (v.isBoolean()) {
        out += v.extract<bool>() ? "true" : "false";
    } else if (v.isInteger()) {
        out += v.isSigned() ? std::to_string(v.convert<Poco::Int64>()) : std::to_string(v.convert<Poco::UInt64>());
    } else if (v.isNumeric()) {
        double d = v.convert<double>();
        if (!std::isfinite(d)) {
            out += "null";
            return;
        }
        char buf[32];
        auto result = std::to_chars(buf, buf + sizeof buf, d);
        out.append(buf, result.ptr);
    } else {
        appendJsonString(out, v.toString());
    }
}

}  // namespace

std::string toJson(const JsonObject& object) {
    std::string out;
    appendJson(out, Poco::Dynamic::Var(object));
    return out;
}

std::string toJson(const JsonArray& array) {
    std::string out;
    appendJson(out, Poco::Dynamic::Var(array));
    return out;
}

std::string toJson(const Poco::Dynamic::Var& value) {
    std::string out;
    appendJson(out, value);
    return out;
}

std::optional<std::string> optString(const JsonObject& o, const std::string& key, size_t max_length) {
    if (!o->has(key) || o->isNull(key)) return std::nullopt;
    const Poco::Dynamic::Var& v = o->get(key);
    if (!v.isString()) throw invalidField(key, "must be a string, got " + typeName(v));
    std::string s = v.extract<std::string>();
    if (s.size() > max_length)
        throw invalidField(key, "must be at most " + std::to_string(max_length) + " bytes long");
    return s;
}

std::string reqString(const JsonObject& o, const std::string& key, size_t max_length) {
    auto s = optString(o, key, max_length);
    if (!s) throw invalidField(key, "is required");
    return *s;
}

std::optional<long long> optInt(const JsonObject& o, const std::string& key, long long min, long long max) {
    if (!o->has(key) || o->isNull(key)) return std::nullopt;
    const Poco::Dynamic::Var& v = o->get(key);
    if (!v.isInteger() || v.isBoolean()) throw invalidField(key, "must be an integer, got " + typeName(v));
    long long n = 0;
    bool fits = true;
    try {
        n = v.convert<Poco::Int64>();
    } catch (const Poco::RangeException&) {
        fits = false;  // beyond Int64 (Poco reads it as UInt64): out of any range we accept
    }
    if (!fits || n < min || n > max)
        throw invalidField(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return n;
}

std::optional<bool> optBool(const JsonObject& o, const std::string& key) {
    if (!o->has(key) || o->isNull(key)) return std::nullopt;
    const Poco::Dynamic::Var& v = o->get(key);
    if (!v.isBoolean()) throw invalidField(key, "must be true or false, got " + typeName(v));
    return v.extract<bool>();
}

std::optional<JsonObject> optObject(const JsonObject& o, const std::string& key) {
    if (!o->has(key) || o->isNull(key)) return std::nullopt;
    const Poco::Dynamic::Var& v = o->get(key);
    if (v.type() != typeid(Poco::JSON::Object::Ptr)) throw invalidField(key, "must be an object, got " + typeName(v));
    return v.extract<Poco::JSON::Object::Ptr>();
}

std::optional<std::vector<std::string>> optStringArray(const JsonObject& o, const std::string& key,
                                                       size_t max_items, size_t max_length) {
    if (!o->has(key) || o->isNull(key)) return std::nullopt;
    const Poco::Dynamic::Var& v = o->get(key);
    if (v.type() != typeid(Poco::JSON::Array::Ptr))
        throw invalidField(key, "must be an array of strings, got " + typeName(v));
    auto array = v.extract<Poco::JSON::Array::Ptr>();
    if (array->size() > max_items)
        throw invalidField(key, "must hold at most " + std::to_string(max_items) + " items");
    std::vector<std::string> out;
    for (size_t i = 0; i < array->size(); ++i) {
        const auto& item = array->get(i);
        if (!item.isString())
            throw invalidField(key + "[" + std::to_string(i) + "]", "must be a string, got " + typeName(item));
        std::string s = item.extract<std::string>();
        if (s.size() > max_length)
            throw invalidField(key + "[" + std::to_string(i) + "]",
                               "must be at most " + std::to_string(max_length) + " bytes long");
        out.push_back(s);
    }
    return out;
}

JsonObject storedObject(const std::string& text) {
    if (text.empty()) return jsonObject();
    auto v = parseJson(text);
    if (v.type() != typeid(Poco::JSON::Object::Ptr)) return jsonObject();
    return v.extract<Poco::JSON::Object::Ptr>();
}

JsonArray storedArray(const std::string& text) {
    if (text.empty()) return jsonArray();
    auto v = parseJson(text);
    if (v.type() != typeid(Poco::JSON::Array::Ptr)) return jsonArray();
    return v.extract<Poco::JSON::Array::Ptr>();
}

}  // namespace parley::core

// JSON bodies in and out: parsing with size and depth limits, typed field reads that name the bad field.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <optional>
#include <string>
#include <vector>

namespace parley::core {

using JsonObject = Poco::JSON::Object::Ptr;
using JsonArray = Poco::JSON::Array::Ptr;

// A new empty object that keeps keys in insertion order (readable responses).
JsonObject jsonObject();
JsonArray jsonArray();

// Parses `text` as a JSON object; throws ApiError 400 `invalid_json` (with the parser's reason) or
// `json_too_deep`, or 400 `invalid_body` when the top level is not an object.
JsonObject parseJsonObject(const std::string& text, size_t max_depth);

// Parses any JSON value (config files, stored JSON); throws std::runtime_error on malformed input.
Poco::Dynamic::Var parseJson(const std::string& text);

std::string toJson(const JsonObject& object);
std::string toJson(const JsonArray& array);
std::string toJson(const Poco::Dynamic::Var& value);
// Appends `s` as a JSON string literal (quoted, escaped; UTF-8 passes through) to `out`.
void appendJsonString(std::string& out, const std::string& s);

// Typed reads from a request body. Absent keys (and JSON null) give nullopt; a present key of the wrong
// type throws ApiError 422 `invalid_field` naming it. Strings are checked against `max_length` bytes.
std::optional<std::string> optString(const JsonObject& o, const std::string& key, size_t max_length = 1000);
std::string reqString(const JsonObject& o, const std::string& key, size_t max_length = 1000);
std::optional<long long> optInt(const JsonObject& o, const std::string& key, long long min, long long max);
std::optional<bool> optBool(const JsonObject& o, const std::string& key);
std::optional<JsonObject> optObject(const JsonObject& o, const std::string& key);
std::optional<std::vector<std::string>> optStringArray(const JsonObject& o, const std::string& key,
                                                       size_t max_items, size_t max_length);

// Reads a stored JSON text column back into an object or array (empty text gives an empty value).
JsonObject storedObject(const std::string& text);
JsonArray storedArray(const std::string& text);

}  // namespace parley::core

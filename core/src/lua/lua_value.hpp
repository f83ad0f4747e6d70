// JSON values (Poco) to Lua values and back, for event payloads, actions and parley.kv.
#pragma once

#include <Poco/Dynamic/Var.h>

#include <lua.hpp>
#include <string>

namespace parley::core {

constexpr int kLuaJsonMaxDepth = 32;

// Pushes `value`: objects become tables with string keys, arrays sequences (from 1), null nil. Nesting deeper
// than kLuaJsonMaxDepth is left out. Call with the sandbox's memory limit lifted: it allocates and must not
// fail.
void pushJsonValue(lua_State* L, const Poco::Dynamic::Var& value, int depth = 0);

// Converts the Lua value at `index` to JSON: nil gives null, a table with keys 1..n an array, a table with
// string keys (or an empty one) an object. Uses raw access only, so it never raises a Lua error (and C++
// objects are safe around it). Returns false with `error` naming the path ("'lead.tags[2]' is a function")
// when the value cannot become JSON, nests deeper than kLuaJsonMaxDepth, holds invalid UTF-8, or would exceed
// `max_bytes`.
bool luaToJson(lua_State* L, int index, Poco::Dynamic::Var& out, std::string& error, const std::string& path,
               size_t max_bytes);

// True when `text` is well-formed UTF-8.
bool isValidUtf8(const char* text, size_t length);

}  // namespace parley::core

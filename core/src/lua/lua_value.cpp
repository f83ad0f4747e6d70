// Conversions between Poco JSON values and Lua values, with depth and size limits and named error paths.
#include "lua/lua_value.hpp"

#include <cmath>
#include <vector>

#include "http/json.hpp"

namespace parley::core {

bool isValidUtf8(const char* text, size_t length) {
    const auto* s = reinterpret_cast<const unsigned char*>(text);
    size_t i = 0;
    while (i < length) {
        unsigned char c = s[i];
        size_t extra;
        unsigned int cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            extra = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            extra = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + extra >= length) return false;
        for (size_t k = 1; k <= extra; ++k) {
            if ((s[i + k] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
        static const unsigned int minimum[] = {0, 0x80, 0x800, 0x10000};
        if (cp < minimum[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += extra + 1;
    }
    return true;
}

void pushJsonValue(lua_State* L, const Poco::Dynamic::Var& value, int depth) {
    if (!lua_checkstack(L, 3) || depth > kLuaJsonMaxDepth) {
        lua_pushnil(L);
        return;
    }
    if (value.isEmpty()) {
        lua_pushnil(L);
    } else if (value.type() == typeid(Poco::JSON::Object::Ptr)) {
        const auto& object = value.extract<Poco::JSON::Object::Ptr>();
        lua_createtable(L, 0, object ? static_cast<int>(object->size()) : 0);
        if (object)
            for (const auto& [key, item] : *object) {
                if (item.isEmpty()) continue;
                lua_pushlstring(L, key.data(), key.size());
                pushJsonValue(L, item, depth + 1);
                lua_rawset(L, -3);
            }
    } else if (value.type() == typeid(Poco::JSON::Array::Ptr)) {
        const auto& array = value.extract<Poco::JSON::Array::Ptr>();
        lua_createtable(L, array ? static_cast<int>(array->size()) : 0, 0);
        if (array)
            for (unsigned i = 0; i < array->size(); ++i) {
                pushJsonValue(L, array->get(i), depth + 1);
                lua_rawseti(L, -2, static_cast<lua_Integer>(i) + 1);
            }
    } else if (value.isBoolean()) {
        lua_pushboolean(L, value.extract<bool>());
    } else if (value.isString()) {
        const std::string& text = value.extract<std::string>();
        lua_pushlstring(L, text.data(), text.size());
    } else if (value.isInteger()) {
        try {
            lua_pushinteger(L, value.convert<Poco::Int64>());
        } catch (const Poco::Exception&) {
            lua_pushnumber(L, value.convert<double>());
        }
    } else if (value.isNumeric()) {
        lua_pushnumber(L, value.convert<double>());
    } else {
        std::string text = value.convert<std::string>();
        lua_pushlstring(L, text.data(), text.size());
    }
}

namespace {

struct Converter {
    lua_State* L;
    size_t max_bytes;
    size_t bytes = 0;
    std::string error;

    bool fail(const std::string& path, const std::string& problem) {
        error = (path.empty() ? std::string("the value") : "'" + path + "'") + " " + problem;
        return false;
    }

    bool charge(const std::string& path, size_t n) {
        bytes += n;
        if (bytes > max_bytes)
            return fail(path, "makes the value larger than " + std::to_string(max_bytes) + " bytes");
        return true;
    }

    bool convert(int index, Poco::Dynamic::Var& out, const std::string& path, int depth) {
        index = lua_absindex(L, index);
        switch (lua_type(L, index)) {
            case LUA_TNIL:
                out = Poco::Dynamic::Var();
                return charge(path, 4);
            case LUA_TBOOLEAN:
                out = lua_toboolean(L, index) != 0;
                return charge(path, 5);
            case LUA_TNUMBER: {
                if (lua_isinteger(L, index)) {
                    out = static_cast<Poco::Int64>(lua_tointeger(L, index));
                } else {
                    double d = lua_tonumber(L, index);
                    if (!std::isfinite(d)) return fail(path, "is not a finite number");
                    out = d;
                }
                return charge(path, 8);
            }
            case LUA_TSTRING: {
                size_t len = 0;
                const char* s = lua_tolstring(L, index, &len);
                if (!isValidUtf8(s, len)) return fail(path, "is not valid UTF-8 text");
                out = std::string(s, len);
                return charge(path, len + 2);
            }
            case LUA_TTABLE:
                return convertTable(index, out, path, depth);
            default:
                return fail(path, std::string("is a ") + lua_typename(L, lua_type(L, index)) +
                                      ", which JSON cannot hold");
        }
    }

    bool convertTable(int index, Poco::Dynamic::Var& out, const std::string& path, int depth) {
        if (depth >= kLuaJsonMaxDepth)
            return fail(path, "nests deeper than " + std::to_string(kLuaJsonMaxDepth) + " levels");
        if (!lua_checkstack(L, 4)) return fail(path, "nests too deep");
        // Count the keys: 1..n integers make an array, strings an object, anything else is refused.
        size_t count = 0, strings = 0;
        lua_Integer max_index = 0;
        lua_pushnil(L);
        while (lua_next(L, index) != 0) {
            count++;
            if (lua_type(L, -2) == LUA_TSTRING)
                strings++;
            else if (lua_isinteger(L, -2) && lua_tointeger(L, -2) > 0)
                max_index = std::max(max_index, lua_tointeger(L, -2));
            lua_pop(L, 1);
        }
        if (count > 0 && strings == 0 && static_cast<size_t>(max_index) == count) {
            JsonArray array = jsonArray();
            for (lua_Integer i = 1; i <= max_index; ++i) {
                lua_rawgeti(L, index, i);
                Poco::Dynamic::Var item;
                bool ok = convert(-1, item, path + "[" + std::to_string(i) + "]", depth + 1);
                lua_pop(L, 1);
                if (!ok) return false;
                array->add(item);
            }
            out = array;
            return charge(path, 2);
        }
        if (strings != count)
            return fail(path, "mixes keys: a table becomes JSON as a sequence 1..n or with string keys only");
        JsonObject object = jsonObject();
        lua_pushnil(L);
        while (lua_next(L, index) != 0) {
            size_t len = 0;
            const char* key =
                lua_tolstring(L, -2, &len);  // a string already: no conversion confuses lua_next
            std::string name(key, len);
            std::string child = path.empty() ? name : path + "." + name;
            Poco::Dynamic::Var item;
            if (!isValidUtf8(key, len) || !charge(child, len + 4) || !convert(-1, item, child, depth + 1)) {
                if (error.empty()) fail(child, "has a key that is not valid UTF-8 text");
                lua_pop(L, 2);
                return false;
            }
            object->set(name, item);
            lua_pop(L, 1);
        }
        out = object;
        return charge(path, 2);
    }
};

}  // namespace

bool luaToJson(lua_State* L, int index, Poco::Dynamic::Var& out, std::string& error, const std::string& path,
               size_t max_bytes) {
    Converter c{L, max_bytes, 0, {}};
    if (c.convert(index, out, path, 0)) return true;
    error = c.error;
    return false;
}

}  // namespace parley::core

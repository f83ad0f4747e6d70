// parley.on, parley.log, parley.now, parley.import and parley.kv: the script's reach outside its state.
#include "lua/parley_api.hpp"

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

#include "http/json.hpp"
#include "lua/lua_value.hpp"

namespace parley::core {
namespace {

constexpr size_t kMaxRulesPerFile = 200;
constexpr size_t kMaxLogBytes = 4000;
constexpr size_t kMaxImportBytes = 1 << 20;
const char kImportsKey = 0;  // registry: name -> what the imported file returned

bool isEventName(const char* name) {
    if (std::strcmp(name, "*") == 0) return true;
    // noun.verb: lower-case words joined by dots, at least two.
    int words = 0;
    const char* p = name;
    for (;;) {
        if (!(*p >= 'a' && *p <= 'z')) return false;
        while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_') p++;
        words++;
        if (*p == '\0') return words >= 2;
        if (*p != '.') return false;
        p++;
    }
}

bool isImportName(const char* name) {
    if (std::strncmp(name, "lib/", 4) != 0) return false;
    const char* p = name + 4;
    bool segment_empty = true;
    for (; *p; ++p) {
        char c = *p;
        if (c == '/') {
            if (segment_empty) return false;
            segment_empty = true;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                   c == '-') {
            segment_empty = false;
        } else {
            return false;
        }
    }
    return !segment_empty;
}

int parleyOn(lua_State* L) {
    ScriptRuntime& rt = runtimeOf(L);
    const char* event = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    if (!rt.loading)
        return luaL_error(L, "parley.on is only allowed while the file loads (call it at the top level)");
    if (!isEventName(event))
        return luaL_error(
            L, "event name '%s' is not noun.verb in lower case (e.g. 'message.inbound'), or '*'", event);
    if (rt.rules.size() >= kMaxRulesPerFile)
        return luaL_error(L, "a file may register at most %d rules", static_cast<int>(kMaxRulesPerFile));
    lua_Integer priority = 100;
    HookKind kind = HookKind::filter;
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        lua_pushnil(L);
        while (lua_next(L, 3) != 0) {
            const char* key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
            if (std::strcmp(key, "priority") == 0) {
                if (!lua_isinteger(L, -1)) return luaL_error(L, "parley.on: priority must be an integer");
                priority = lua_tointeger(L, -1);
                if (priority < -1000000 || priority > 1000000)
                    return luaL_error(L, "parley.on: priority must be between -1000000 and 1000000");
            } else if (std::strcmp(key, "kind") == 0) {
                const char* k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
                if (std::strcmp(k, "filter") == 0)
                    kind = HookKind::filter;
                else if (std::strcmp(k, "notification") == 0)
                    kind = HookKind::notification;
                else
                    return luaL_error(L, "parley.on: kind must be \"filter\" or \"notification\"");
            } else {
                return luaL_error(L, "parley.on: unknown option '%s' (options: priority, kind)", key);
            }
            lua_pop(L, 1);
        }
    }
    lua_Debug ar;
    int line = lua_getstack(L, 1, &ar) && lua_getinfo(L, "l", &ar) ? ar.currentline : 0;
    lua_pushvalue(L, 2);
    int ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return cppSection(L, [&](std::string&) {
        rt.rules.push_back({event, static_cast<int>(priority), kind, line, ref});
        return 0;
    });
}

int parleyLog(lua_State* L) {
    const char* level = luaL_checkstring(L, 1);
    size_t len = 0;
    const char* text = luaL_checklstring(L, 2, &len);
    static const char* levels[] = {"debug", "info", "warning", "error"};
    bool known = false;
    for (const char* l : levels) known = known || std::strcmp(l, level) == 0;
    if (!known)
        return luaL_error(L, "parley.log: level must be debug, info, warning or error (got '%s')", level);
    LuaSandbox& sandbox = LuaSandbox::of(L);
    return cppSection(L, [&](std::string&) {
        sandbox.log(level, std::string(text, len < kMaxLogBytes ? len : kMaxLogBytes));
        return 0;
    });
}

int parleyNow(lua_State* L) {
    lua_pushnumber(L, runtimeOf(L).now());
    return 1;
}

// parley.import("lib/name"): runs scripts/lib/name.lua once per state and returns what it returned.
int parleyImport(lua_State* L) {
    ScriptRuntime& rt = runtimeOf(L);
    const char* name = luaL_checkstring(L, 1);
    if (!isImportName(name))
        return luaL_error(
            L,
            "parley.import: '%s' is not a helper name like \"lib/text\" (letters, digits, _ and - "
            "in folders under lib/)",
            name);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &kImportsKey);
    int cache = lua_gettop(L);
    lua_getfield(L, cache, name);
    if (lua_type(L, -1) == LUA_TLIGHTUSERDATA)
        return luaL_error(L, "parley.import: '%s' imports itself (a cycle)", name);
    if (!lua_isnil(L, -1)) return 1;
    lua_pop(L, 1);
    cppSection(L, [&](std::string& error) {
        std::string path = rt.services.scripts_dir + "/" + name + ".lua";
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            error = std::string("parley.import: cannot read '") + name + ".lua' in the scripts folder '" +
                    rt.services.scripts_dir + "'";
            return 0;
        }
        std::ostringstream text;
        text << in.rdbuf();
        std::string code = text.str();
        if (code.size() > kMaxImportBytes) {
            error = std::string("parley.import: '") + name + ".lua' is larger than 1 MiB";
            return 0;
        }
        pushProtected(L, [&](lua_State* state) { lua_pushlstring(state, code.data(), code.size()); });
        return 1;
    });
    lua_pushlightuserdata(L, const_cast<char*>(&kImportsKey));  // "loading": a cycle finds this
    lua_setfield(L, cache, name);
    lua_pushfstring(L, "@%s.lua", name);  // the chunk name, a Lua string: nothing here may need a destructor
    size_t len = 0;
    const char* code = lua_tolstring(L, -2, &len);
    if (luaL_loadbufferx(L, code, len, lua_tostring(L, -1), "t") != LUA_OK ||
        lua_pcall(L, 0, 1, 0) != LUA_OK) {
        lua_pushnil(L);
        lua_setfield(L, cache, name);  // a later import tries again
        return lua_error(L);
    }
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, cache, name);
    return 1;
}

KvStore& kvOf(lua_State* L, ScriptRuntime& rt) {
    if (!rt.services.kv) luaL_error(L, "parley.kv is not available here");
    return *rt.services.kv;
}

int kvGet(lua_State* L) {
    ScriptRuntime& rt = runtimeOf(L);
    const char* key = luaL_checkstring(L, 1);
    KvStore& kv = kvOf(L, rt);
    return cppSection(L, [&](std::string&) {
        auto text = kv.get(rt.owner, key);
        if (!text) {
            lua_pushnil(L);
            return 1;
        }
        // Poco's parser wants an object or array at the top, and a stored value may be a bare 42 or "text".
        Poco::Dynamic::Var wrapped = parseJson("[" + *text + "]");
        Poco::Dynamic::Var value = wrapped.extract<Poco::JSON::Array::Ptr>()->get(0);
        pushProtected(L, [&](lua_State* state) { pushJsonValue(state, value); });
        return 1;
    });
}

int kvSet(lua_State* L) {
    ScriptRuntime& rt = runtimeOf(L);
    const char* key = luaL_checkstring(L, 1);
    luaL_checkany(L, 2);
    KvStore& kv = kvOf(L, rt);
    return cppSection(L, [&](std::string& error) {
        if (lua_isnil(L, 2)) {
            kv.remove(rt.owner, key);
            return 0;
        }
        Poco::Dynamic::Var value;
        if (!luaToJson(L, 2, value, error, "", kKvMaxValueBytes)) {
            error = "parley.kv.set: " + error;
            return 0;
        }
        kv.set(rt.owner, key, toJson(value));
        return 0;
    });
}

int kvDelete(lua_State* L) {
    ScriptRuntime& rt = runtimeOf(L);
    const char* key = luaL_checkstring(L, 1);
    KvStore& kv = kvOf(L, rt);
    return cppSection(L, [&](std::string&) {
        kv.remove(rt.owner, key);
        return 0;
    });
}

// Sets functions with the runtime as upvalue 1 into the table at the top of the stack.
void setFunctions(lua_State* L, ScriptRuntime& rt, const luaL_Reg* functions) {
    lua_pushlightuserdata(L, &rt);
    luaL_setfuncs(L, functions, 1);
}

}  // namespace

double ScriptRuntime::now() const {
    if (services.clock) return services.clock();
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count() / 1e6;
}

void installParleyApi(lua_State* L, ScriptRuntime& rt) {
    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &kImportsKey);

    lua_newtable(L);
    int parley = lua_gettop(L);
    const luaL_Reg functions[] = {{"on", parleyOn},
                                  {"log", parleyLog},
                                  {"now", parleyNow},
                                  {"import", parleyImport},
                                  {nullptr, nullptr}};
    setFunctions(L, rt, functions);

    lua_newtable(L);
    const luaL_Reg kv[] = {{"get", kvGet}, {"set", kvSet}, {"delete", kvDelete}, {nullptr, nullptr}};
    setFunctions(L, rt, kv);
    pushReadOnlyProxy(L, "parley.kv");
    lua_setfield(L, parley, "kv");

    installTimeAndText(L, parley, rt);
    installPluginExports(L, parley, rt);
    installHttp(L, parley, rt);
    installContextMethods(L, rt);

    pushReadOnlyProxy(L, "parley");
    lua_setglobal(L, "parley");
}

}  // namespace parley::core

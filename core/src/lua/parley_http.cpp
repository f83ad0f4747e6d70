// parley.http.request{...}: outgoing HTTP for rules through the host's guarded client (no private targets unless
// the operator allows them), with the wait credited back to the rule's wall-clock budget.
#include "lua/parley_api.hpp"
#include "lua/lua_value.hpp"

#include <chrono>

namespace parley::core {
namespace {

constexpr int kMaxTimeoutMs = 10'000;  // a rule blocks its worker while it waits
constexpr size_t kMaxResponseBytes = 256 * 1024;

// Raw reads only: a metamethod on the argument table must not run (or raise) here.
void rawField(lua_State* L, int table, const char* name) {
    lua_pushstring(L, name);
    lua_rawget(L, table);
}

std::string field(lua_State* L, int table, const char* name, const char* fallback) {
    rawField(L, table, name);
    std::string value = lua_isstring(L, -1) ? lua_tostring(L, -1) : fallback;
    lua_pop(L, 1);
    return value;
}

int request(lua_State* L) {
    ScriptRuntime& rt = runtimeOf(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    if (!rt.services.http) return luaL_error(L, "parley.http is not available here (offline test run?)");
    OutboundRequest req;
    req.method = field(L, 1, "method", "GET");
    req.url = field(L, 1, "url", "");
    req.body = field(L, 1, "body", "");
    rawField(L, 1, "timeout_ms");
    req.timeout_ms = lua_isinteger(L, -1) ? static_cast<int>(lua_tointeger(L, -1)) : 5000;
    lua_pop(L, 1);
    req.timeout_ms = std::clamp(req.timeout_ms, 100, kMaxTimeoutMs);
    rawField(L, 1, "retries");
    req.retries = lua_isinteger(L, -1) ? static_cast<int>(lua_tointeger(L, -1)) : 0;
    lua_pop(L, 1);
    req.max_response_bytes = kMaxResponseBytes;
    rawField(L, 1, "headers");
    if (lua_istable(L, -1)) {
        lua_pushnil(L);
        while (lua_next(L, -2) != 0) {
            if (lua_type(L, -2) == LUA_TSTRING && lua_isstring(L, -1))
                req.headers.emplace_back(lua_tostring(L, -2), lua_tostring(L, -1));
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    return cppSection(L, [&](std::string& error) {
        auto started = std::chrono::steady_clock::now();
        OutboundResponse resp;
        try {
            resp = rt.services.http(req);
        } catch (const std::exception& e) {
            LuaSandbox::creditTime(L, std::chrono::steady_clock::now() - started);
            error = std::string("parley.http.request: ") + e.what();
            return 0;
        }
        LuaSandbox::creditTime(L, std::chrono::steady_clock::now() - started);
        pushProtected(L, [&](lua_State* state) {
            lua_createtable(state, 0, 3);
            lua_pushinteger(state, resp.status);
            lua_setfield(state, -2, "status");
            lua_pushlstring(state, resp.body.data(), resp.body.size());
            lua_setfield(state, -2, "body");
            lua_createtable(state, 0, static_cast<int>(resp.headers.size()));
            for (const auto& [k, v] : resp.headers) {
                lua_pushlstring(state, v.data(), v.size());
                lua_setfield(state, -2, k.c_str());
            }
            lua_setfield(state, -2, "headers");
        });
        return 1;
    });
}

}  // namespace

void installHttp(lua_State* L, int parley, ScriptRuntime& rt) {
    lua_newtable(L);
    lua_pushlightuserdata(L, &rt);
    lua_pushcclosure(L, request, 1);
    lua_setfield(L, -2, "request");
    pushReadOnlyProxy(L, "parley.http");
    lua_setfield(L, parley, "http");
}

}  // namespace parley::core

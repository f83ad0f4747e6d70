// The `parley` table a script sees and the ctx a rule receives, bound to one script file's runtime.
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <lua.hpp>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "lua/sandbox.hpp"
#include "plugin/hooks.hpp"
#include "net/outbound_http.hpp"
#include "plugin/lua_exports.hpp"
#include "store/kv_repository.hpp"

namespace parley::core {

// What a script reaches outside its state.
struct ScriptServices {
    KvStore* kv = nullptr;          // parley.kv; nullptr makes parley.kv raise "not available"
    std::function<double()> clock;  // parley.now(), seconds since the epoch; empty means the system clock
    std::function<void(const std::string& level, const std::string& message)> log;  // parley.log and print
    std::string scripts_dir;  // parley.import("lib/x") reads <scripts_dir>/lib/x.lua
    std::shared_ptr<const std::vector<LuaExport>> exports;  // plugin functions: parley.<namespace>.<name>
    // parley.http.request: the host's guarded client; empty makes it raise "not available here".
    std::function<OutboundResponse(const OutboundRequest&)> http;
};

// A rule as parley.on registered it.
struct RuleSpec {
    std::string event;
    int priority = 100;
    HookKind kind = HookKind::filter;
    int line = 0;                  // where parley.on was called
    int function_ref = LUA_NOREF;  // the handler, kept in the registry
};

// One script file's side of the API, owned by its LuaScript: what parley.* and ctx:* read and write.
struct ScriptRuntime {
    std::string name;   // "bot/greeting.lua"
    std::string owner;  // "lua:bot/greeting.lua"
    ScriptServices services;
    bool loading = false;  // parley.on is allowed only while the file's top level runs
    std::vector<RuleSpec> rules;
    // The call in progress: ctx methods check their ctx belongs to it and add to its outcome.
    HookOutcome* outcome = nullptr;
    HookKind current_kind = HookKind::filter;
    long long call_serial = 0;

    double now() const;
};

// Sets the read-only global `parley` in L. `runtime` must outlive the state. Call inside LuaSandbox::call.
void installParleyApi(lua_State* L, ScriptRuntime& runtime);

// Calls the rule's function with a ctx built from the event's payload; ctx methods add actions to
// runtime.outcome. Call inside LuaSandbox::call (rule errors are raised as Lua errors).
void callRule(lua_State* L, ScriptRuntime& runtime, const RuleSpec& rule, const Event& event);

// Adds parley.http.request (parley_http.cpp).
void installHttp(lua_State* L, int parley, ScriptRuntime& runtime);

// Adds a read-only table per plugin namespace with its functions to the table at `parley` (parley_exports.cpp).
void installPluginExports(lua_State* L, int parley, ScriptRuntime& runtime);

// Builds ctx's metatable and methods once per state (called by installParleyApi).
void installContextMethods(lua_State* L, ScriptRuntime& runtime);

// Adds parley.time and parley.text to the table at `parley` (called by installParleyApi).
void installTimeAndText(lua_State* L, int parley, ScriptRuntime& runtime);

// The runtime of a C function registered with it as upvalue 1.
inline ScriptRuntime& runtimeOf(lua_State* L) {
    return *static_cast<ScriptRuntime*>(lua_touserdata(L, lua_upvalueindex(1)));
}

// Runs C++ code from a C function: `fn(error)` returns its result count and reports a problem by filling
// `error` or throwing. fn must not call Lua functions that raise: results are pushed through pushProtected.
// The error is raised only once fn's C++ objects are gone, because Lua errors longjmp over C++ destructors.
template <typename Fn>
int cppSection(lua_State* L, Fn&& fn) {
    char message[512];
    bool failed = false;
    int results = 0;
    {
        std::string error;
        try {
            results = fn(error);
        } catch (const std::exception& e) {
            error = e.what();
        } catch (...) {
            error = "unknown error";
        }
        if (!error.empty()) {
            std::snprintf(message, sizeof message, "%s", error.c_str());
            failed = true;
        }
    }
    if (failed) return luaL_error(L, "%s", message);
    return results;
}

// Runs `push(L)`, Lua API calls that may fail (pushing results can hit the memory limit), inside lua_pcall,
// so such an error unwinds only to here and C++ objects around the call stay intact; leaves what push pushed,
// or throws std::runtime_error with Lua's message. push must not throw.
template <typename Fn>
void pushProtected(lua_State* L, Fn&& push) {
    using F = std::remove_reference_t<Fn>;
    lua_CFunction trampoline = [](lua_State* state) -> int {
        F* f = static_cast<F*>(lua_touserdata(state, 1));
        lua_pop(state, 1);
        int before = lua_gettop(state);
        (*f)(state);
        return lua_gettop(state) - before;
    };
    int base = lua_gettop(L);
    lua_pushcfunction(L, trampoline);
    lua_pushlightuserdata(L, &push);
    if (lua_pcall(L, 1, LUA_MULTRET, 0) != LUA_OK) {
        const char* text = lua_tostring(L, -1);
        std::string message = text ? text : "error while pushing a result";
        lua_settop(L, base);
        throw std::runtime_error(message);
    }
}

}  // namespace parley::core

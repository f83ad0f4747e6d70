// parley.<namespace>.<name>: the functions plugins expose to Lua rules (parley.kb.search and the like).
#include "lua/parley_api.hpp"
#include "lua/lua_value.hpp"
#include "plugin/lua_exports.hpp"

#include <Poco/JSON/Array.h>

#include <map>

namespace parley::core {
namespace {

constexpr size_t kMaxArgumentBytes = 64 * 1024;

// Upvalue 1: the runtime (as every parley function); upvalue 2: the LuaExport, owned by the services.
int callExport(lua_State* L) {
    ScriptRuntime& rt = runtimeOf(L);
    (void)rt;
    const auto* target = static_cast<const LuaExport*>(lua_touserdata(L, lua_upvalueindex(2)));
    int argc = lua_gettop(L);
    return cppSection(L, [&](std::string& error) {
        Poco::JSON::Array::Ptr args = new Poco::JSON::Array;
        for (int i = 1; i <= argc; ++i) {
            Poco::Dynamic::Var value;
            if (!luaToJson(L, i, value, error, "argument " + std::to_string(i), kMaxArgumentBytes)) {
                error = "parley." + target->ns + "." + target->name + ": " + error;
                return 0;
            }
            args->add(value);
        }
        std::string result;
        try {
            result = target->fn(toJson(args));
        } catch (const std::exception& e) {
            error = "parley." + target->ns + "." + target->name + " (plugin " + target->owner + "): " + e.what();
            return 0;
        }
        Poco::Dynamic::Var wrapped = parseJson("[" + result + "]");
        Poco::Dynamic::Var value = wrapped.extract<Poco::JSON::Array::Ptr>()->get(0);
        pushProtected(L, [&](lua_State* state) { pushJsonValue(state, value); });
        return 1;
    });
}

}  // namespace

void installPluginExports(lua_State* L, int parley, ScriptRuntime& rt) {
    if (!rt.services.exports) return;
    std::map<std::string, std::vector<const LuaExport*>> by_namespace;
    for (const auto& e : *rt.services.exports) by_namespace[e.ns].push_back(&e);
    for (const auto& [ns, functions] : by_namespace) {
        lua_newtable(L);
        for (const LuaExport* e : functions) {
            lua_pushlightuserdata(L, &rt);
            lua_pushlightuserdata(L, const_cast<LuaExport*>(e));
            lua_pushcclosure(L, callExport, 2);
            lua_setfield(L, -2, e->name.c_str());
        }
        pushReadOnlyProxy(L, ("parley." + ns).c_str());
        lua_setfield(L, parley, ns.c_str());
    }
}

}  // namespace parley::core

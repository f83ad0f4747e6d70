// The ctx a rule receives: the event payload as tables, and methods that turn into actions on the outcome.
#include <cstring>

#include "http/json.hpp"
#include "lua/lua_value.hpp"
#include "lua/parley_api.hpp"

namespace parley::core {
namespace {

const char kCallKey = 0;      // ctx[&kCallKey] = the serial of the call the ctx was made for
const char kContextMeta = 0;  // registry: ctx's metatable

constexpr size_t kMaxReplyBytes = 4096;
constexpr size_t kMaxQuickReplies = 10;
constexpr size_t kMaxQuickReplyBytes = 100;
constexpr size_t kMaxReasonBytes = 500;
constexpr size_t kMaxKeyBytes = 100;
constexpr size_t kMaxValueBytes = 16 * 1024;

// Raises unless argument 1 is the ctx of the call in progress.
void checkContext(lua_State* L, const char* method) {
    ScriptRuntime& rt = runtimeOf(L);
    if (lua_type(L, 1) != LUA_TTABLE)
        luaL_error(L, "ctx:%s needs the ctx: call it with a colon, ctx:%s(...)", method, method);
    lua_rawgetp(L, 1, &kCallKey);
    bool current = lua_isinteger(L, -1) && lua_tointeger(L, -1) == rt.call_serial && rt.outcome;
    lua_pop(L, 1);
    if (!current)
        luaL_error(L, "ctx:%s on a ctx whose event is over (a ctx is valid only during its call)", method);
}

// An optional text argument: nil gives `fallback`; otherwise a string of valid UTF-8 within `max` bytes.
const char* optText(lua_State* L, int arg, const char* what, size_t max, const char* fallback) {
    if (lua_isnoneornil(L, arg)) return fallback;
    size_t len = 0;
    const char* text = luaL_checklstring(L, arg, &len);
    if (len > max)
        luaL_error(L, "%s is %d bytes long; the limit is %d", what, static_cast<int>(len),
                   static_cast<int>(max));
    if (!isValidUtf8(text, len)) luaL_error(L, "%s is not valid UTF-8 text", what);
    return text;
}

JsonObject newAction(const char* type) {
    JsonObject action = jsonObject();
    action->set("type", std::string(type));
    return action;
}

void addAction(ScriptRuntime& rt, JsonObject action) {
    action->set("origin", rt.owner);
    rt.outcome->actions.push_back(std::move(action));
}

// ctx:reply(text, {quick_replies = {"Yes", "No"}})
int ctxReply(lua_State* L) {
    checkContext(L, "reply");
    ScriptRuntime& rt = runtimeOf(L);
    const char* text = optText(L, 2, "reply text", kMaxReplyBytes, nullptr);
    if (!text || !*text) return luaL_error(L, "ctx:reply needs a non-empty text");
    int quick = 0;
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        lua_pushnil(L);
        while (lua_next(L, 3) != 0) {
            if (lua_type(L, -2) != LUA_TSTRING || std::strcmp(lua_tostring(L, -2), "quick_replies") != 0)
                return luaL_error(L, "ctx:reply: unknown option '%s' (options: quick_replies)",
                                  lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?");
            lua_pop(L, 1);
        }
        if (lua_getfield(L, 3, "quick_replies") != LUA_TNIL) {
            luaL_checktype(L, -1, LUA_TTABLE);
            quick = lua_gettop(L);
            lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, quick));
            if (n > static_cast<lua_Integer>(kMaxQuickReplies))
                return luaL_error(L, "ctx:reply: at most %d quick replies",
                                  static_cast<int>(kMaxQuickReplies));
            for (lua_Integer i = 1; i <= n; ++i) {
                lua_rawgeti(L, quick, i);
                size_t len = 0;
                const char* label = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : nullptr;
                if (!label || len == 0 || len > kMaxQuickReplyBytes || !isValidUtf8(label, len))
                    return luaL_error(
                        L, "ctx:reply: quick reply %d must be a non-empty text of at most %d bytes",
                        static_cast<int>(i), static_cast<int>(kMaxQuickReplyBytes));
                lua_pop(L, 1);
            }
        }
    }
    return cppSection(L, [&](std::string&) {
        JsonObject action = newAction("reply");
        action->set("text", std::string(text));
        JsonArray buttons = jsonArray();
        if (quick)
            for (lua_Integer i = 1; i <= static_cast<lua_Integer>(lua_rawlen(L, quick)); ++i) {
                lua_rawgeti(L, quick, i);
                buttons->add(std::string(lua_tostring(L, -1)));
                lua_pop(L, 1);
            }
        action->set("quick_replies", buttons);
        addAction(rt, action);
        return 0;
    });
}

int addReasonAction(lua_State* L, const char* type, bool required) {
    ScriptRuntime& rt = runtimeOf(L);
    const char* reason = optText(L, 2, "reason", kMaxReasonBytes, required ? nullptr : "");
    if (!reason || (required && !*reason)) return luaL_error(L, "ctx:%s needs a reason", type);
    return cppSection(L, [&](std::string&) {
        JsonObject action = newAction(type);
        action->set("reason", std::string(reason));
        addAction(rt, action);
        return 0;
    });
}

int ctxFlag(lua_State* L) {
    checkContext(L, "flag");
    return addReasonAction(L, "flag", true);
}

int ctxHandoff(lua_State* L) {
    checkContext(L, "handoff");
    return addReasonAction(L, "handoff", false);
}

// ctx:drop(reason): the filter's verdict is reject; nothing is stored and the client hears the reason.
int ctxDrop(lua_State* L) {
    checkContext(L, "drop");
    ScriptRuntime& rt = runtimeOf(L);
    if (rt.current_kind != HookKind::filter)
        return luaL_error(L,
                          "ctx:drop is for filter rules; this rule is a notification (it can only observe)");
    const char* reason = optText(L, 2, "reason", kMaxReasonBytes, "");
    return cppSection(L, [&](std::string&) {
        rt.outcome->verdict = HookOutcome::reject;
        rt.outcome->reason = *reason ? std::string(reason) : "dropped by " + rt.owner;
        return 0;
    });
}

// ctx:capture_lead({name = ..., email = ..., ...})
int ctxCaptureLead(lua_State* L) {
    checkContext(L, "capture_lead");
    ScriptRuntime& rt = runtimeOf(L);
    if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TTABLE);
    return cppSection(L, [&](std::string& error) {
        Poco::Dynamic::Var fields = JsonObject(jsonObject());
        if (!lua_isnoneornil(L, 2)) {
            if (!luaToJson(L, 2, fields, error, "lead", kMaxValueBytes)) return 0;
            if (fields.type() != typeid(Poco::JSON::Object::Ptr)) {
                error =
                    "ctx:capture_lead needs a table of named fields ({email = ..., name = ...}), not a list";
                return 0;
            }
        }
        JsonObject action = newAction("capture_lead");
        action->set("fields", fields);
        addAction(rt, action);
        return 0;
    });
}

// ctx:set(key, value): a conversation attribute; also visible at once in ctx.conversation.attributes.
int ctxSet(lua_State* L) {
    checkContext(L, "set");
    ScriptRuntime& rt = runtimeOf(L);
    size_t len = 0;
    const char* key = luaL_checklstring(L, 2, &len);
    if (len == 0 || len > kMaxKeyBytes || !isValidUtf8(key, len))
        return luaL_error(L, "ctx:set: key must be a non-empty text of at most %d bytes",
                          static_cast<int>(kMaxKeyBytes));
    lua_settop(L, 3);
    if (lua_getfield(L, 1, "conversation") == LUA_TTABLE) {
        if (lua_getfield(L, -1, "attributes") != LUA_TTABLE) {
            lua_pop(L, 1);
            lua_newtable(L);
            lua_pushvalue(L, -1);
            lua_setfield(L, -3, "attributes");
        }
        lua_pushvalue(L, 2);
        lua_pushvalue(L, 3);
        lua_rawset(L, -3);
    }
    lua_settop(L, 3);
    return cppSection(L, [&](std::string& error) {
        Poco::Dynamic::Var value;
        if (!luaToJson(L, 3, value, error, std::string(key, len), kMaxValueBytes)) return 0;
        JsonObject action = newAction("set");
        action->set("key", std::string(key, len));
        action->set("value", value);
        addAction(rt, action);
        return 0;
    });
}

}  // namespace

void installContextMethods(lua_State* L, ScriptRuntime& rt) {
    lua_createtable(L, 0, 3);  // the metatable
    lua_createtable(L, 0, 6);  // the methods
    const luaL_Reg methods[] = {{"reply", ctxReply},
                                {"flag", ctxFlag},
                                {"drop", ctxDrop},
                                {"handoff", ctxHandoff},
                                {"capture_lead", ctxCaptureLead},
                                {"set", ctxSet},
                                {nullptr, nullptr}};
    lua_pushlightuserdata(L, &rt);
    luaL_setfuncs(L, methods, 1);
    pushReadOnlyProxy(L, "ctx methods");
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &kContextMeta);
}

void callRule(lua_State* L, ScriptRuntime& rt, const RuleSpec& rule, const Event& event) {
    LuaSandbox& sandbox = LuaSandbox::of(L);
    // The payload is the host's data: building it must not fail on the script's memory limit.
    sandbox.setMemoryLimited(false);
    lua_rawgeti(L, LUA_REGISTRYINDEX, rule.function_ref);
    lua_createtable(L, 0, event.payload ? static_cast<int>(event.payload->size()) + 1 : 1);
    if (event.payload)
        for (const auto& [key, value] : *event.payload) {
            lua_pushlstring(L, key.data(), key.size());
            pushJsonValue(L, value, 1);
            lua_rawset(L, -3);
        }
    lua_pushstring(L, event.name.c_str());
    lua_setfield(L, -2, "event");
    lua_pushinteger(L, rt.call_serial);
    lua_rawsetp(L, -2, &kCallKey);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &kContextMeta);
    lua_setmetatable(L, -2);
    sandbox.setMemoryLimited(true);
    lua_call(L, 1, 0);
}

}  // namespace parley::core

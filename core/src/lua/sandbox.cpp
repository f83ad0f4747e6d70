// The sandbox: a counting allocator, an instruction hook with a deadline, and trimmed, read-only libraries.
#include "lua/sandbox.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "lua/lua_pattern.hpp"

namespace parley::core {
namespace {

// The hook runs every kHookEvery instructions; once a limit is hit it runs on every instruction, so the error
// it raises lands in the caller's frame right after any pcall that caught it.
constexpr int kHookEvery = 1000;

// A key only C code can form: it marks the metatables of read-only library tables.
const char kReadOnlyKey = 0;

int readOnlyNewIndex(lua_State* L) {
    return luaL_error(L, "attempt to modify read-only table '%s'", lua_tostring(L, lua_upvalueindex(1)));
}

bool isReadOnly(lua_State* L, int index) {
    if (!lua_getmetatable(L, index)) return false;
    bool marked = lua_rawgetp(L, -1, &kReadOnlyKey) != LUA_TNIL;
    lua_pop(L, 2);
    return marked;
}

// rawset that refuses the library proxies (a raw field on a proxy would shadow the real function).
int safeRawset(lua_State* L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    luaL_checkany(L, 3);
    if (isReadOnly(L, 1)) return luaL_error(L, "attempt to modify a read-only table with rawset");
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 1;
}

// setmetatable without __gc: a finalizer could run outside any call's budget (between calls, at close).
int safeSetmetatable(lua_State* L) {
    int type = lua_type(L, 2);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argexpected(L, type == LUA_TNIL || type == LUA_TTABLE, 2, "nil or table");
    if (type == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        bool has_gc = lua_rawget(L, 2) != LUA_TNIL;
        lua_pop(L, 1);
        if (has_gc) return luaL_error(L, "__gc metamethods are not allowed in the sandbox");
    }
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
        return luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

// load restricted to text chunks; a reader function's pieces are joined (within the string cap) first.
int safeLoad(lua_State* L) {
    size_t max = LuaSandbox::of(L).limits().max_string_bytes;
    int env = !lua_isnone(L, 4) ? 4 : 0;
    bool from_reader = lua_type(L, 1) != LUA_TSTRING;
    if (from_reader) {
        luaL_checktype(L, 1, LUA_TFUNCTION);
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        size_t total = 0;
        for (;;) {
            lua_pushvalue(L, 1);
            lua_call(L, 0, 1);
            if (lua_isnil(L, -1)) {
                lua_pop(L, 1);
                break;
            }
            if (lua_type(L, -1) != LUA_TSTRING) return luaL_error(L, "reader function must return a string");
            size_t len = lua_rawlen(L, -1);
            if (len == 0) {
                lua_pop(L, 1);
                break;
            }
            total += len;
            if (total > max) return luaL_error(L, "chunk is larger than %d bytes", static_cast<int>(max));
            luaL_addvalue(&b);
        }
        luaL_pushresult(&b);
        lua_replace(L, 1);
    }
    size_t len = 0;
    const char* code = lua_tolstring(L, 1, &len);
    const char* chunkname = luaL_optstring(L, 2, from_reader ? "=(load)" : code);
    if (luaL_loadbufferx(L, code, len, chunkname, "t") != LUA_OK) {
        luaL_pushfail(L);
        lua_insert(L, -2);
        return 2;  // nil, message: as the standard load does
    }
    if (env) {
        lua_pushvalue(L, env);
        if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
    }
    return 1;
}

int safePrint(lua_State* L) {
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; ++i) {
        if (i > 1) luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, nullptr);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    size_t len = 0;
    const char* text = lua_tolstring(L, -1, &len);
    LuaSandbox::of(L).log("info", std::string(text, len < 4000 ? len : 4000));
    return 0;
}

// string.rep that refuses to build more than max_string_bytes; the original is upvalue 1.
int cappedRep(lua_State* L) {
    size_t len = 0, sep = 0;
    luaL_checklstring(L, 1, &len);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &sep);
    size_t max = LuaSandbox::of(L).limits().max_string_bytes;
    // n*len + (n-1)*sep <= max  <=>  n <= (max + sep) / (len + sep)
    if (n > 0 && len + sep > 0 && static_cast<unsigned long long>(n) > (max + sep) / (len + sep))
        return luaL_error(L, "string.rep would build more than %d bytes (the sandbox's limit)",
                          static_cast<int>(max));
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

// table.concat that adds up the result's size before building it; the original is upvalue 1.
int cappedConcat(lua_State* L) {
    size_t sep = 0;
    luaL_optlstring(L, 2, "", &sep);
    lua_Integer first = luaL_optinteger(L, 3, 1);
    lua_Integer last = lua_isnoneornil(L, 4) ? luaL_len(L, 1) : luaL_checkinteger(L, 4);
    size_t max = LuaSandbox::of(L).limits().max_string_bytes, total = 0;
    for (lua_Integer i = first; i <= last; ++i) {
        int type = lua_geti(L, 1, i);
        size_t len = 0;
        if (type == LUA_TSTRING)
            len = lua_rawlen(L, -1);
        else if (type == LUA_TNUMBER)
            len = 24;  // the longest "%.14g" or integer text
        lua_pop(L, 1);
        if (type != LUA_TSTRING && type != LUA_TNUMBER) break;  // the original reports the bad value
        total += len + (i < last ? sep : 0);
        if (total > max)
            return luaL_error(L, "table.concat would build more than %d bytes (the sandbox's limit)",
                              static_cast<int>(max));
        if ((i & 1023) == 0) LuaSandbox::chargeSteps(L, 1024);
        if (i == last) break;  // no overflow when last is math.maxinteger
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

// Replaces the table at the top of the stack with an empty proxy whose metatable reads through to it and
// refuses writes; `__metatable = false` hides that metatable (and so the real table) from scripts.
void makeReadOnly(lua_State* L, const char* name) {
    lua_newtable(L);           // proxy
    lua_createtable(L, 0, 4);  // metatable
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "__index");
    lua_pushstring(L, name);
    lua_pushcclosure(L, readOnlyNewIndex, 1);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pushboolean(L, 1);
    lua_rawsetp(L, -2, &kReadOnlyKey);
    lua_setmetatable(L, -2);
    lua_replace(L, -2);
}

void wrapField(lua_State* L, const char* field, lua_CFunction wrapper) {
    lua_getfield(L, -1, field);
    lua_pushcclosure(L, wrapper, 1);
    lua_setfield(L, -2, field);
}

struct Thunk {
    void (*fn)(lua_State*, void*);
    void* data;
};

// Runs the host's function inside the pcall; a C++ exception becomes a Lua error here, because exceptions
// must not unwind through Lua's C frames.
int trampoline(lua_State* L) {
    auto* thunk = static_cast<Thunk*>(lua_touserdata(L, 1));
    lua_pop(L, 1);
    char message[512];
    bool failed = false;
    try {
        thunk->fn(L, thunk->data);
    } catch (const std::exception& e) {
        std::snprintf(message, sizeof message, "%s", e.what());
        failed = true;
    } catch (...) {
        std::snprintf(message, sizeof message, "unknown C++ exception");
        failed = true;
    }
    if (failed) {
        lua_pushstring(L, message);
        return lua_error(L);
    }
    return 0;
}

// "name:12: ..." at the start of a message: the location is already there.
bool hasLocation(const char* msg) {
    const char* colon = std::strchr(msg, ':');
    if (!colon || colon == msg) return false;
    const char* p = colon + 1;
    if (*p < '0' || *p > '9') return false;
    while (*p >= '0' && *p <= '9') ++p;
    return *p == ':';
}

}  // namespace

const char* luaFailureName(LuaFailure failure) {
    switch (failure) {
        case LuaFailure::none:
            return "none";
        case LuaFailure::error:
            return "error";
        case LuaFailure::memory:
            return "memory";
        case LuaFailure::instructions:
            return "instructions";
        case LuaFailure::time:
            return "time";
    }
    return "error";
}

LuaSandbox::LuaSandbox(const LuaLimits& limits, std::string name, LogFn log)
    : limits_(limits), name_(std::move(name)), log_(std::move(log)) {
    alloc_.limit = limits_.memory_bytes;
    L_ = lua_newstate(allocate, this);
    if (!L_) throw std::runtime_error("cannot create a Lua state for " + name_ + ": out of memory");
    *static_cast<LuaSandbox**>(lua_getextraspace(L_)) = this;
    lua_sethook(L_, countHook, LUA_MASKCOUNT, kHookEvery);
    try {
        call([this](lua_State*) { openLibraries(); });
    } catch (const LuaError& e) {
        lua_close(L_);
        L_ = nullptr;
        throw std::runtime_error("cannot create a Lua state for " + name_ + ": " + e.what());
    }
}

LuaSandbox::~LuaSandbox() {
    if (L_) lua_close(L_);
}

LuaSandbox& LuaSandbox::of(lua_State* L) { return **static_cast<LuaSandbox**>(lua_getextraspace(L)); }

void LuaSandbox::log(const std::string& level, const std::string& message) const {
    if (!log_) return;
    try {
        log_(level, message);
    } catch (...) {
    }
}

void* LuaSandbox::allocate(void* ud, void* ptr, size_t osize, size_t nsize) {
    auto* sb = static_cast<LuaSandbox*>(ud);
    Allocator& a = sb->alloc_;
    size_t old = ptr ? osize : 0;  // without a block, osize tells the object's type, not a size
    if (nsize == 0) {
        std::free(ptr);
        a.used -= old;
        return nullptr;
    }
    if (nsize > old && !a.unlimited && a.used + (nsize - old) > a.limit) {
        // Lua collects garbage and asks again; a second refusal becomes a memory error, which a script's
        // pcall could catch, so the hook raises it again until the host's call returns.
        if (++a.failures_in_a_row >= 2 && sb->depth_ > 0 && sb->tripped_ == LuaFailure::none) {
            sb->tripped_ = LuaFailure::memory;
            std::snprintf(sb->limit_message_, sizeof sb->limit_message_, "memory limit exceeded (%zu KiB)",
                          a.limit / 1024);
            lua_sethook(sb->L_, countHook, LUA_MASKCOUNT, 1);  // as signal handlers do: it only sets fields
        }
        return nullptr;
    }
    void* block = std::realloc(ptr, nsize);
    if (!block) return nsize <= old ? ptr : nullptr;  // Lua assumes shrinking never fails
    a.failures_in_a_row = 0;
    a.used = a.used - old + nsize;
    return block;
}

bool LuaSandbox::overBudget(LuaSandbox& sb) {
    if (sb.tripped_ != LuaFailure::none) return true;
    if (sb.used_instructions_ > sb.limits_.instructions) {
        sb.tripped_ = LuaFailure::instructions;
        std::snprintf(sb.limit_message_, sizeof sb.limit_message_,
                      "instruction limit exceeded (%lld per call)", sb.limits_.instructions);
        return true;
    }
    if (std::chrono::steady_clock::now() > sb.deadline_) {
        sb.tripped_ = LuaFailure::time;
        std::snprintf(sb.limit_message_, sizeof sb.limit_message_, "time limit exceeded (%d ms per call)",
                      sb.limits_.time_ms);
        return true;
    }
    return false;
}

// Raises the tripped limit's error in L, located at the running Lua function (or the nearest one below a C
// function), and makes every later instruction of this thread and the main one raise it again.
void LuaSandbox::raiseLimit(lua_State* L, lua_Debug* ar) {
    LuaSandbox& sb = of(L);
    lua_sethook(L, countHook, LUA_MASKCOUNT, 1);
    if (L != sb.L_) lua_sethook(sb.L_, countHook, LUA_MASKCOUNT, 1);
    lua_Debug frame;
    bool located = false;
    if (ar && lua_getinfo(L, "Sl", ar) && ar->currentline > 0) {
        lua_pushfstring(L, "%s:%d: %s", ar->short_src, ar->currentline, sb.limit_message_);
        located = true;
    }
    for (int level = 0; !located && lua_getstack(L, level, &frame); ++level) {
        if (lua_getinfo(L, "Sl", &frame) && frame.currentline > 0) {
            lua_pushfstring(L, "%s:%d: %s", frame.short_src, frame.currentline, sb.limit_message_);
            located = true;
        }
    }
    if (!located) lua_pushfstring(L, "%s: %s", sb.name_.c_str(), sb.limit_message_);
    lua_error(L);
}

void LuaSandbox::countHook(lua_State* L, lua_Debug* ar) {
    LuaSandbox& sb = of(L);
    if (sb.depth_ == 0) return;  // host code between calls
    int every = lua_gethookcount(L);
    sb.used_instructions_ += every;
    if (overBudget(sb)) raiseLimit(L, ar);
    // A coroutine left at "every instruction" by an earlier call's limit goes back to the normal pace.
    if (every != kHookEvery) lua_sethook(L, countHook, LUA_MASKCOUNT, kHookEvery);
}

void LuaSandbox::chargeSteps(lua_State* L, long long steps) {
    LuaSandbox& sb = of(L);
    if (sb.depth_ == 0) return;
    sb.used_instructions_ += steps;
    if (overBudget(sb)) raiseLimit(L, nullptr);
}

void LuaSandbox::creditTime(lua_State* L, std::chrono::steady_clock::duration waited) {
    LuaSandbox& sb = of(L);
    if (sb.depth_ > 0) sb.deadline_ += waited;
}

int LuaSandbox::messageHandler(lua_State* L) {
    const char* msg = lua_tostring(L, 1);
    if (!msg) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    if (hasLocation(msg)) {
        lua_pushstring(L, msg);
        return 1;
    }
    // error("x", 0), error({}) and errors raised by C code without a position: name the nearest Lua line.
    lua_Debug frame;
    for (int level = 1; lua_getstack(L, level, &frame); ++level) {
        if (lua_getinfo(L, "Sl", &frame) && frame.currentline > 0) {
            lua_pushfstring(L, "%s:%d: %s", frame.short_src, frame.currentline, msg);
            return 1;
        }
    }
    lua_pushstring(L, msg);
    return 1;
}

void LuaSandbox::protectedCall(void (*fn)(lua_State*, void*), void* data) {
    lua_State* L = L_;
    bool outer = depth_ == 0;
    if (outer) {
        used_instructions_ = 0;
        deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(limits_.time_ms);
        tripped_ = LuaFailure::none;
        alloc_.failures_in_a_row = 0;
        alloc_.unlimited = false;
        lua_sethook(L, countHook, LUA_MASKCOUNT, kHookEvery);
    }
    Thunk thunk{fn, data};
    int base = lua_gettop(L);
    // Light C functions and a light userdata: pushing them allocates nothing, so nothing can fail out here.
    lua_pushcfunction(L, messageHandler);
    lua_pushcfunction(L, trampoline);
    lua_pushlightuserdata(L, &thunk);
    ++depth_;
    int status = lua_pcall(L, 1, 0, base + 1);
    --depth_;
    LuaFailure kind = LuaFailure::none;
    std::string message;
    if (status == LUA_OK && outer && tripped_ != LuaFailure::none) {
        // A limit was hit, a pcall in the script caught it, and the script returned before the hook could
        // raise it again: the call failed all the same.
        kind = tripped_;
        message = name_ + ": " + limit_message_;
    } else if (status != LUA_OK) {
        kind = tripped_ != LuaFailure::none ? tripped_ : LuaFailure::error;
        if (status == LUA_ERRMEM) {
            kind = LuaFailure::memory;
            message = name_ + ": memory limit exceeded (" + std::to_string(alloc_.limit / 1024) + " KiB)";
        } else {
            const char* text = lua_tostring(L, -1);
            message = text ? text : "(error object is not a string)";
        }
    }
    lua_settop(L, base);
    if (outer) {
        tripped_ = LuaFailure::none;
        lua_sethook(L, countHook, LUA_MASKCOUNT, kHookEvery);
        if (kind != LuaFailure::none) {
            // Give back what the failed call left behind, so the next call starts with its full allowance.
            alloc_.unlimited = true;
            lua_gc(L, LUA_GCCOLLECT);
        }
        alloc_.unlimited = false;
    }
    if (kind != LuaFailure::none) throw LuaError(kind, message);
}

void LuaSandbox::loadText(lua_State* L, const std::string& code, const std::string& chunkname) {
    if (luaL_loadbufferx(L, code.data(), code.size(), chunkname.c_str(), "t") != LUA_OK) lua_error(L);
}

void LuaSandbox::openLibraries() {
    lua_State* L = L_;
    const luaL_Reg libraries[] = {{LUA_GNAME, luaopen_base},       {LUA_STRLIBNAME, luaopen_string},
                                  {LUA_TABLIBNAME, luaopen_table}, {LUA_MATHLIBNAME, luaopen_math},
                                  {LUA_UTF8LIBNAME, luaopen_utf8}, {LUA_COLIBNAME, luaopen_coroutine}};
    for (const auto& lib : libraries) {
        luaL_requiref(L, lib.name, lib.func, 1);
        lua_pop(L, 1);
    }
    // What base must not offer: files, the collector's switches, stderr.
    for (const char* name : {"dofile", "loadfile", "collectgarbage", "warn", "require"}) {
        lua_pushnil(L);
        lua_setglobal(L, name);
    }
    lua_pushcfunction(L, safeLoad);
    lua_setglobal(L, "load");
    lua_pushcfunction(L, safePrint);
    lua_setglobal(L, "print");
    lua_pushcfunction(L, safeRawset);
    lua_setglobal(L, "rawset");
    lua_pushcfunction(L, safeSetmetatable);
    lua_setglobal(L, "setmetatable");

    lua_getglobal(L, LUA_STRLIBNAME);
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");  // bytecode cannot be loaded anyway; no reason to make it
    wrapField(L, "rep", cappedRep);
    installBoundedPatterns(L, lua_gettop(L));
    lua_pop(L, 1);
    lua_getglobal(L, LUA_TABLIBNAME);
    wrapField(L, "concat", cappedConcat);
    lua_pop(L, 1);

    // Freeze the string metatable: getmetatable("") gives false, so its __index cannot be swapped.
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);

    for (const char* name :
         {LUA_STRLIBNAME, LUA_TABLIBNAME, LUA_MATHLIBNAME, LUA_UTF8LIBNAME, LUA_COLIBNAME}) {
        lua_getglobal(L, name);
        makeReadOnly(L, name);
        lua_setglobal(L, name);
    }
}

void pushReadOnlyProxy(lua_State* L, const char* name) { makeReadOnly(L, name); }

}  // namespace parley::core

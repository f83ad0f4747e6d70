// A sandboxed Lua 5.4 state: safe libraries only, and memory and CPU limits that a script's pcall cannot
// swallow.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <lua.hpp>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace parley::core {

struct LuaLimits {
    size_t memory_bytes = 8u << 20;      // everything the state holds, globals included
    long long instructions = 1000000;    // per call: VM instructions plus pattern-matching steps
    int time_ms = 50;                    // per call, wall clock
    size_t max_string_bytes = 1u << 20;  // the largest string string.rep, table.concat or load may build
};

// Why a protected call failed.
enum class LuaFailure { none, error, memory, instructions, time };
const char* luaFailureName(LuaFailure failure);

// A failed call into Lua. what() reads "file:line: message" whenever the location is known.
class LuaError : public std::runtime_error {
public:
    LuaError(LuaFailure kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    LuaFailure kind() const { return kind_; }

private:
    LuaFailure kind_;
};

// Owns one lua_State with base (no dofile, loadfile, collectgarbage, warn; `load` text-only; `print` goes to
// the log), string, table, math, utf8 and coroutine, each exposed as a read-only table; a frozen string
// metatable; no io, os, debug or package. Not thread-safe: the owner serializes calls (one mutex per script
// file).
class LuaSandbox {
public:
    using LogFn = std::function<void(const std::string& level, const std::string& message)>;

    // `name` is the script's file name, used in messages that have no better location. Throws
    // std::runtime_error when the state cannot be built within the memory limit.
    LuaSandbox(const LuaLimits& limits, std::string name, LogFn log = {});
    ~LuaSandbox();
    LuaSandbox(const LuaSandbox&) = delete;
    LuaSandbox& operator=(const LuaSandbox&) = delete;

    lua_State* state() const { return L_; }
    const LuaLimits& limits() const { return limits_; }
    const std::string& name() const { return name_; }

    // Runs fn(L) inside lua_pcall with a fresh per-call budget (instructions, deadline) and a message handler
    // that gives "file:line: message". fn may use the Lua API freely; a Lua error it raises (or a script it
    // calls) becomes a LuaError thrown here, after the stack is restored. Because Lua errors are longjmps,
    // fn must not hold C++ objects with destructors across a Lua call that can fail: compute into
    // variables captured by reference instead. A call made while another runs on this state joins its budget.
    template <typename Fn>
    void call(Fn&& fn) {
        using F = std::remove_reference_t<Fn>;
        protectedCall([](lua_State* L, void* data) { (*static_cast<F*>(data))(L); }, &fn);
    }

    // Loads a text chunk (binary chunks are refused) and pushes it as a function; raises a Lua error when it
    // does not compile. For use inside call().
    static void loadText(lua_State* L, const std::string& code, const std::string& chunkname);

    // Counts `steps` of C work (pattern matching) against the call's instruction budget; when the budget or
    // the deadline is spent, raises the limit error in L. For C functions that loop without running Lua code.
    static void chargeSteps(lua_State* L, long long steps);
    // Gives back wall-clock time a C function spent waiting on the outside world (parley.http), so a slow
    // network does not count against the rule's CPU deadline. The instruction budget still applies.
    static void creditTime(lua_State* L, std::chrono::steady_clock::duration waited);

    // While false, the allocator grants every request: the host builds values (event payloads) that the
    // script did not ask for. call() turns the limit back on.
    void setMemoryLimited(bool limited) { alloc_.unlimited = !limited; }

    // Bytes the state holds now.
    size_t memoryUsed() const { return alloc_.used; }

    // The sandbox of a state or coroutine created by a LuaSandbox.
    static LuaSandbox& of(lua_State* L);

    // Writes through the log function given at construction (print and parley.log). Never throws.
    void log(const std::string& level, const std::string& message) const;

private:
    struct Allocator {
        size_t used = 0;
        size_t limit = 0;
        bool unlimited = false;
        int failures_in_a_row = 0;  // the second refusal in a row is the one Lua reports as an error
    };
    static void* allocate(void* ud, void* ptr, size_t osize, size_t nsize);
    static void countHook(lua_State* L, lua_Debug* ar);
    static int messageHandler(lua_State* L);
    static bool overBudget(LuaSandbox& sb);
    static void raiseLimit(lua_State* L, lua_Debug* ar);
    void protectedCall(void (*fn)(lua_State*, void*), void* data);
    void openLibraries();
    const char* limitMessage() const;

    LuaLimits limits_;
    std::string name_;
    LogFn log_;
    Allocator alloc_;
    lua_State* L_ = nullptr;

    // The running call's budget.
    int depth_ = 0;
    long long used_instructions_ = 0;
    std::chrono::steady_clock::time_point deadline_;
    LuaFailure tripped_ = LuaFailure::none;
    char limit_message_[128] = {};
};

// Replaces the table at the top of the stack with a read-only proxy of it: reads go through, writes and
// rawset raise "attempt to modify read-only table '<name>'", and getmetatable gives false.
void pushReadOnlyProxy(lua_State* L, const char* name);

}  // namespace parley::core

// Proves the Lua sandbox stops every escape and bomb with its reason, and the state stays usable afterwards.
#include <boost/test/unit_test.hpp>
#include <optional>

#include "lua/sandbox.hpp"
#include "support.hpp"

using namespace parley::core;
using core_test::contains;

namespace {

LuaLimits testLimits() {
    LuaLimits limits;
    limits.memory_bytes = 2u << 20;
    limits.instructions = 200000;
    limits.time_ms = 2000;  // the instruction limit trips first, so slow test machines do not matter
    limits.max_string_bytes = 64u << 10;
    return limits;
}

// Runs `code` as the file escape.lua; returns the failure, or nullopt when it ran to the end.
std::optional<LuaError> run(LuaSandbox& sandbox, const std::string& code) {
    try {
        sandbox.call([&](lua_State* L) {
            LuaSandbox::loadText(L, code, "@escape.lua");
            lua_call(L, 0, 0);
        });
    } catch (const LuaError& e) {
        return e;
    }
    return std::nullopt;
}

// Evaluates `expression` and returns it as text ("" when it fails).
std::string eval(LuaSandbox& sandbox, const std::string& expression) {
    std::string out;
    try {
        sandbox.call([&](lua_State* L) {
            LuaSandbox::loadText(L, "return tostring(" + expression + ")", "@eval.lua");
            lua_call(L, 0, 1);
            out = lua_tostring(L, -1);
            lua_pop(L, 1);
        });
    } catch (const LuaError& e) {
        return std::string("error: ") + e.what();
    }
    return out;
}

// The state answers a fresh call normally.
void requireUsable(LuaSandbox& sandbox) {
    BOOST_TEST(eval(sandbox, "40 + 2") == "42");
    BOOST_TEST(eval(sandbox, "('ok'):upper()") == "OK");
}

struct Escape {
    const char* name;
    const char* code;
    LuaFailure kind;
    const char* reason;  // part of the message
};

}  // namespace

BOOST_AUTO_TEST_SUITE(lua_sandbox)

BOOST_AUTO_TEST_CASE(every_escape_is_stopped_with_its_reason_and_the_state_stays_usable) {
    const Escape escapes[] = {
        {"io.open", "io.open('/etc/passwd')", LuaFailure::error,
         "escape.lua:1: attempt to index a nil value (global 'io')"},
        {"os.execute", "os.execute('id')", LuaFailure::error,
         "escape.lua:1: attempt to index a nil value (global 'os')"},
        {"require", "local os = require('os')", LuaFailure::error,
         "attempt to call a nil value (global 'require')"},
        {"dofile", "dofile('/etc/passwd')", LuaFailure::error,
         "attempt to call a nil value (global 'dofile')"},
        {"loadfile", "loadfile('/etc/passwd')", LuaFailure::error,
         "attempt to call a nil value (global 'loadfile')"},
        {"debug", "debug.getregistry()", LuaFailure::error, "global 'debug'"},
        {"package", "package.loadlib('libc.so.6', 'system')", LuaFailure::error, "global 'package'"},
        {"collectgarbage", "collectgarbage('stop')", LuaFailure::error, "global 'collectgarbage'"},
        {"string.dump", "string.dump(print)", LuaFailure::error, "field 'dump'"},
        {"bytecode through load",
         "local f, err = load('\\27Lua\\84\\0\\25\\147\\13\\10\\26\\10'); assert(f == nil); error(err, 0)",
         LuaFailure::error, "attempt to load a binary chunk (mode is 't')"},
        {"bytecode through load with mode b", "local f, err = load('\\27LuaT', 'x', 'b'); error(err, 0)",
         LuaFailure::error, "attempt to load a binary chunk (mode is 't')"},
        {"bytecode through a reader",
         "local n = 0; local f, err = load(function() n = n + 1; if n == 1 then return '\\27Lua' end end); "
         "error(err, 0)",
         LuaFailure::error, "binary chunk"},
        {"string.rep bomb", "local s = string.rep('x', 1e9)", LuaFailure::error,
         "string.rep would build more than 65536 bytes"},
        {"rep through the string metatable", "local s = ('x'):rep(1e9)", LuaFailure::error,
         "string.rep would build more than"},
        {"rep with a separator", "local s = ('').rep('', 1e8, 'ab')", LuaFailure::error,
         "string.rep would build more than"},
        {"table.concat growth",
         "local t = {} for i = 1, 100 do t[i] = ('x'):rep(1000) end local s = table.concat(t)",
         LuaFailure::error, "table.concat would build more than"},
        {"concatenation doubling", "local s = 'x' while true do s = s .. s end", LuaFailure::memory,
         "memory limit exceeded"},
        {"while true do end", "while true do end", LuaFailure::instructions,
         "escape.lua:1: instruction limit exceeded"},
        {"a loop inside pcall", "while true do pcall(function() while true do end end) end",
         LuaFailure::instructions, "instruction limit exceeded"},
        {"a loop inside pcall inside pcall",
         "while true do pcall(pcall, function() while true do end end) end", LuaFailure::instructions,
         "instruction limit exceeded"},
        {"the error caught by xpcall",
         "xpcall(function() while true do end end, function(e) return e end) while true do end",
         LuaFailure::instructions, "instruction limit exceeded"},
        {"a swallowed limit at the very end", "pcall(function() while true do end end)",
         LuaFailure::instructions, "instruction limit exceeded"},
        {"memory bomb", "local t = {} for i = 1, 1e8 do t[i] = i end", LuaFailure::memory,
         "memory limit exceeded (2048 KiB)"},
        {"memory bomb inside pcall",
         "pcall(function() local t = {} for i = 1, 1e8 do t[i] = {} end end) x = 1", LuaFailure::memory,
         "memory limit exceeded"},
        {"getmetatable('').__index", "getmetatable('').__index.rep = nil", LuaFailure::error,
         "attempt to index a boolean value"},
        {"setmetatable on the string proxy", "setmetatable(string, {})", LuaFailure::error,
         "cannot change a protected metatable"},
        {"replacing string.rep", "string.rep = function() return '' end", LuaFailure::error,
         "attempt to modify read-only table 'string'"},
        {"rawset on a proxy", "rawset(string, 'rep', print)", LuaFailure::error,
         "attempt to modify a read-only table with rawset"},
        {"rawset on table", "rawset(table, 'concat', print)", LuaFailure::error, "read-only table"},
        {"table.insert into a proxy", "table.insert(math, 1)", LuaFailure::error, "read-only table 'math'"},
        {"a finalizer", "setmetatable({}, {__gc = function() while true do end end})", LuaFailure::error,
         "__gc metamethods are not allowed"},
        {"a loop in a coroutine", "coroutine.wrap(function() while true do end end)()",
         LuaFailure::instructions, "instruction limit exceeded"},
        {"pcall around looping coroutines",
         "while true do pcall(coroutine.wrap(function() while true do end end)) end",
         LuaFailure::instructions, "instruction limit exceeded"},
        {"a loop resumed again after its error",
         "local co = coroutine.create(function() while true do end end) while true do coroutine.resume(co) "
         "end",
         LuaFailure::instructions, "instruction limit exceeded"},
        {"deep recursion", "local function f(n) return f(n + 1) + 1 end f(1)", LuaFailure::memory,
         "memory limit exceeded"},
        {"pattern backtracking bomb", "string.find(('a'):rep(5000), '.-.-.-.-.-.-b')",
         LuaFailure::instructions, "instruction limit exceeded"},
        {"gsub backtracking bomb", "local s = ('a'):rep(3000) .. 'b' s:gsub('(.-)%1c', '')",
         LuaFailure::instructions, "instruction limit exceeded"},
        {"plain find bomb",
         "local s = ('a'):rep(60000) local p = ('a'):rep(30000) .. 'b' for i = 1, 100 do s:find(p, 1, true) "
         "end",
         LuaFailure::instructions, "instruction limit exceeded"},
    };
    LuaSandbox sandbox(testLimits(), "escape.lua");
    for (const auto& e : escapes) {
        BOOST_TEST_CONTEXT(e.name) {
            auto failure = run(sandbox, e.code);
            BOOST_REQUIRE(failure.has_value());
            BOOST_TEST(std::string(luaFailureName(failure->kind())) == luaFailureName(e.kind));
            BOOST_TEST(contains(failure->what(), e.reason), failure->what());
            requireUsable(sandbox);
        }
    }
    BOOST_TEST(sandbox.memoryUsed() < 512u * 1024, "memory after the bombs: " << sandbox.memoryUsed());
}

BOOST_AUTO_TEST_CASE(the_wall_clock_deadline_stops_a_loop_the_instruction_limit_would_allow) {
    LuaLimits limits = testLimits();
    limits.instructions = 1LL << 60;
    limits.time_ms = 30;
    LuaSandbox sandbox(limits, "slow.lua");
    auto started = std::chrono::steady_clock::now();
    auto failure = run(sandbox, "while true do pcall(function() while true do end end) end");
    auto took = std::chrono::steady_clock::now() - started;
    BOOST_REQUIRE(failure.has_value());
    BOOST_TEST(luaFailureName(failure->kind()) == std::string("time"));
    BOOST_TEST(contains(failure->what(), "time limit exceeded (30 ms per call)"), failure->what());
    BOOST_TEST((took < std::chrono::seconds(2)));
    requireUsable(sandbox);
}

BOOST_AUTO_TEST_CASE(each_call_gets_a_fresh_budget) {
    LuaSandbox sandbox(testLimits(), "budget.lua");
    // 150000 instructions' worth per call: over two calls more than the limit, each alone within it.
    for (int i = 0; i < 3; ++i)
        BOOST_TEST(!run(sandbox, "local n = 0 for i = 1, 40000 do n = n + i end").has_value());
}

BOOST_AUTO_TEST_CASE(errors_read_file_line_message_whatever_was_raised) {
    LuaSandbox sandbox(testLimits(), "errors.lua");
    struct Case {
        const char* code;
        const char* message;
    };
    const Case cases[] = {
        {"error('boom')", "escape.lua:1: boom"},
        {"\n\nerror('x', 0)", "escape.lua:3: x"},
        {"error({})", "escape.lua:1: (error object is a table value)"},
        {"local t = nil\nreturn t.field", "escape.lua:2: attempt to index a nil value (local 't')"},
        {"string.rep()", "escape.lua:1: bad argument #1 to 'rep'"},
        {"error(setmetatable({}, {__tostring = function() return 'custom' end}))", "custom"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.code) {
            auto failure = run(sandbox, c.code);
            BOOST_REQUIRE(failure.has_value());
            BOOST_TEST(luaFailureName(failure->kind()) == std::string("error"));
            BOOST_TEST(contains(failure->what(), c.message), failure->what());
        }
    }
}

BOOST_AUTO_TEST_CASE(what_stays_available_works_as_in_plain_lua) {
    LuaSandbox sandbox(testLimits(), "ok.lua");
    struct Case {
        const char* expression;
        const char* value;
    };
    const Case cases[] = {
        {"load('return 1 + 1')()", "2"},
        {"load('return x', 'chunk', 't', {x = 5})()", "5"},
        {"select('#', load('syntax error here'))", "2"},
        {"('hello world'):find('o w')", "5"},
        {"('hello world'):find('o', 6)", "8"},
        {"('hello'):find('l+')", "3"},
        {"select(2, ('hello'):find('l+'))", "4"},
        {"('key = value'):match('^(%w+)%s*=%s*(%w+)$')", "key"},
        {"select(2, ('key = value'):match('^(%w+)%s*=%s*(%w+)$'))", "value"},
        {"('  trim me  '):match('^%s*(.-)%s*$')", "trim me"},
        {"('f(a(b)c)d'):match('%b()')", "(a(b)c)"},
        {"('THE (quick) fox'):find('%f[%a]%a+%f[%A]', 5)", "6"},
        {"('hello'):match('()ll()')", "3"},
        {"('abcabc'):match('(abc)%1')", "abc"},
        {"('hello world'):gsub('o', '0')", "hell0 w0rld"},
        {"select(2, ('hello world'):gsub('o', '0'))", "2"},
        {"('hello world'):gsub('(%w+)', '<%1>')", "<hello> <world>"},
        {"('hello world'):gsub('%w+', {hello = 'HI'})", "HI world"},
        {"('abc'):gsub('', '-')", "-a-b-c-"},
        {"('abc'):gsub('%w', string.upper, 2)", "ABc"},
        {"('x = 1, y = 2'):gsub('(%w+) = (%w+)', '%2 = %1')", "1 = x, 2 = y"},
        {"(function() local t = {} for w in ('one two three'):gmatch('%a+') do t[#t + 1] = w end "
         "return table.concat(t, ',') end)()",
         "one,two,three"},
        {"(function() local n = 0 for k, v in ('a=1, b=2'):gmatch('(%w+)=(%w+)') do n = n + v end return n "
         "end)()",
         "3"},
        {"('[x]'):find('[', 1, true)", "1"},
        {"('a.b'):find('.', 1, true)", "2"},
        {"('a+b'):find('+', 1, true)", "2"},
        {"('%d'):rep(3, ',')", "%d,%d,%d"},
        {"table.concat({1, 2, 3}, '-')", "1-2-3"},
        {"math.max(3, 7)", "7"},
        {"utf8.len('café')", "4"},
        {"coroutine.wrap(function() coroutine.yield(7) end)()", "7"},
        {"getmetatable('')", "false"},
        {"getmetatable(string)", "false"},
        {"string.format('%5.1f|%q', 3.14159, 'a\"b')", "  3.1|\"a\\\"b\""},
        {"pcall(error, 'x')", "false"},
        {"#setmetatable({}, {__index = {1}})", "0"},
        {"type(print)", "function"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.expression) { BOOST_TEST(eval(sandbox, c.expression) == c.value); }
    }
}

BOOST_AUTO_TEST_CASE(bad_patterns_raise_errors_instead_of_crashing) {
    LuaSandbox sandbox(testLimits(), "patterns.lua");
    struct Case {
        const char* code;
        const char* message;
    };
    const Case cases[] = {
        {"('x'):find('%')", "malformed pattern (ends with '%')"},
        {"('x'):find('[a')", "malformed pattern (missing ']')"},
        {"('x'):find('(x')", "unfinished capture"},
        {"('x'):match('x)')", "invalid pattern capture"},
        {"('x'):find('%1')", "invalid capture index %1"},
        {"('x'):find('%f')", "missing '[' after '%f' in pattern"},
        {"('x'):find('%b')", "missing arguments to '%b'"},
        {"('x'):gsub('x', '%2')", "invalid capture index %2"},
        {"('x'):gsub('x', '%z')", "invalid use of '%' in replacement string"},
        {"('x'):gsub('x', {x = {}})", "invalid replacement value (a table)"},
        {"('x'):find(('('):rep(40))", "too many captures"},
        {"(('x'):rep(300)):find(('x?'):rep(300))", "pattern too complex"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.code) {
            auto failure = run(sandbox, c.code);
            BOOST_REQUIRE(failure.has_value());
            BOOST_TEST(contains(failure->what(), c.message), failure->what());
            requireUsable(sandbox);
        }
    }
}

BOOST_AUTO_TEST_CASE(print_goes_to_the_log_function) {
    std::vector<std::string> lines;
    LuaSandbox sandbox(testLimits(), "print.lua", [&](const std::string& level, const std::string& message) {
        lines.push_back(level + " " + message);
    });
    BOOST_TEST(!run(sandbox, "print('hello', 42, nil)").has_value());
    BOOST_REQUIRE(lines.size() == 1u);
    BOOST_TEST(lines[0] == "info hello\t42\tnil");
}

BOOST_AUTO_TEST_CASE(a_state_too_small_for_the_libraries_is_refused_at_construction) {
    LuaLimits limits = testLimits();
    limits.memory_bytes = 4096;
    auto message =
        core_test::errorMessageFrom<std::runtime_error>([&] { LuaSandbox sandbox(limits, "tiny.lua"); });
    BOOST_REQUIRE(message.has_value());
    BOOST_TEST(contains(*message, "cannot create a Lua state for tiny.lua"), *message);
}

BOOST_AUTO_TEST_SUITE_END()

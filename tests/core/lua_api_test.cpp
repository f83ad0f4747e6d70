// Proves the parley API rules see: ctx and its actions, parley.kv, time with a fixed clock, text, import.
#include <boost/test/unit_test.hpp>
#include <filesystem>

#include "lua/lua_script.hpp"
#include "lua/text_tools.hpp"
#include "support.hpp"

using namespace parley::core;
using core_test::contains;

namespace {

LuaLimits testLimits() {
    LuaLimits limits;
    limits.memory_bytes = 4u << 20;
    limits.instructions = 1000000;
    limits.time_ms = 2000;
    return limits;
}

// Epoch seconds of a local time, as the transcript runner's @time computes them.
double at(const std::string& local, const std::string& tz) { return epochOfLocalTime(local, tz); }

// One or more rule files in a registry of their own, with an in-memory kv and a settable clock.
struct Rules {
    MemoryKvStore kv;
    double clock = at("2026-11-23T10:00:00", "Europe/Madrid");  // a Monday
    std::vector<std::string> log;
    HookRegistry registry;
    std::vector<std::shared_ptr<LuaScript>> scripts;
    std::string scripts_dir;

    ScriptServices services() {
        ScriptServices s;
        s.kv = &kv;
        s.clock = [this] { return clock; };
        s.log = [this](const std::string& level, const std::string& message) {
            log.push_back(level + ": " + message);
        };
        s.scripts_dir = scripts_dir;
        return s;
    }

    std::shared_ptr<LuaScript> add(const std::string& name, const std::string& code, int max_failures = 5) {
        auto script = LuaScript::fromSource(name, code, testLimits(), max_failures, services());
        registry.replaceOwner(script->owner(), script->hooks());
        scripts.push_back(script);
        return script;
    }

    // Dispatches message.inbound for `text` with a payload like the pipeline's.
    DispatchResult say(const std::string& text, JsonObject attributes = nullptr) {
        Event event = inbound(text, attributes);
        return registry.dispatch(event);
    }

    static Event inbound(const std::string& text, JsonObject attributes = nullptr) {
        Event event;
        event.name = "message.inbound";
        event.payload = parseJsonObject(R"({
            "message": {"text": "", "type": "text"},
            "conversation": {"id": "c-1", "attributes": {}},
            "visitor": {"id": "v-1", "name": "Ana", "language": "es"},
            "channel": "web",
            "utm": {"source": "google", "campaign": "winter"}})",
                                        16);
        event.payload->getObject("message")->set("text", text);
        if (attributes) event.payload->getObject("conversation")->set("attributes", attributes);
        return event;
    }
};

std::string text(const Action& a, const std::string& key) { return a->optValue<std::string>(key, ""); }

// Evaluates `expression` inside a rule and returns its tostring() as a reply's text.
std::string evalInRule(Rules& rules, const std::string& expression) {
    rules.add("eval.lua",
              "parley.on('message.inbound', function(ctx) ctx:reply(tostring(" + expression + ")) end)");
    auto result = rules.say("x");
    rules.registry.removeOwner("lua:eval.lua");
    if (!result.failures.empty()) return "failure: " + result.failures[0];
    return result.actions.empty() ? "" : text(result.actions.back(), "text");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lua_api)

BOOST_AUTO_TEST_CASE(ctx_reads_message_conversation_visitor_channel_and_utm) {
    Rules rules;
    rules.add("read.lua", R"(
parley.on("message.inbound", function(ctx)
  ctx:reply(table.concat({ctx.event, ctx.message.text, ctx.message.type, ctx.conversation.id, ctx.visitor.name,
                          ctx.visitor.language, ctx.channel, ctx.utm.source, ctx.utm.campaign}, "|"))
end)
)");
    auto result = rules.say("hola");
    BOOST_REQUIRE(result.failures.empty());
    BOOST_REQUIRE(result.actions.size() == 1u);
    BOOST_TEST(text(result.actions[0], "text") == "message.inbound|hola|text|c-1|Ana|es|web|google|winter");
}

BOOST_AUTO_TEST_CASE(ctx_methods_become_actions_with_their_fields_and_origin) {
    Rules rules;
    rules.add("bot/all.lua", R"(
parley.on("message.inbound", function(ctx)
  ctx:reply("Hi!", {quick_replies = {"Pricing", "Talk to a human"}})
  ctx:flag("spam")
  ctx:handoff("asked for a human")
  ctx:capture_lead({email = "ana@example.com", size = 12, tags = {"a", "b"}})
  ctx:set("step", "email")
  ctx:set("score", 3)
end)
)");
    auto result = rules.say("hi");
    BOOST_REQUIRE(result.failures.empty());
    BOOST_REQUIRE(result.actions.size() == 6u);
    BOOST_TEST(
        toJson(result.actions[0]) ==
        R"({"type":"reply","text":"Hi!","quick_replies":["Pricing","Talk to a human"],"origin":"lua:bot/all.lua"})");
    BOOST_TEST(toJson(result.actions[1]) == R"({"type":"flag","reason":"spam","origin":"lua:bot/all.lua"})");
    BOOST_TEST(toJson(result.actions[2]) ==
               R"({"type":"handoff","reason":"asked for a human","origin":"lua:bot/all.lua"})");
    auto fields = result.actions[3]->getObject("fields");
    BOOST_REQUIRE(fields);
    BOOST_TEST(text(result.actions[3], "type") == "capture_lead");
    BOOST_TEST(fields->getValue<std::string>("email") == "ana@example.com");
    BOOST_TEST(fields->getValue<int>("size") == 12);
    BOOST_TEST(toJson(fields->getArray("tags")) == R"(["a","b"])");
    BOOST_TEST(toJson(result.actions[4]) ==
               R"({"type":"set","key":"step","value":"email","origin":"lua:bot/all.lua"})");
    BOOST_TEST(toJson(result.actions[5]) ==
               R"({"type":"set","key":"score","value":3,"origin":"lua:bot/all.lua"})");
    BOOST_TEST(!result.rejected);
}

BOOST_AUTO_TEST_CASE(drop_rejects_the_message_with_the_reason_and_stops_later_filters) {
    Rules rules;
    rules.add("spam.lua", R"(
parley.on("message.inbound", function(ctx)
  if ctx.message.text:find("casino", 1, true) then ctx:drop("looks like spam") end
end, {priority = 10})
)");
    rules.add("later.lua",
              R"(parley.on("message.inbound", function(ctx) ctx:reply("later") end, {priority = 20}))");
    auto dropped = rules.say("free casino chips");
    BOOST_TEST(dropped.rejected);
    BOOST_TEST(dropped.reason == "looks like spam");
    BOOST_TEST(dropped.decided_by == "lua:spam.lua");
    BOOST_TEST(dropped.actions.empty());
    auto kept = rules.say("hello");
    BOOST_TEST(!kept.rejected);
    BOOST_REQUIRE(kept.actions.size() == 1u);
}

BOOST_AUTO_TEST_CASE(priorities_order_rules_and_a_set_is_seen_by_later_rules) {
    Rules rules;
    rules.add("second.lua", R"(
parley.on("message.inbound", function(ctx) ctx:reply("step is " .. tostring(ctx.conversation.attributes.step)) end,
          {priority = 50})
)");
    rules.add("first.lua", R"(
parley.on("message.inbound", function(ctx)
  ctx:set("step", "two")
  assert(ctx.conversation.attributes.step == "two")
end, {priority = 5})
)");
    Event event = Rules::inbound("x");
    auto result = rules.registry.dispatch(event);
    BOOST_REQUIRE(result.failures.empty());
    BOOST_REQUIRE(result.actions.size() == 2u);
    BOOST_TEST(text(result.actions[1], "text") == "step is two");
    BOOST_TEST(
        event.payload->getObject("conversation")->getObject("attributes")->getValue<std::string>("step") ==
        "two");
}

BOOST_AUTO_TEST_CASE(notification_rules_observe_and_may_not_drop) {
    Rules rules;
    rules.add("watch.lua", R"(
parley.on("message.inbound", function(ctx) ctx:drop("no") end, {kind = "notification"})
)");
    auto result = rules.say("x");
    BOOST_TEST(!result.rejected);
    BOOST_REQUIRE(result.failures.size() == 1u);
    BOOST_TEST(contains(result.failures[0], "watch.lua:2: ctx:drop is for filter rules"), result.failures[0]);
}

BOOST_AUTO_TEST_CASE(misuse_of_the_api_is_reported_with_file_and_line) {
    struct Case {
        const char* code;
        const char* message;
    };
    const Case cases[] = {
        {"parley.on('message.inbound', function(ctx) parley.on('x.y', print) end)",
         "bad.lua:1: parley.on is only allowed while the file loads"},
        {"parley.on('message.inbound', function(ctx) ctx.reply('hi') end)",
         "bad.lua:1: ctx:reply needs the ctx"},
        {"parley.on('message.inbound', function(ctx) ctx:reply('') end)", "ctx:reply needs a non-empty text"},
        {"parley.on('message.inbound', function(ctx) ctx:reply('x', {buttons = {}}) end)",
         "unknown option 'buttons'"},
        {"parley.on('message.inbound', function(ctx) ctx:reply('x', {quick_replies = {1}}) end)",
         "quick reply 1 must be"},
        {"parley.on('message.inbound', function(ctx) ctx:flag() end)", "ctx:flag needs a reason"},
        {"parley.on('message.inbound', function(ctx) ctx:capture_lead({'a', 'b'}) end)", "named fields"},
        {"parley.on('message.inbound', function(ctx) ctx:set('k', print) end)",
         "'k' is a function, which JSON cannot hold"},
        {"parley.on('message.inbound', function(ctx) ctx:set('k', {1, x = 2}) end)", "mixes keys"},
        {"parley.on('message.inbound', function(ctx) saved = ctx end)\n"
         "parley.on('message.inbound', function(ctx) saved:reply('late') end, {priority = 200})",
         "ctx:reply on a ctx whose event is over"},
        {"parley.on('message.inbound', function(ctx)\n  local x = nil\n  return x.y\nend)",
         "bad.lua:3: attempt to index a nil value (local 'x')"},
        {"parley.on('message.inbound', function(ctx) while true do end end)",
         "bad.lua:1: instruction limit exceeded"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.code) {
            Rules rules;
            rules.add("bad.lua", c.code);
            auto result = rules.say("x");
            // A second dispatch gives the stored ctx a new call: the first rule's ctx is over.
            if (std::string(c.code).find("saved") != std::string::npos) result = rules.say("y");
            BOOST_REQUIRE(!result.failures.empty());
            BOOST_TEST(contains(result.failures.back(), c.message), result.failures.back());
            BOOST_TEST(result.failures.back().rfind("lua:bad.lua: ", 0) == 0u, result.failures.back());
        }
    }
}

BOOST_AUTO_TEST_CASE(a_file_that_fails_to_load_says_where) {
    struct Case {
        const char* code;
        const char* message;
    };
    const Case cases[] = {
        {"parley.on('message.inbound', function(ctx)\n  ctx:reply('x'\nend)", "broken.lua:3:"},
        {"\nerror('no')", "broken.lua:2: no"},
        {"parley.on('Message Inbound', print)", "event name 'Message Inbound' is not noun.verb"},
        {"parley.on('message.inbound', print, {priority = 1.5})", "priority must be an integer"},
        {"parley.on('message.inbound', print, {kind = 'sometimes'})",
         "kind must be \"filter\" or \"notification\""},
        {"parley.on('message.inbound', print, {when = 1})", "unknown option 'when'"},
        {"parley.kv = nil", "attempt to modify read-only table 'parley'"},
        {"parley.kv.get = print", "read-only table 'parley.kv'"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.code) {
            Rules rules;
            auto message = core_test::errorMessageFrom<LuaError>([&] { rules.add("broken.lua", c.code); });
            BOOST_REQUIRE(message.has_value());
            BOOST_TEST(contains(*message, c.message), *message);
        }
    }
}

BOOST_AUTO_TEST_CASE(kv_keeps_json_values_per_file_in_the_store_it_is_given) {
    Rules rules;
    rules.add("counter.lua", R"(
parley.on("message.inbound", function(ctx)
  local n = (parley.kv.get("count") or 0) + 1
  parley.kv.set("count", n)
  parley.kv.set("last", {text = ctx.message.text, at = {1, 2}})
  if ctx.message.text == "forget" then parley.kv.delete("last") end
  ctx:reply("count " .. n)
end)
)");
    BOOST_TEST(text(rules.say("a").actions[0], "text") == "count 1");
    BOOST_TEST(text(rules.say("b").actions[0], "text") == "count 2");
    BOOST_TEST(rules.kv.get("lua:counter.lua", "count").value_or("") == "2");
    JsonObject last = parseJsonObject(rules.kv.get("lua:counter.lua", "last").value_or("{}"), 8);
    BOOST_TEST(last->optValue<std::string>("text", "") == "b");
    BOOST_TEST(toJson(last->getArray("at")) == "[1,2]");
    rules.say("forget");
    BOOST_TEST(!rules.kv.get("lua:counter.lua", "last").has_value());
    BOOST_TEST(evalInRule(rules, "parley.kv.get('count')") == "nil");  // another file, another namespace

    auto big = evalInRule(rules, "pcall(parley.kv.set, 'big', ('x'):rep(70000))");
    BOOST_TEST(big == "false");
    auto message = evalInRule(rules, "select(2, pcall(parley.kv.set, ('k'):rep(300), 1))");
    BOOST_TEST(contains(message, "kv key is 300 bytes long; the limit is 200"), message);
}

BOOST_AUTO_TEST_CASE(time_follows_the_fixed_clock_in_the_zone_asked_for) {
    Rules rules;
    BOOST_TEST(evalInRule(rules, "parley.now()") == "1795424400.0");  // 09:00 UTC
    auto fields =
        "(function(t) return table.concat({t.year, t.month, t.day, t.hour, t.minute, t.weekday, t.tz}, ' ') "
        "end)";
    BOOST_TEST(evalInRule(rules, std::string(fields) + "(parley.time.localtime('Europe/Madrid'))") ==
               "2026 11 23 10 0 1 Europe/Madrid");
    BOOST_TEST(evalInRule(rules, std::string(fields) + "(parley.time['local']('America/New_York'))") ==
               "2026 11 23 4 0 1 America/New_York");
    BOOST_TEST(evalInRule(rules, std::string(fields) + "(parley.time.localtime())") ==
               "2026 11 23 9 0 1 UTC");
    rules.clock = at("2026-11-29T23:30:00", "Europe/Madrid");  // Sunday night in Madrid, Sunday 22:30 UTC
    BOOST_TEST(evalInRule(rules, "parley.time.localtime('Europe/Madrid').weekday") == "7");
    BOOST_TEST(contains(evalInRule(rules, "parley.time.localtime('Mars/Olympus')"),
                        "unknown time zone 'Mars/Olympus'"));
}

BOOST_AUTO_TEST_CASE(is_open_reads_a_weekly_schedule_in_several_forms) {
    Rules rules;
    const std::string weekdays =
        R"({mon = {{"09:00", "17:00"}}, tue = {"09:00-17:00"}, wed = {{start = "09:00", ["end"] = "17:00"}},
            thu = {{"09:00", "13:00"}, {"14:00", "17:00"}}, fri = {{"09:00", "17:00"}}, sat = {}, holidays = {"2026-12-25"}})";
    struct Case {
        const char* local;
        bool open;
    };
    const Case cases[] = {
        {"2026-11-23T10:00", true},   // Monday morning
        {"2026-11-23T08:59", false},  // before nine
        {"2026-11-23T17:00", false},  // the end is exclusive
        {"2026-11-24T16:59", true},   // Tuesday, "09:00-17:00"
        {"2026-11-25T12:00", true},   // Wednesday, {start, end}
        {"2026-11-26T13:30", false},  // Thursday lunch
        {"2026-11-28T12:00", false},  // Saturday
        {"2026-11-29T12:00", false},  // Sunday, absent
        {"2026-12-25T12:00", false},  // a Friday holiday
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.local) {
            rules.clock = at(c.local, "Europe/Madrid");
            BOOST_TEST(evalInRule(rules, "parley.time.is_open(" + weekdays + ", 'Europe/Madrid')") ==
                       (c.open ? "true" : "false"));
        }
    }
    // A widget's working_hours object works as it is stored.
    rules.clock = at("2026-11-23T10:00", "Europe/Madrid");
    BOOST_TEST(evalInRule(rules, R"(parley.time.is_open({enabled = true, timezone = "Asia/Tokyo",
               schedule = {mon = {{start = "17:30", ["end"] = "18:30"}}}}))") == "true");  // 18:00 in Tokyo
    BOOST_TEST(evalInRule(rules, R"(parley.time.is_open({enabled = false, schedule = {}}))") == "true");
    BOOST_TEST(contains(evalInRule(rules, "parley.time.is_open({mon = {{'9am', '5pm'}}}, 'UTC')"),
                        "hours.mon[1] must be a pair of HH:MM times"));
    BOOST_TEST(
        contains(evalInRule(rules, "parley.time.is_open({monday = {}}, 'UTC')"), "unknown day 'monday'"));
}

BOOST_AUTO_TEST_CASE(normalize_folds_case_width_and_accents_but_keeps_letters_of_other_scripts) {
    struct Case {
        const char* in;
        const char* out;
    };
    const Case cases[] = {
        {"Café", "cafe"},
        {"  Hello\t  WORLD \n", "hello world"},
        {"Straße ÜBER Ärger", "strasse uber arger"},
        {"ＡＢＣ １２３", "abc 123"},
        {"Ｃａｆé", "cafe"},
        {"今日は良い天気です", "今日は良い天気です"},
        {"ｶﾞｲﾄﾞ", "ガイド"},
        {"สวัสดีครับ", "สวัสดีครับ"},
        {"Ελληνικά", "ελληνικα"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.in) { BOOST_TEST(normalizeText(c.in) == c.out); }
    }
    Rules rules;
    BOOST_TEST(evalInRule(rules, "parley.text.normalize('Café')") == "cafe");
}

BOOST_AUTO_TEST_CASE(tokens_split_words_with_and_without_spaces) {
    auto joined = [](const std::vector<std::string>& v) {
        std::string out;
        for (const auto& s : v) out += (out.empty() ? "" : "|") + s;
        return out;
    };
    BOOST_TEST(joined(wordTokens("Hello, world! It's 2026.")) == "Hello|world|It's|2026");
    BOOST_TEST(joined(wordTokens("Grüß Gott, schöne Straße")) == "Grüß|Gott|schöne|Straße");
    BOOST_TEST(joined(wordTokens("Café au lait")) == "Café|au|lait");
    auto japanese = wordTokens("今日は良い天気です");
    BOOST_TEST(joined(japanese) == "今日|は|良い|天気|です");
    auto thai = wordTokens("สวัสดีครับ ยินดีต้อนรับ");
    BOOST_TEST(thai.size() >= 3u, joined(thai));
    BOOST_TEST(thai.front() == "สวัสดี", joined(thai));
    BOOST_TEST(wordTokens("  ...  ").empty());
    Rules rules;
    BOOST_TEST(evalInRule(rules, "table.concat(parley.text.tokens('今日は良い天気です'), '|')") ==
               "今日|は|良い|天気|です");
}

BOOST_AUTO_TEST_CASE(import_runs_a_helper_once_per_state_and_returns_what_it_returns) {
    core_test::TempDir dir;
    std::filesystem::create_directories(dir.file("lib/text"));
    dir.write("lib/greet.lua",
              "loads = (loads or 0) + 1\nreturn {hello = function(name) return 'Hello, ' .. name end}\n");
    dir.write("lib/text/words.lua", "return {first = function(s) return s:match('%a+') end}\n");
    dir.write("lib/broken.lua", "return {\n");
    Rules rules;
    rules.scripts_dir = dir.file("");
    rules.add("use.lua", R"(
local greet = parley.import("lib/greet")
local again = parley.import("lib/greet")
local words = parley.import("lib/text/words")
parley.on("message.inbound", function(ctx)
  ctx:reply(greet.hello(words.first(ctx.message.text)) .. " " .. tostring(loads) .. " " .. tostring(greet == again))
end)
)");
    auto result = rules.say("Ana says hi");
    BOOST_REQUIRE(result.failures.empty());
    BOOST_TEST(text(result.actions[0], "text") == "Hello, Ana 1 true");
    struct Case {
        const char* name;
        const char* message;
    };
    const Case cases[] = {
        {"lib/missing", "cannot read 'lib/missing.lua'"}, {"lib/broken", "lib/broken.lua:2:"},
        {"../etc/passwd", "is not a helper name"},        {"lib/../../x", "is not a helper name"},
        {"bot/greeting", "is not a helper name"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.name) {
            auto message = core_test::errorMessageFrom<LuaError>(
                [&] { rules.add("imp.lua", std::string("parley.import('") + c.name + "')"); });
            BOOST_REQUIRE(message.has_value());
            BOOST_TEST(contains(*message, c.message), *message);
        }
    }
}

BOOST_AUTO_TEST_CASE(results_of_host_functions_count_against_the_memory_limit) {
    Rules rules;  // 4 MiB per state; a million-entry token list needs far more
    rules.add("hungry.lua", R"(
parley.on("message.inbound", function(ctx)
  local ok, err = pcall(parley.text.tokens, ("a "):rep(500000))
  ctx:reply("survived " .. tostring(ok))
end)
)");
    auto result = rules.say("x");
    BOOST_REQUIRE(result.failures.size() == 1u);
    BOOST_TEST(contains(result.failures[0], "memory"), result.failures[0]);
    BOOST_TEST(result.actions.empty());
    rules.registry.removeOwner("lua:hungry.lua");
    BOOST_TEST(evalInRule(rules, "#parley.text.tokens('still fine here')") == "3");
}

BOOST_AUTO_TEST_CASE(log_and_print_reach_the_log_with_their_level) {
    Rules rules;
    rules.add("talk.lua", "parley.log('warning', 'careful')\nprint('plain', 1)");
    BOOST_REQUIRE(rules.log.size() == 2u);
    BOOST_TEST(rules.log[0] == "warning: careful");
    BOOST_TEST(rules.log[1] == "info: plain\t1");
    auto message =
        core_test::errorMessageFrom<LuaError>([&] { rules.add("talk2.lua", "parley.log('loud', 'x')"); });
    BOOST_REQUIRE(message.has_value());
    BOOST_TEST(contains(*message, "level must be debug, info, warning or error"));
}

BOOST_AUTO_TEST_CASE(a_rule_failing_max_failures_times_in_a_row_is_disabled_and_the_others_run_on) {
    Rules rules;
    std::vector<std::string> disabled;
    auto script = rules.add("flaky.lua", R"(
parley.on("message.inbound", function(ctx)
  if ctx.message.text == "boom" then error("exploded") end
  ctx:reply("fine")
end)
parley.on("message.inbound", function(ctx) ctx:reply("other rule") end, {priority = 200})
)",
                            3);
    script->on_disabled = [&](const std::string& message) { disabled.push_back(message); };
    rules.say("boom");
    rules.say("boom");
    BOOST_TEST(rules.say("ok").actions.size() == 2u);  // a success resets the count
    for (int i = 0; i < 2; ++i) BOOST_TEST(rules.say("boom").failures.size() == 1u);
    BOOST_TEST(disabled.empty());
    auto third = rules.say("boom");
    BOOST_TEST(third.failures.size() == 1u);
    BOOST_REQUIRE(disabled.size() == 1u);
    BOOST_TEST(
        contains(disabled[0], "flaky.lua:2: rule for 'message.inbound' disabled after 3 failures in a row"),
        disabled[0]);
    BOOST_TEST(contains(disabled[0], "flaky.lua:3: exploded"), disabled[0]);
    auto after = rules.say("ok");
    BOOST_TEST(after.failures.empty());
    BOOST_REQUIRE(after.actions.size() == 1u);
    BOOST_TEST(text(after.actions[0], "text") == "other rule");
    auto status = script->status();
    BOOST_TEST(status[0].disabled);
    BOOST_TEST(status[0].failures == 5);
    BOOST_TEST(!status[1].disabled);
    BOOST_TEST(!script->allDisabled());
}

BOOST_AUTO_TEST_SUITE_END()

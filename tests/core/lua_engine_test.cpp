// Proves the script engine loads a folder, reloads edits atomically, keeps the old version on a broken edit,
// disables failing rules, and that the transcript runner reports differences with their line numbers.
#include <Poco/Logger.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <sstream>
#include <thread>

#include "lua/script_engine.hpp"
#include "lua/transcript.hpp"
#include "support.hpp"

using namespace parley::core;
using core_test::contains;
namespace fs = std::filesystem;

namespace {

// A scripts folder with an engine on it (no watcher unless asked) and a way to talk to the rules.
struct Folder {
    core_test::TempDir dir;
    HookRegistry hooks;
    MemoryKvStore kv;
    std::unique_ptr<ScriptEngine> engine;

    explicit Folder(int reload_interval_ms = 0, int max_failures = 3) {
        ScriptEngineOptions options;
        options.scripts_dir = dir.file("");
        options.limits.time_ms = 2000;
        options.max_failures = max_failures;
        options.reload_interval_ms = reload_interval_ms;
        Poco::Logger& log = Poco::Logger::get("lua-engine-test");
        log.setLevel("fatal");  // failures are expected here; the status is what the tests read
        engine = std::make_unique<ScriptEngine>(options, hooks, &kv, log);
    }

    // Writes a file and moves its mtime forward, so a same-second, same-size edit is still seen.
    void write(const std::string& name, const std::string& code) {
        fs::create_directories(fs::path(dir.file(name)).parent_path());
        std::string path = dir.write(name, code);
        static int bump = 0;
        fs::last_write_time(path, fs::file_time_type::clock::now() + std::chrono::seconds(++bump));
    }

    static std::string replying(const std::string& text) {
        return "parley.on('message.inbound', function(ctx) ctx:reply('" + text + "') end)\n";
    }

    // The texts replied to one message, joined by "|".
    std::string replies(const std::string& text = "hi") {
        Event event;
        event.name = "message.inbound";
        event.payload =
            parseJsonObject(R"({"message": {"text": "", "type": "text"}, "conversation": {"id": "c"}})", 8);
        event.payload->getObject("message")->set("text", text);
        auto result = hooks.dispatch(event);
        std::string out;
        for (const auto& a : result.actions)
            out += (out.empty() ? "" : "|") + a->getValue<std::string>("text");
        return out;
    }

    const ScriptFileStatus* find(const std::vector<ScriptFileStatus>& status, const std::string& file) {
        for (const auto& s : status)
            if (s.file == file) return &s;
        return nullptr;
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(lua_engine)

BOOST_AUTO_TEST_CASE(loads_every_lua_file_recursively_but_not_lib_helpers) {
    Folder f;
    f.write("bot/a.lua", Folder::replying("a"));
    f.write("spam/deep/b.lua", Folder::replying("b"));
    f.write("lib/helper.lua", Folder::replying("helper"));
    f.write("bot/notes.txt", "not a script");
    f.write("bot/.#a.lua", Folder::replying("editor lock file"));
    auto status = f.engine->reload();
    BOOST_REQUIRE(status.size() == 2u);
    BOOST_TEST(status[0].file == "bot/a.lua");
    BOOST_TEST(status[1].file == "spam/deep/b.lua");
    BOOST_TEST(status[0].state == "loaded");
    BOOST_TEST(status[0].hooks == 1u);
    BOOST_TEST(f.replies() == "a|b");
    BOOST_TEST(f.hooks.size() == 2u);
}

BOOST_AUTO_TEST_CASE(an_edited_file_is_picked_up_by_reload_and_a_removed_one_unregistered) {
    Folder f;
    f.write("bot/a.lua", Folder::replying("first"));
    f.write("bot/b.lua", Folder::replying("b"));
    f.engine->reload();
    BOOST_TEST(f.replies() == "first|b");
    f.write("bot/a.lua", Folder::replying("second"));
    f.engine->reload(false);
    BOOST_TEST(f.replies() == "second|b");
    fs::remove(f.dir.file("bot/b.lua"));
    auto status = f.engine->reload(false);
    BOOST_TEST(status.size() == 1u);
    BOOST_TEST(f.replies() == "second");
    BOOST_TEST(f.hooks.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_broken_edit_keeps_the_old_version_running_and_reports_why) {
    Folder f;
    f.write("bot/a.lua", Folder::replying("working"));
    f.engine->reload();
    f.write("bot/a.lua", "parley.on('message.inbound', function(ctx)\n  ctx:reply('x'\nend)\n");
    auto status = f.engine->reload(false);
    const ScriptFileStatus* a = f.find(status, "bot/a.lua");
    BOOST_REQUIRE(a);
    BOOST_TEST(a->state == "loaded");
    BOOST_TEST(contains(a->error, "bot/a.lua:3:"), a->error);
    BOOST_TEST(f.replies() == "working");
    BOOST_TEST(a->toJson()->getValue<std::string>("error") == a->error);

    // A brand-new broken file has no version to keep.
    f.write("bot/new.lua", "error('not today')");
    status = f.engine->reload(false);
    const ScriptFileStatus* n = f.find(status, "bot/new.lua");
    BOOST_REQUIRE(n);
    BOOST_TEST(n->state == "failed");
    BOOST_TEST(contains(n->error, "bot/new.lua:1: not today"), n->error);
    BOOST_TEST(n->hooks == 0u);

    // Fixing the file clears the error.
    f.write("bot/a.lua", Folder::replying("fixed"));
    status = f.engine->reload(false);
    BOOST_TEST(f.find(status, "bot/a.lua")->error.empty());
    BOOST_TEST(f.replies() == "fixed");
}

BOOST_AUTO_TEST_CASE(a_failing_rule_is_disabled_after_max_failures_and_a_reload_brings_it_back) {
    Folder f(0, 3);
    f.write("bot/flaky.lua", "parley.on('message.inbound', function(ctx) error('always') end)\n");
    f.engine->reload();
    for (int i = 0; i < 3; ++i) f.replies();
    auto status = f.engine->status();
    BOOST_REQUIRE(status.size() == 1u);
    BOOST_TEST(status[0].state == "disabled");
    BOOST_TEST(status[0].failures == 3);
    BOOST_REQUIRE(status[0].rules.size() == 1u);
    BOOST_TEST(status[0].rules[0].disabled);
    BOOST_TEST(contains(status[0].rules[0].last_error, "bot/flaky.lua:1: always"),
               status[0].rules[0].last_error);
    BOOST_TEST(contains(status[0].error, "every rule is disabled"), status[0].error);
    // Disabled: dispatches no longer run it, so no more failures pile up.
    f.replies();
    BOOST_TEST(f.engine->status()[0].failures == 3);
    // A forced reload (POST /api/v1/scripts/reload) builds a new state with fresh counters.
    status = f.engine->reload(true);
    BOOST_TEST(status[0].state == "loaded");
    BOOST_TEST(status[0].failures == 0);
}

BOOST_AUTO_TEST_CASE(a_changed_lib_helper_reloads_the_files_that_may_import_it) {
    Folder f;
    f.write("lib/words.lua", "return {greeting = 'hello'}\n");
    f.write("bot/a.lua",
            "local w = parley.import('lib/words')\n"
            "parley.on('message.inbound', function(ctx) ctx:reply(w.greeting) end)\n");
    f.engine->reload();
    BOOST_TEST(f.replies() == "hello");
    f.write("lib/words.lua", "return {greeting = 'bonjour'}\n");
    f.engine->reload(false);
    BOOST_TEST(f.replies() == "bonjour");
}

BOOST_AUTO_TEST_CASE(the_watcher_picks_up_an_edit_by_itself_and_stops_cleanly) {
    Folder f(20);
    f.write("bot/a.lua", Folder::replying("before"));
    f.engine->start();
    BOOST_TEST(f.replies() == "before");
    f.write("bot/a.lua", Folder::replying("after"));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (f.replies() != "after" && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    BOOST_TEST(f.replies() == "after");
    auto started = std::chrono::steady_clock::now();
    f.engine->stop();
    BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::seconds(1)));
}

BOOST_AUTO_TEST_CASE(a_missing_scripts_folder_means_no_rules_not_an_error) {
    Folder f;
    fs::remove_all(f.dir.file("gone"));
    ScriptEngineOptions options;
    options.scripts_dir = f.dir.file("gone");
    Poco::Logger& log = Poco::Logger::get("lua-engine-test");
    ScriptEngine engine(options, f.hooks, nullptr, log);
    BOOST_TEST(engine.reload().empty());
}

BOOST_AUTO_TEST_CASE(the_engine_takes_its_hooks_with_it_when_destroyed) {
    Folder f;
    f.write("bot/a.lua", Folder::replying("a"));
    f.engine->reload();
    BOOST_TEST(f.hooks.size() == 1u);
    f.engine.reset();
    BOOST_TEST(f.hooks.size() == 0u);
}

BOOST_AUTO_TEST_CASE(the_transcript_runner_reports_each_difference_with_its_line) {
    core_test::TempDir dir;
    fs::create_directories(dir.file("bot"));
    std::string script = dir.write("bot/echo.lua", R"(-- Replies "echo: <text>"; "help" hands off.
parley.on("message.inbound", function(ctx)
  if ctx.message.text == "help" then
    ctx:reply("Connecting you")
    ctx:handoff("asked")
    return
  end
  if ctx.message.text == "crash" then error("on purpose") end
  ctx:reply("echo: " .. ctx.message.text)
  ctx:set("last", ctx.message.text)
end)
)");
    std::string transcript = dir.write("bot/echo.transcript", R"(# a conversation
visitor: one
bot: echo: one
! set last=one

visitor: two
bot: echo: TWO
visitor: help
bot: Connecting you
! flag spam
visitor: three
visitor: crash
! handoff
nonsense line
)");
    std::ostringstream out;
    TranscriptOptions options;
    options.scripts_dir = dir.file("");
    int code = runTranscript(script, transcript, options, out);
    std::string text = out.str();
    BOOST_TEST(code == 1);
    BOOST_TEST(contains(text, transcript + ":7: expected bot \"echo: TWO\", got \"echo: two\""), text);
    BOOST_TEST(contains(text, transcript + ":10: expected flag \"spam\", got none"), text);
    BOOST_TEST(contains(text, transcript + ":8: unexpected handoff \"asked\""), text);
    BOOST_TEST(contains(text, transcript + ":11: unexpected bot \"echo: three\""), text);
    BOOST_TEST(contains(text, "bot/echo.lua:8: on purpose"), text);
    BOOST_TEST(contains(text, transcript + ":13: expected handoff, got none"), text);
    BOOST_TEST(contains(text, transcript + ":14: cannot read this line"), text);
    BOOST_TEST(contains(text, "5 turns, 6 expectations, 7 failed"), text);

    std::string good = dir.write("bot/good.transcript", "visitor: one\nbot: echo: one\n! set last=one\n");
    std::ostringstream out2;
    BOOST_TEST(runTranscript(script, good, options, out2) == 0, out2.str());
    BOOST_TEST(contains(out2.str(), "1 turns, 2 expectations, 0 failed"), out2.str());

    std::ostringstream out3;
    BOOST_TEST(runTranscript(script, dir.file("missing.transcript"), options, out3) == 2);
}

BOOST_AUTO_TEST_CASE(the_transcript_runner_applies_time_and_context_and_reports_a_broken_file) {
    core_test::TempDir dir;
    std::string script = dir.write("ctx.lua", R"(
parley.on("message.inbound", function(ctx)
  local t = parley.time.localtime("Europe/Madrid")
  ctx:reply(string.format("%02d:%02d %s %s %s", t.hour, t.minute, tostring(ctx.utm.source), ctx.channel,
                          tostring(ctx.visitor.page_url)))
  if ctx.conversation.attributes.vip then ctx:reply("vip") end
end)
)");
    std::string transcript = dir.write("ctx.transcript", R"(@time 2026-11-23T10:30 Europe/Madrid
@context utm_source=google channel=whatsapp page_url="https://shop.example/p?q=1" attr.vip=yes
visitor: hi
bot: 10:30 google whatsapp https://shop.example/p?q=1
bot: vip
@time 2026-11-23T18:05:00 UTC
visitor: again
bot: 19:05 google whatsapp https://shop.example/p?q=1
bot: vip
)");
    std::ostringstream out;
    BOOST_TEST(runTranscript(script, transcript, {}, out) == 0, out.str());

    std::string broken = dir.write("broken.lua", "parley.on('message.inbound', function(ctx)\n");
    std::ostringstream out2;
    BOOST_TEST(runTranscript(broken, transcript, {}, out2) == 1);
    BOOST_TEST(contains(out2.str(), "broken.lua:2:"), out2.str());
}

BOOST_AUTO_TEST_SUITE_END()

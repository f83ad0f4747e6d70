// Lua rules as an operator sees them: script status, reload, hot reload, and the offline transcript runner.
#include <Poco/File.h>
#include <Poco/TemporaryFile.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "fixtures.hpp"
#include "store/database.hpp"
#include "store/kv_repository.hpp"
#include "store/migrator.hpp"

using namespace parley::test;

namespace {

const char* kGood =
    "-- Replies to hello.\n"
    "parley.on('message.inbound', function(ctx)\n"
    "  if ctx.message.text == 'hello' then ctx:reply('hi') end\n"
    "end)\n";
const char* kBroken =
    "-- Does not compile.\n"
    "parley.on('message.inbound', function(ctx)\n";

// A scripts folder of its own with bot/good.lua and bot/broken.lua, removed at the end.
struct ScriptsDir {
    std::string path = Poco::TemporaryFile::tempName();
    ScriptsDir() {
        std::filesystem::create_directories(path + "/bot");
        write("bot/good.lua", kGood);
        write("bot/broken.lua", kBroken);
    }
    ~ScriptsDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
    // Writes a file with an mtime in the future, so the watcher sees even a same-second edit.
    void write(const std::string& name, const std::string& text) const {
        std::ofstream(path + "/" + name) << text;
        static int bump = 0;
        std::filesystem::last_write_time(
            path + "/" + name, std::filesystem::file_time_type::clock::now() + std::chrono::seconds(++bump));
    }
};

struct ScriptsWorld {
    ScriptsDir scripts;
    ServerFixture fx;
    explicit ScriptsWorld(const std::string& reload_ms = "0")
        : fx({{"PARLEY_LUA_SCRIPTS_DIR", scripts.path}, {"PARLEY_LUA_RELOAD_INTERVAL_MS", reload_ms}}) {}

    // The status entry of `file` from a GET or reload body.
    static JsonObject entry(const JsonObject& body, const std::string& file) {
        auto list = body->getArray("scripts");
        for (unsigned i = 0; list && i < list->size(); ++i)
            if (list->getObject(i)->getValue<std::string>("file") == file) return list->getObject(i);
        return nullptr;
    }
};

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(scripts)

BOOST_AUTO_TEST_CASE(super_admin_sees_every_file_with_its_state_and_error) {
    ScriptsWorld w;
    Response r = w.fx.root().get("/api/v1/scripts");
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
    JsonObject body = r.json();
    BOOST_TEST(body->getValue<std::string>("scripts_dir") == w.scripts.path);
    BOOST_TEST(body->getArray("scripts")->size() == 2u);
    JsonObject good = ScriptsWorld::entry(body, "bot/good.lua");
    BOOST_REQUIRE(good);
    BOOST_TEST(good->getValue<std::string>("state") == "loaded");
    BOOST_TEST(good->getValue<int>("hooks") == 1);
    BOOST_TEST(good->isNull("error"));
    JsonObject rule = good->getArray("rules")->getObject(0);
    BOOST_TEST(rule->getValue<std::string>("event") == "message.inbound");
    BOOST_TEST(rule->getValue<std::string>("kind") == "filter");
    BOOST_TEST(rule->getValue<int>("line") == 2);
    JsonObject broken = ScriptsWorld::entry(body, "bot/broken.lua");
    BOOST_REQUIRE(broken);
    BOOST_TEST(broken->getValue<std::string>("state") == "failed");
    BOOST_TEST(contains(broken->getValue<std::string>("error"), "bot/broken.lua:3: 'end' expected"),
               broken->getValue<std::string>("error"));
    BOOST_TEST(broken->getValue<int>("hooks") == 0);
    // The server said so in its log, and kept serving.
    BOOST_TEST(contains(w.fx.server.output(), "bot/broken.lua failed to load"), w.fx.server.output());
    BOOST_TEST(w.fx.anonymous().get("/healthz").status == 200);
}

BOOST_AUTO_TEST_CASE(only_a_super_admin_may_read_or_reload_scripts) {
    ScriptsWorld w;
    std::string tenant = w.fx.createTenant("Acme");
    auto [user_id, token] = w.fx.createMember(tenant, "client_admin");
    Client admin = Client(w.fx.server.port()).bearer(token);
    Response get = admin.get("/api/v1/scripts");
    BOOST_TEST(get.status == 403);
    BOOST_TEST(get.errorCode() == "forbidden");
    Response post = admin.post("/api/v1/scripts/reload", "");
    BOOST_TEST(post.status == 403);
    BOOST_TEST(w.fx.anonymous().get("/api/v1/scripts").status == 401);
    BOOST_TEST(w.fx.anonymous().post("/api/v1/scripts/reload", "").status == 401);
}

BOOST_AUTO_TEST_CASE(reload_answers_200_with_each_file_and_keeps_a_broken_edit_from_replacing_a_good_file) {
    ScriptsWorld w;
    // Fix the broken file, break the good one.
    w.scripts.write("bot/broken.lua", kGood);
    w.scripts.write("bot/good.lua", "parley.on('message.inbound', function(ctx)\n  ctx:reply(\n");
    Response r = w.fx.root().post("/api/v1/scripts/reload", "");
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
    JsonObject body = r.json();
    JsonObject fixed = ScriptsWorld::entry(body, "bot/broken.lua");
    BOOST_REQUIRE(fixed);
    BOOST_TEST(fixed->getValue<std::string>("state") == "loaded");
    BOOST_TEST(fixed->isNull("error"));
    JsonObject good = ScriptsWorld::entry(body, "bot/good.lua");
    BOOST_REQUIRE(good);
    BOOST_TEST(good->getValue<std::string>("state") == "loaded");  // the previous version still runs
    BOOST_TEST(good->getValue<int>("hooks") == 1);
    BOOST_TEST(contains(good->getValue<std::string>("error"), "bot/good.lua:3:"),
               good->getValue<std::string>("error"));
    // A removed file disappears from the list.
    std::filesystem::remove(w.scripts.path + "/bot/broken.lua");
    body = w.fx.root().post("/api/v1/scripts/reload", "").json();
    BOOST_TEST(body->getArray("scripts")->size() == 1u);
}

BOOST_AUTO_TEST_CASE(an_edited_file_is_reloaded_by_the_watcher_without_a_request) {
    ScriptsWorld w("100");
    w.scripts.write("bot/broken.lua", kGood);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::string state;
    while (std::chrono::steady_clock::now() < deadline) {
        JsonObject entry = ScriptsWorld::entry(w.fx.root().get("/api/v1/scripts").json(), "bot/broken.lua");
        state = entry ? entry->getValue<std::string>("state") : "";
        if (state == "loaded") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    BOOST_TEST(state == "loaded");
}

BOOST_AUTO_TEST_CASE(script_test_reports_a_wrong_expectation_with_its_line_and_needs_no_database) {
    ScriptsDir dir;
    std::ofstream(dir.path + "/bot/good.transcript") << "# expects the wrong reply on line 3\n"
                                                        "visitor: hello\n"
                                                        "bot: hello to you\n";
    TestDatabase unused;
    Parleyd parleyd(unused, {{"PARLEY_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none"},
                             {"PARLEY_LUA_SCRIPTS_DIR", dir.path}});
    auto r =
        parleyd.command({"script", "test", dir.path + "/bot/good.lua", dir.path + "/bot/good.transcript"});
    BOOST_TEST(r.exit_code == 1, r.output);
    BOOST_TEST(
        contains(r.output, dir.path + "/bot/good.transcript:3: expected bot \"hello to you\", got \"hi\""),
        r.output);
    BOOST_TEST(contains(r.output, "1 turns, 1 expectations, 1 failed"), r.output);

    std::ofstream(dir.path + "/bot/good.transcript") << "visitor: hello\nbot: hi\nvisitor: bye\n! none\n";
    r = parleyd.command({"script", "test", dir.path + "/bot/good.lua", dir.path + "/bot/good.transcript"});
    BOOST_TEST(r.exit_code == 0, r.output);
    BOOST_TEST(contains(r.output, "2 turns, 2 expectations, 0 failed"), r.output);
}

BOOST_AUTO_TEST_CASE(the_kv_store_upserts_reads_and_deletes_on_this_database) {
    TestDatabase db;
    parley::core::DatabaseConfig config;
    config.url = db.url();
    config.pool_size = 2;
    parley::core::Database database(config);
    parley::core::applyMigrations(
        database, "core",
        parley::core::selectMigrations(parley::core::coreMigrationFiles(), database.backend()));
    parley::core::DatabaseKvStore kv(database);
    BOOST_TEST(!kv.get("lua:bot/a.lua", "count").has_value());
    kv.set("lua:bot/a.lua", "count", "1");
    kv.set("lua:bot/a.lua", "count", "2");  // the second write replaces the first
    kv.set("lua:bot/b.lua", "count", R"({"n":"other file"})");
    BOOST_TEST(kv.get("lua:bot/a.lua", "count").value_or("") == "2");
    BOOST_TEST(kv.get("lua:bot/b.lua", "count").value_or("") == R"({"n":"other file"})");
    kv.remove("lua:bot/a.lua", "count");
    kv.remove("lua:bot/a.lua", "never-set");
    BOOST_TEST(!kv.get("lua:bot/a.lua", "count").has_value());
    BOOST_TEST(kv.get("lua:bot/b.lua", "count").has_value());
    BOOST_CHECK_THROW(kv.set("lua:bot/a.lua", std::string(201, 'k'), "1"), std::length_error);
    BOOST_CHECK_THROW(kv.set("lua:bot/a.lua", "big", std::string(70000, '1')), std::length_error);
}

BOOST_AUTO_TEST_SUITE_END()

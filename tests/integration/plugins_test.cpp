// The plugin host with real shared libraries: the echo example works, a plugin built for an older ABI minor
// loads, every broken plugin is disabled or contained with a clear reason, and the host keeps serving.
#include "fixtures.hpp"

#include <parley/plugin.h>

#include <Poco/File.h>

#include <chrono>
#include <fstream>

using namespace parley::test;

namespace {

const std::string kAll =
    "echo,bad_manifest,wrong_abi,wrong_abi_library,older_minor,throws_in_load,throws_in_hook,crashes_route,"
    "missing_dependency,config_bounds,no_entry,not_installed";

std::string pluginPath() {
    return std::string(PARLEY_BINARY_DIR) + "/plugins," + PARLEY_BINARY_DIR + "/tests/plugins";
}

struct PluginServer {
    TestDatabase db;
    Parleyd server;
    std::string root_token;
    PluginServer()
        : server(db, {{"PARLEY_PLUGINS", kAll}, {"PARLEY_PLUGINS_PATH", pluginPath()}, {"PARLEY_LOG_LEVEL", "information"}},
                 R"({"plugins": {"config_bounds": {"max_items": 50, "token": "s3cret"}, "echo": {"prefix": "say "}}})") {
        server.start();
        root_token = server.superAdminToken();
    }
    Client root() const { return Client(server.port()).bearer(root_token); }

    std::map<std::string, JsonObject> plugins() const {
        Response r = root().get("/api/v1/plugins");
        BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
        std::map<std::string, JsonObject> out;
        JsonArray list = r.json()->getArray("plugins");  // keep it alive through the loop
        for (const auto& p : *list) {
            auto o = p.extract<JsonObject>();
            out[o->getValue<std::string>("id")] = o;
        }
        return out;
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(plugins)

BOOST_FIXTURE_TEST_CASE(every_broken_plugin_is_disabled_with_its_reason_and_the_rest_load, PluginServer) {
    auto list = plugins();
    struct Expect {
        std::string id, state, reason_part;
    };
    const std::vector<Expect> expected = {
        {"echo", "loaded", ""},
        {"throws_in_hook", "loaded", ""},
        {"crashes_route", "loaded", ""},
        {"bad_manifest", "disabled", "plugin.json: not valid JSON"},
        {"wrong_abi", "disabled", "built for ABI 2.0, this host has 1.6"},
        {"wrong_abi_library", "disabled", "library built for ABI 2.0"},
        {"older_minor", "loaded", ""},
        {"throws_in_load", "disabled", "cannot reach the calendar service"},
        {"missing_dependency", "disabled", "requires plugin 'not_there', which is not in plugins.enabled"},
        {"config_bounds", "disabled", "plugins.config_bounds.max_items must be at most 10 (got 50)"},
        {"no_entry", "disabled", "no parley_plugin_load symbol"},
        {"not_installed", "disabled", "no not_installed/plugin.json in plugins.path"},
    };
    BOOST_TEST(list.size() == expected.size());
    for (const auto& e : expected) {
        BOOST_TEST_CONTEXT("plugin " << e.id) {
            BOOST_REQUIRE(list.count(e.id));
            BOOST_TEST(list[e.id]->getValue<std::string>("state") == e.state);
            std::string reason = list[e.id]->isNull("reason") ? "" : list[e.id]->getValue<std::string>("reason");
            BOOST_TEST(reason.find(e.reason_part) != std::string::npos, "reason: " << reason);
        }
    }
    // One clear log line per disabled plugin.
    BOOST_TEST(server.output().find("plugin 'throws_in_load' disabled: load failed") != std::string::npos);
    BOOST_TEST(Client(server.port()).get("/healthz").status == 200);
    // The plugin built for 1.3 runs, and sees this host's minor and table.
    Response older = Client(server.port()).get("/hooks/older_minor/table");
    BOOST_REQUIRE_MESSAGE(older.status == 200, older.body);
    BOOST_TEST(older.json()->getValue<int>("host_minor") == PARLEY_ABI_MINOR);
    BOOST_TEST(older.json()->getValue<std::size_t>("size") == sizeof(parley_host_api));
}

BOOST_FIXTURE_TEST_CASE(echo_serves_its_admin_and_public_routes_with_tenant_and_role, PluginServer) {
    Response pong = Client(server.port()).get("/hooks/echo/ping");
    BOOST_TEST(pong.status == 200);
    BOOST_TEST(pong.body == "pong");
    Response anonymous = Client(server.port()).get("/api/v1/plugins/echo/echo?text=hi");
    BOOST_TEST(anonymous.status == 401);
    Response echo = root().get("/api/v1/plugins/echo/echo?text=hi");
    BOOST_TEST(echo.status == 200);
    BOOST_TEST(echo.json()->getValue<std::string>("echo") == "hi");
    BOOST_TEST(echo.json()->getValue<std::string>("role") == "super_admin");
    BOOST_TEST(echo.json()->getValue<int>("calls") == 1);
    BOOST_TEST(root().get("/api/v1/plugins/echo/echo?text=again").json()->getValue<int>("calls") == 2);  // kv persists
    BOOST_TEST(root().get("/api/v1/plugins/echo/nope").status == 404);
    Response wrong_method = root().request("DELETE", "/api/v1/plugins/echo/echo");
    BOOST_TEST(wrong_method.status == 405);
    BOOST_TEST(root().get("/api/v1/plugins/throws_in_load/x").errorCode() == "plugin_disabled");
    BOOST_TEST(root().get("/metrics").body.find("parley_plugin_echo_echoes_total 2") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(a_member_sees_their_tenant_and_role_and_no_foreign_tenant, PluginServer) {
    auto body = parley::core::jsonObject();
    body->set("name", std::string("Acme"));
    std::string tenant = root().post("/api/v1/tenants", json(body)).json()->getValue<std::string>("id");
    body->set("name", std::string("Other"));
    std::string other = root().post("/api/v1/tenants", json(body)).json()->getValue<std::string>("id");
    auto member = parley::core::jsonObject();
    member->set("email", std::string("agent@acme.test"));
    member->set("role", std::string("agent"));
    member->set("password", std::string("agent-password-1"));
    BOOST_REQUIRE(root().post("/api/v1/tenants/" + tenant + "/users", json(member)).status == 201);
    Client agent = Client(server.port()).bearer(login(server.port(), "agent@acme.test", "agent-password-1"));
    JsonObject mine = agent.get("/api/v1/plugins/echo/echo?text=x", {{"X-Parley-Tenant", tenant}}).json();
    BOOST_TEST(mine->getValue<std::string>("tenant") == tenant);
    BOOST_TEST(mine->getValue<std::string>("role") == "agent");
    BOOST_TEST(agent.get("/api/v1/plugins/echo/echo?text=x", {{"X-Parley-Tenant", other}}).status == 404);
    // Members see plugin states but not their configuration.
    Response list = agent.get("/api/v1/plugins");
    BOOST_TEST(list.status == 200);
    BOOST_TEST(list.body.find("\"config\"") == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(failing_routes_and_hooks_are_contained, PluginServer) {
    Response boom = Client(server.port()).get("/hooks/crashes_route/boom");
    BOOST_TEST(boom.status == 500);
    BOOST_TEST(boom.errorCode() == "plugin_error");
    BOOST_TEST(boom.body.find("index out of range") != std::string::npos);
    Response silent = Client(server.port()).get("/hooks/crashes_route/silent");
    BOOST_TEST(silent.status == 500);
    BOOST_TEST(silent.body.find("did not answer") != std::string::npos);
    BOOST_TEST(root().post("/api/v1/plugins/echo/emit", R"({"n":1})").status == 202);
    BOOST_TEST(server.waitForOutput("hook failed on test.ping: throws_in_hook"));
    BOOST_TEST(Client(server.port()).get("/hooks/echo/ping").body == "pong");
}

BOOST_FIXTURE_TEST_CASE(secret_settings_are_masked_in_the_plugin_list, PluginServer) {
    // config_bounds is disabled, so check masking on a server where it loads.
    TestDatabase other_db;
    Parleyd other(other_db, {{"PARLEY_PLUGINS", "config_bounds"}, {"PARLEY_PLUGINS_PATH", pluginPath()}},
                  R"({"plugins": {"config_bounds": {"max_items": 7, "token": "s3cret"}}})");
    other.start();
    Response r = Client(other.port()).bearer(other.superAdminToken()).get("/api/v1/plugins");
    BOOST_TEST(r.body.find("s3cret") == std::string::npos);
    BOOST_TEST(r.body.find("\"max_items\":7") != std::string::npos);
    BOOST_TEST(r.body.find("\"state\":\"loaded\"") != std::string::npos);
    CommandResult cli = other.command({"plugins"});
    BOOST_TEST(cli.exit_code == 0);
    BOOST_TEST(cli.output.find("config_bounds 1.0.0  loaded") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_sealed_secret_setting_opens_at_load_and_a_misplaced_one_disables_the_plugin) {
    TestDatabase db;
    Parleyd probe(db, {{"PARLEY_MASTER_KEY", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I="}});
    CommandResult sealed = probe.command({"secrets", "seal", "plugins.config_bounds.token"}, "s3cret\n");
    BOOST_REQUIRE_MESSAGE(sealed.exit_code == 0, sealed.output);
    std::string value = sealed.output.substr(0, sealed.output.find('\n'));
    BOOST_TEST(value.rfind("v1.", 0) == 0);
    BOOST_TEST(value.find("s3cret") == std::string::npos);
    // Sealed for another key: refuses to open, so a value cannot be copied between settings.
    std::string other = probe.command({"secrets", "seal", "plugins.other.token"}, "s3cret").output;
    other = other.substr(0, other.find('\n'));
    std::map<std::string, std::string> env = {{"PARLEY_PLUGINS", "config_bounds"},
                                              {"PARLEY_PLUGINS_PATH", pluginPath()},
                                              {"PARLEY_MASTER_KEY", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I="}};
    TestDatabase good_db, bad_db;
    Parleyd good(good_db, env, R"({"plugins": {"config_bounds": {"token": ")" + value + R"("}}})");
    Parleyd bad(bad_db, env, R"({"plugins": {"config_bounds": {"token": ")" + other + R"("}}})");
    BOOST_TEST(good.command({"plugins"}).output.find("config_bounds 1.0.0  loaded") != std::string::npos);
    std::string refused = bad.command({"plugins"}).output;
    BOOST_TEST(refused.find("cannot open sealed plugins.config_bounds.token") != std::string::npos, refused);
}

BOOST_AUTO_TEST_SUITE_END()

namespace {
struct ProbeServer {
    TestDatabase db;
    Parleyd server;
    explicit ProbeServer(bool allow_private)
        : server(db, {{"PARLEY_PLUGINS", "http_probe"}, {"PARLEY_PLUGINS_PATH", pluginPath()},
                      {"PARLEY_OUTBOUND_ALLOW_PRIVATE", allow_private ? "true" : "false"}}) {
        server.start();
    }
    Response fetch(const std::string& url) const {
        return Client(server.port()).get("/hooks/http_probe/fetch?url=" + url);
    }
};
struct GuardedProbe : ProbeServer {
    GuardedProbe() : ProbeServer(false) {}
};
struct OpenProbe : ProbeServer {
    OpenProbe() : ProbeServer(true) {}
};
}  // namespace

BOOST_AUTO_TEST_SUITE(plugin_services)

BOOST_FIXTURE_TEST_CASE(outgoing_http_to_loopback_is_denied_by_default, GuardedProbe) {
    Response r = fetch("http://127.0.0.1:" + std::to_string(server.port()) + "/healthz");
    BOOST_TEST(r.status == 403);
    BOOST_TEST(r.body.find("private address 127.0.0.1") != std::string::npos);
    BOOST_TEST(fetch("http://10.1.2.3/").status == 403);
    BOOST_TEST(fetch("http://[::1]/").status == 403);
    Response bad = fetch("ftp://example.com/");
    BOOST_TEST(bad.status == 502);
    BOOST_TEST(bad.body.find("http:// or https://") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(outgoing_http_reaches_loopback_when_the_operator_allows_it, OpenProbe) {
    Response r = fetch("http://127.0.0.1:" + std::to_string(server.port()) + "/healthz");
    BOOST_TEST(r.status == 200);
    BOOST_TEST(r.json()->getValue<int>("status") == 200);
    BOOST_TEST(r.json()->getValue<std::string>("body") == R"({"status":"ok"})");
    // Nothing listens on the port of a closed socket: a clear failure after the retry.
    Response refused = fetch("http://127.0.0.1:1/");
    BOOST_TEST(refused.status == 502);
    BOOST_TEST(refused.body.find("failed after 2 attempt(s)") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(plugin_sql_runs_on_its_migrated_table_with_typed_parameters, GuardedProbe) {
    Client c(server.port());
    BOOST_TEST(c.post("/hooks/http_probe/notes", R"([1, "first \"quoted\" note", 2.5, true])").status == 201);
    BOOST_TEST(c.post("/hooks/http_probe/notes", R"([2, "ünïcode ✓", null, false])").status == 201);
    Response duplicate = c.post("/hooks/http_probe/notes", R"([1, "again", 1, false])");
    BOOST_TEST(duplicate.status == 422);  // primary key: the host reports the database's refusal
    Response bad = c.post("/hooks/http_probe/notes", R"({"not": "an array"})");
    BOOST_TEST(bad.status == 422);
    BOOST_TEST(bad.body.find("params must be a JSON array") != std::string::npos);
    JsonArray rows = parley::core::parseJson(c.get("/hooks/http_probe/notes?min=1").body).extract<JsonArray>();
    BOOST_REQUIRE(rows->size() == 2u);
    BOOST_TEST(rows->getObject(0)->getValue<int>("id") == 1);
    BOOST_TEST(rows->getObject(0)->getValue<std::string>("body") == "first \"quoted\" note");
    BOOST_TEST(rows->getObject(0)->getValue<double>("score") == 2.5);
    BOOST_TEST(rows->getObject(0)->getValue<int>("done") == 1);
    BOOST_TEST(rows->getObject(1)->getValue<std::string>("body") == "ünïcode ✓");
    BOOST_TEST(rows->getObject(1)->isNull("score"));
    JsonArray filtered = parley::core::parseJson(c.get("/hooks/http_probe/notes?min=2").body).extract<JsonArray>();
    BOOST_TEST(filtered->size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(plugin_sql_in_a_host_transaction_commits_all_or_nothing, GuardedProbe) {
    Client c(server.port());
    BOOST_TEST(c.post("/hooks/http_probe/notes/pair", R"([[10, "a", 1, true],[11, "b", 2, false]])").status == 201);
    // The second row collides with 10: the first row of this pair must not stay either.
    Response failed = c.post("/hooks/http_probe/notes/pair", R"([[12, "c", 3, true],[10, "dup", 4, false]])");
    BOOST_TEST(failed.status == 422);
    BOOST_TEST(failed.body.find("rolled back") != std::string::npos, failed.body);
    JsonArray rows = parley::core::parseJson(c.get("/hooks/http_probe/notes?min=10").body).extract<JsonArray>();
    BOOST_TEST(rows->size() == 2u);  // 10 and 11, no 12
}

BOOST_FIXTURE_TEST_CASE(channel_inbound_commits_the_plugins_statements_with_the_message_or_not_at_all, GuardedProbe) {
    Client root = Client(server.port()).bearer(server.superAdminToken());
    auto make = [&](const std::string& name) {
        std::string tenant = root.post("/api/v1/tenants", R"({"name":")" + name + R"("})").json()->getValue<std::string>("id");
        std::string widget = root.post("/api/v1/tenants/" + tenant + "/widgets", R"({"name":"Site"})").json()->getValue<std::string>("id");
        return std::pair{tenant, widget};
    };
    auto [tenant, widget] = make("Acme");
    std::string other_widget = make("Other").second;
    auto request = [&, tenant = tenant](const std::string& widget_id, const std::string& wamid, const std::string& note_params) {
        return R"({"channel":"probe","tenant_id":")" + tenant + R"(","widget_id":")" + widget_id +
               R"(","contact_id":"4915550001","message":{"type":"text","text":"hi","client_message_id":")" + wamid +
               R"J("},"with_commit":[{"sql":"INSERT INTO http_probe_notes (id, body, score, done) VALUES (:1, :2, :3, :4)","params":)J" +
               note_params + "}]}";
    };
    Client c(server.port());
    const std::string note100 = R"([100, {"host": "conversation_id"}, {"host": "created_at"}, 1])";
    Response first = c.post("/hooks/http_probe/inbound", request(widget, "wamid.1", note100));
    BOOST_REQUIRE_MESSAGE(first.status == 201, first.body);
    BOOST_TEST(first.json()->getValue<bool>("created"));
    BOOST_TEST(!first.json()->getValue<bool>("duplicate"));
    std::string conversation = first.json()->getObject("conversation")->getValue<std::string>("id");
    JsonObject message = first.json()->getObject("message");
    JsonArray notes = parley::core::parseJson(c.get("/hooks/http_probe/notes?min=100").body).extract<JsonArray>();
    BOOST_REQUIRE(notes->size() == 1u);
    BOOST_TEST(notes->getObject(0)->getValue<std::string>("body") == conversation);  // the host's values
    BOOST_TEST(notes->getObject(0)->getValue<double>("score") == message->getValue<double>("created_at"));

    // Delivered again: stored once, and its statements do not run again (they would collide on note 100).
    Response again = c.post("/hooks/http_probe/inbound", request(widget, "wamid.1", note100));
    BOOST_REQUIRE_MESSAGE(again.status == 201, again.body);
    BOOST_TEST(again.json()->getValue<bool>("duplicate"));
    BOOST_TEST(again.json()->getObject("message")->getValue<std::string>("id") == message->getValue<std::string>("id"));

    // A statement that fails stores nothing: the same message id then goes in as new.
    Response failed = c.post("/hooks/http_probe/inbound", request(widget, "wamid.2", note100));
    BOOST_TEST(failed.status == 422, failed.body);
    Response retried = c.post("/hooks/http_probe/inbound", request(widget, "wamid.2", R"([101, "b", null, 2])"));
    BOOST_REQUIRE_MESSAGE(retried.status == 201, retried.body);
    BOOST_TEST(!retried.json()->getValue<bool>("duplicate"));
    BOOST_TEST(!retried.json()->getValue<bool>("created"));
    BOOST_TEST(retried.json()->getObject("conversation")->getValue<std::string>("id") == conversation);
    BOOST_TEST(parley::core::parseJson(c.get("/hooks/http_probe/notes?min=100").body).extract<JsonArray>()->size() == 2u);

    // Malformed placeholders and another tenant's widget are refused before anything is stored.
    Response placeholder = c.post("/hooks/http_probe/inbound", request(widget, "wamid.3", R"([102, {"host": "nope"}, null, 1])"));
    BOOST_TEST(placeholder.status == 422);
    BOOST_TEST(placeholder.body.find("with_commit") != std::string::npos, placeholder.body);
    Response nested = c.post("/hooks/http_probe/inbound", request(widget, "wamid.3", R"([102, [1], null, 1])"));
    BOOST_TEST(nested.status == 422);
    BOOST_TEST(nested.body.find("params may hold only") != std::string::npos, nested.body);
    Response foreign = c.post("/hooks/http_probe/inbound", request(other_widget, "wamid.3", R"([102, "c", null, 1])"));
    BOOST_TEST(foreign.status == 404, foreign.body);
    BOOST_TEST(parley::core::parseJson(c.get("/hooks/http_probe/notes?min=100").body).extract<JsonArray>()->size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(a_scheduled_job_runs_and_records_its_runs, OpenProbe) {
    // The first registration makes the job due at once; the scheduler checks every second.
    int ticks = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (ticks < 1 && std::chrono::steady_clock::now() < deadline)
        ticks = Client(server.port()).get("/hooks/http_probe/ticks").json()->getValue<int>("ticks");
    BOOST_TEST(ticks >= 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(plugin_lua_functions)

BOOST_AUTO_TEST_CASE(a_lua_rule_calls_plugin_functions_and_the_guarded_http_client) {
    TestDatabase db;
    std::string scripts = db.dataDir() + "/scripts";
    Poco::File(scripts).createDirectories();
    Parleyd server(db, {{"PARLEY_PLUGINS", "echo,lua_probe"},
                        {"PARLEY_PLUGINS_PATH", pluginPath()},
                        {"PARLEY_LUA_SCRIPTS_DIR", scripts},
                        {"PARLEY_OUTBOUND_ALLOWED_HOSTS", "127.0.0.1"},
                        {"PARLEY_LOG_LEVEL", "information"}});
    std::string port = std::to_string(server.port());
    std::ofstream(scripts + "/probe.lua") << R"(-- Calls the lua_probe plugin's functions and parley.http when echo emits test.ping.
parley.on("test.ping", function(ctx)
  local ok, err = pcall(parley.probe.fail)
  local health = parley.http.request{url = "http://127.0.0.1:)" + port + R"(/healthz"}
  local denied_ok, denied = pcall(parley.http.request, {url = "http://localhost:)" + port + R"(/healthz"})
  parley.probe.record({doubled = parley.probe.double(21), failed = not ok, message = tostring(err),
                       health = health.status, health_body = health.body, denied = tostring(denied)})
end, {kind = "notification"})
)";
    server.start();
    Client root = Client(server.port()).bearer(server.superAdminToken());
    BOOST_REQUIRE(root.post("/api/v1/plugins/echo/emit", "{}").status == 202);
    Response last = Client(server.port()).get("/hooks/lua_probe/last");
    BOOST_REQUIRE_MESSAGE(last.status == 200 && last.body != "null", last.body + "\n" + server.output());
    // record() got its arguments as a JSON array: [{...}]
    BOOST_TEST(last.body.find("\"doubled\":42") != std::string::npos, last.body);
    BOOST_TEST(last.body.find("\"failed\":true") != std::string::npos, last.body);
    BOOST_TEST(last.body.find("the probe refuses") != std::string::npos, last.body);
    BOOST_TEST(last.body.find("\"health\":200") != std::string::npos, last.body);
    BOOST_TEST(last.body.find("private address") != std::string::npos, last.body);  // localhost is not listed
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(core_events)

BOOST_AUTO_TEST_CASE(a_widget_change_reaches_hooks_as_widget_updated_after_the_commit) {
    TestDatabase db;
    std::string scripts = db.dataDir() + "/scripts";
    Poco::File(scripts).createDirectories();
    std::ofstream(scripts + "/watch.lua") << R"(-- Records each widget change through the lua_probe plugin.
parley.on("widget.updated", function(ctx)
  parley.probe.record({version = ctx.widget.version, name = ctx.widget.name, tenant = ctx.tenant_id})
end, {kind = "notification"})
)";
    Parleyd server(db, {{"PARLEY_PLUGINS", "lua_probe"}, {"PARLEY_PLUGINS_PATH", pluginPath()},
                        {"PARLEY_LUA_SCRIPTS_DIR", scripts}});
    server.start();
    Client root = Client(server.port()).bearer(server.superAdminToken());
    std::string tenant = root.post("/api/v1/tenants", R"({"name":"Acme"})").json()->getValue<std::string>("id");
    std::string widget =
        root.post("/api/v1/tenants/" + tenant + "/widgets", R"({"name":"Site"})").json()->getValue<std::string>("id");
    BOOST_REQUIRE(root.patch("/api/v1/tenants/" + tenant + "/widgets/" + widget, R"({"name":"Shop"})").status == 200);
    Response last = Client(server.port()).get("/hooks/lua_probe/last");
    BOOST_TEST(last.body.find("\"version\":2") != std::string::npos, last.body);
    BOOST_TEST(last.body.find("\"name\":\"Shop\"") != std::string::npos, last.body);
    BOOST_TEST(last.body.find(tenant) != std::string::npos, last.body);
}

BOOST_AUTO_TEST_SUITE_END()

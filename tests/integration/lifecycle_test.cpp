// The server as an operator sees it: restarts, migrations, shutdown, commands, health, metrics, static files.
#include "fixtures.hpp"

#include <Poco/Net/StreamSocket.h>

#include <chrono>

using namespace parley::test;
using parley::core::jsonObject;

BOOST_AUTO_TEST_SUITE(lifecycle)

BOOST_AUTO_TEST_CASE(a_restart_keeps_tenants_widgets_users_and_sessions) {
    TestDatabase db;
    Parleyd server(db, {{"PARLEY_LOG_LEVEL", "information"}});
    server.start();
    std::string token = server.superAdminToken();
    Client root = Client(server.port()).bearer(token);
    auto body = jsonObject();
    body->set("name", std::string("Durable"));
    std::string tenant = root.post("/api/v1/tenants", json(body)).json()->getValue<std::string>("id");
    auto widget = jsonObject();
    widget->set("name", std::string("Site"));
    std::string key = root.post("/api/v1/tenants/" + tenant + "/widgets", json(widget)).json()->getValue<std::string>("public_key");
    BOOST_TEST(server.stop() == 0);

    server.start();
    Client again = Client(server.port()).bearer(token);  // the same session token still works
    BOOST_TEST(again.get("/api/v1/tenants/" + tenant).json()->getValue<std::string>("name") == "Durable");
    BOOST_TEST(Client(server.port()).get("/api/v1/widgets/" + key + "/config").status == 200);
    BOOST_TEST(server.output().find("0 migrations applied") != std::string::npos);
}

// Poco's two-argument bind sets SO_REUSEPORT too: a second server on a taken port then started without a word
// and the kernel shared the connections between the two. It must refuse, and say why.
BOOST_AUTO_TEST_CASE(a_second_parleyd_on_a_taken_port_refuses_to_start_and_says_why) {
    TestDatabase db, other;
    Parleyd first(db);
    first.start();
    std::string port = std::to_string(first.port());
    Parleyd second(other, {{"PARLEY_HTTP_PORT", port}});
    std::string out = second.startOnce();
    BOOST_TEST(out.find("parleyd listening on") == std::string::npos, out);
    BOOST_TEST(out.find("cannot listen on 127.0.0.1:" + port) != std::string::npos, out);
    BOOST_TEST(out.find("Address already in use") != std::string::npos, out);
    BOOST_TEST(Client(first.port()).get("/healthz").status == 200);  // the first one still serves
}

BOOST_AUTO_TEST_CASE(migrate_twice_applies_nothing_the_second_time) {
    TestDatabase db;
    Parleyd server(db);
    CommandResult first = server.command({"migrate"});
    BOOST_TEST(first.exit_code == 0);
    BOOST_TEST(first.output.find("applying migration 1 create_core") != std::string::npos);
    CommandResult second = server.command({"migrate"});
    BOOST_TEST(second.exit_code == 0);
    BOOST_TEST(second.output.find("applying") == std::string::npos);
    BOOST_TEST(second.output.find("0 migrations applied") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(sigterm_finishes_cleanly_with_exit_code_zero) {
    TestDatabase db;
    Parleyd server(db, {{"PARLEY_LOG_LEVEL", "information"}});
    server.start();
    BOOST_TEST(Client(server.port()).get("/healthz").status == 200);
    BOOST_TEST(server.stop() == 0);
    std::string out = server.output();
    BOOST_TEST(out.find("shutting down") != std::string::npos);
    BOOST_TEST(out.find("\"stopped\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(sigterm_lets_a_request_in_flight_finish_before_exiting) {
    TestDatabase db;
    Parleyd server(db, {{"PARLEY_LOG_LEVEL", "information"}});
    server.start();
    std::string body = R"({"email":"someone@example.com","password":"not-the-right-one","mode":"bearer"})";
    Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(server.port())));
    std::string head = "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                       "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    std::string first = head + body.substr(0, 10);
    socket.sendBytes(first.data(), static_cast<int>(first.size()));
    // Wait until the handler is reading the body: /metrics then counts two requests in flight (itself too).
    bool in_flight = false;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!in_flight && std::chrono::steady_clock::now() < deadline)
        in_flight = Client(server.port()).get("/metrics").body.find("parley_http_in_flight_requests 2") != std::string::npos;
    BOOST_REQUIRE(in_flight);
    server.terminate();
    BOOST_REQUIRE(server.waitForOutput("shutting down"));
    std::string rest = body.substr(10);
    socket.sendBytes(rest.data(), static_cast<int>(rest.size()));
    std::string response;
    char buffer[4096];
    for (int n; (n = socket.receiveBytes(buffer, sizeof buffer)) > 0;) {
        response.append(buffer, static_cast<size_t>(n));
        if (response.find("invalid_credentials") != std::string::npos) break;
    }
    BOOST_TEST(response.rfind("HTTP/1.1 401", 0) == 0);
    BOOST_TEST(response.find("invalid_credentials") != std::string::npos);
    BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(seed_demo_runs_once_and_prints_the_one_time_password_the_first_time) {
    TestDatabase db;
    Parleyd server(db);
    CommandResult first = server.command({"seed-demo"});
    BOOST_TEST(first.exit_code == 0);
    auto at = first.output.find("one-time password: ");
    BOOST_REQUIRE(at != std::string::npos);
    std::string password = first.output.substr(at + 19, first.output.find(' ', at + 19) - at - 19);
    CommandResult second = server.command({"seed-demo"});
    BOOST_TEST(second.output.find("already seeded") != std::string::npos);
    server.start();
    std::string token = login(server.port(), "admin@demo.local", password);
    Client admin = Client(server.port()).bearer(token);
    BOOST_TEST(admin.get("/api/v1/auth/me").json()->getObject("user")->getValue<bool>("must_change_password"));
    Response demo = Client(server.port()).get("/api/load-config?siteId=demo", {{"Origin", "http://localhost:8080"}});
    BOOST_TEST(demo.status == 200);
}

BOOST_AUTO_TEST_CASE(config_command_masks_secrets_and_bad_config_fails_with_a_named_key) {
    TestDatabase db;
    Parleyd server(db, {{"PARLEY_MASTER_KEY", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I="}});
    CommandResult shown = server.command({"config"});
    BOOST_TEST(shown.exit_code == 0);
    BOOST_TEST(shown.output.find("c2VjcmV0") == std::string::npos);
    BOOST_TEST(shown.output.find("\"master_key\": \"••••\"") != std::string::npos);
    CommandResult bad = server.command({"--set=server.port=lots", "config"});
    BOOST_TEST(bad.exit_code != 0);
    BOOST_TEST(bad.output.find("server.port") != std::string::npos);
    CommandResult unknown = server.command({"frobnicate"});
    BOOST_TEST(unknown.exit_code != 0);
    BOOST_TEST(unknown.output.find("unknown command 'frobnicate'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_short_master_key_is_refused_with_instructions) {
    TestDatabase db;
    Parleyd server(db, {{"PARLEY_MASTER_KEY", "dG9vLXNob3J0"}});
    CommandResult r = server.command({"migrate"});
    BOOST_TEST(r.exit_code != 0);
    BOOST_TEST(r.output.find("32 bytes") != std::string::npos);
    BOOST_TEST(r.output.find("head -c32 /dev/urandom | base64") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(health_endpoints_and_metrics_answer, ServerFixture) {
    BOOST_TEST(anonymous().get("/healthz").status == 200);
    Response ready = anonymous().get("/readyz");
    BOOST_TEST(ready.status == 200);
    BOOST_TEST(ready.json()->getValue<std::string>("database") == "ok");
    JsonObject health = anonymous().get("/api/health").json();
    BOOST_TEST(health->getValue<std::string>("status") == "ok");
    BOOST_TEST(health->getValue<std::string>("database") == "connected");
    BOOST_TEST(health->has("uptime"));
    BOOST_TEST(health->has("version"));
    Response metrics = anonymous().get("/metrics");
    BOOST_TEST(metrics.status == 200);
    BOOST_TEST(metrics.body.find("parley_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1") !=
               std::string::npos);
    BOOST_TEST(metrics.body.find("parley_http_request_duration_seconds_bucket{route=\"/readyz\"") != std::string::npos);
    BOOST_TEST(metrics.body.find("parley_db_pool_size") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(static_files_are_gzipped_with_etags_and_never_escape_the_public_folder, ServerFixture) {
    Response page = anonymous().get("/demo/", {{"Accept-Encoding", "gzip"}});
    BOOST_TEST(page.status == 200);
    BOOST_TEST(page.header("Content-Encoding") == "gzip");
    BOOST_TEST(page.header("Content-Type").find("text/html") != std::string::npos);
    BOOST_TEST(page.header("Cache-Control") == "no-cache");
    std::string etag = page.header("ETag");
    BOOST_TEST(!etag.empty());
    BOOST_TEST(anonymous().get("/demo/", {{"If-None-Match", etag}}).status == 304);
    BOOST_TEST(anonymous().get("/demo/index.html?v=3").header("Cache-Control").find("immutable") != std::string::npos);
    Response redirect = anonymous().get("/demo");
    BOOST_TEST(redirect.status == 301);
    BOOST_TEST(redirect.header("Location") == "/demo/");
    BOOST_TEST(anonymous().get("/../CMakeLists.txt").status == 404);
    BOOST_TEST(anonymous().get("/%2e%2e/CMakeLists.txt").status == 404);
    BOOST_TEST(anonymous().get("/no-such-file.js").status == 404);
}

BOOST_AUTO_TEST_SUITE_END()

// The C++ SDK wrapper over the fake host: jobs, Lua functions, outgoing HTTP, and errors at the boundary.
#include <parley/sdk.hpp>
#include <parley/testing.hpp>

#include <boost/test/unit_test.hpp>

// A plugin defined in the test binary itself, through the same macro third parties use.
PARLEY_PLUGIN(load) {
    parley::Plugin plugin = p;
    p.every("refresh", 60, [plugin] { plugin.kvSet("refreshed", "yes"); });
    p.luaFunction("demo.upper", [](const std::string& args) {
        std::string out = args;
        for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return out;
    });
    p.luaFunction("demo.explode", [](const std::string&) -> std::string { throw std::runtime_error("boom"); });
    p.route("GET", "/fetch", parley::Admin, [plugin](const parley::Request&, parley::Response& w) {
        try {
            parley::HttpReply reply = plugin.http("POST", "https://crm.example/api", "{\"a\":1}");
            w.json(200, "{\"status\":" + std::to_string(reply.status) + ",\"body\":" + parley::Response::quote(reply.body) + "}");
        } catch (const parley::Error& e) {
            w.error(502, "upstream", e.what());
        }
    });
}

BOOST_AUTO_TEST_SUITE(sdk_wrapper)

BOOST_AUTO_TEST_CASE(a_scheduled_job_runs_through_the_wrapper) {
    parley::testing::FakeHost host;
    BOOST_REQUIRE(host.load(parley_plugin_load) == PARLEY_OK);
    BOOST_TEST(host.runJob("refresh") == PARLEY_OK);
    BOOST_TEST(host.kv.at("refreshed") == "yes");
    BOOST_TEST(host.runJob("nope") == PARLEY_ERR_NOT_FOUND);
}

BOOST_AUTO_TEST_CASE(lua_functions_return_json_and_report_exceptions_as_errors) {
    parley::testing::FakeHost host;
    BOOST_REQUIRE(host.load(parley_plugin_load) == PARLEY_OK);
    BOOST_TEST(host.callLua("demo.upper", R"(["abc"])") == R"(["ABC"])");
    BOOST_CHECK_EXCEPTION(host.callLua("demo.explode"), std::runtime_error,
                          [](const std::runtime_error& e) { return std::string(e.what()) == "boom"; });
}

BOOST_AUTO_TEST_CASE(outgoing_http_goes_through_the_host_and_its_failures_become_errors) {
    parley::testing::FakeHost host;
    BOOST_REQUIRE(host.load(parley_plugin_load) == PARLEY_OK);
    auto unavailable = host.call("GET", "/fetch");
    BOOST_TEST(unavailable.status == 502);
    BOOST_TEST(unavailable.body.find("no http_reply") != std::string::npos);
    host.http_reply = [](const parley::testing::FakeHost::HttpCall& c) {
        return parley::testing::FakeHost::HttpAnswer{201, "got " + c.body};
    };
    auto ok = host.call("GET", "/fetch");
    BOOST_TEST(ok.status == 200);
    BOOST_TEST(ok.body == R"({"status":201,"body":"got {\"a\":1}"})");
    BOOST_REQUIRE(host.http_requests.size() == 2u);
    BOOST_TEST(host.http_requests[1].url == "https://crm.example/api");
    BOOST_TEST(host.http_requests[1].method == "POST");
}

BOOST_AUTO_TEST_SUITE_END()

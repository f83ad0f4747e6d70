// The echo plugin's wiring, tested against the SDK's fake host: no server needed.
#define BOOST_TEST_MODULE echo
#include <boost/test/unit_test.hpp>

#include <parley/testing.hpp>

extern "C" int parley_plugin_load(const parley_host_api*, parley_plugin*);

BOOST_AUTO_TEST_CASE(loads_with_one_hook_and_three_routes) {
    parley::testing::FakeHost host(R"({"prefix":"echo ","max_length":200})");
    BOOST_REQUIRE(host.load(parley_plugin_load) == PARLEY_OK);
    BOOST_TEST(host.hookCount() == 1u);
    BOOST_TEST(host.routeCount() == 3u);
}

BOOST_AUTO_TEST_CASE(a_message_with_the_prefix_gets_its_rest_as_a_reply) {
    parley::testing::FakeHost host(R"({"prefix":"echo ","max_length":5})");
    BOOST_REQUIRE(host.load(parley_plugin_load) == PARLEY_OK);
    auto hit = host.dispatch("message.inbound", R"({"message":{"text":"echo hello world"}})");
    BOOST_REQUIRE(hit.actions.size() == 1u);
    BOOST_TEST(hit.actions[0] == R"({"type":"reply","text":"hello"})");
    auto miss = host.dispatch("message.inbound", R"({"message":{"text":"hello"}})");
    BOOST_TEST(miss.actions.empty());
}

BOOST_AUTO_TEST_CASE(the_admin_route_echoes_and_counts_calls_in_the_kv_store) {
    parley::testing::FakeHost host(R"({"prefix":"echo ","max_length":200})");
    BOOST_REQUIRE(host.load(parley_plugin_load) == PARLEY_OK);
    auto first = host.call("GET", "/echo?text=hi%21");
    BOOST_TEST(first.status == 200);
    BOOST_TEST(first.body == R"({"echo":"hi!","tenant":"tenant-1","role":"client_admin","calls":1})");
    host.call("GET", "/echo?text=again");
    BOOST_TEST(host.kv.at("calls") == "2");
    BOOST_TEST(host.counters.at("echoes") == 2);
    auto missing = host.call("GET", "/echo");
    BOOST_TEST(missing.status == 422);
    BOOST_TEST(missing.body.find("invalid_field") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_public_route_answers_pong) {
    parley::testing::FakeHost host;
    BOOST_REQUIRE(host.load(parley_plugin_load) == PARLEY_OK);
    auto pong = host.call("GET", "/ping", "", PARLEY_ROUTE_PUBLIC);
    BOOST_TEST(pong.status == 200);
    BOOST_TEST(pong.body == "pong");
    BOOST_TEST(host.call("GET", "/ping").status == 404);  // not an admin route
}

// The plugin's wiring on the SDK's fake host: what it registers, and the checks that need no database.
#include <parley/testing.hpp>

#include <boost/test/unit_test.hpp>

extern "C" int parley_plugin_load(const parley_host_api*, parley_plugin*);

namespace {
parley::testing::FakeHost& loaded() {
    static parley::testing::FakeHost host;
    static int status = host.load(parley_plugin_load);
    BOOST_REQUIRE_MESSAGE(status == PARLEY_OK, parley::testing::FakeHost::lastError());
    return host;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(plugin)

BOOST_AUTO_TEST_CASE(loads_with_its_hooks_routes_and_lua_function) {
    auto& host = loaded();
    BOOST_TEST(host.hookCount() == 2u);      // message.inbound (filter), message.feedback (notification)
    BOOST_TEST(host.routeCount() == 12u);
    BOOST_CHECK_THROW(host.callLua("kb.search", "[42]"), std::runtime_error);  // text must be a string
}

BOOST_AUTO_TEST_CASE(a_widget_whose_bot_is_off_gets_no_action_and_no_database_call) {
    auto r = loaded().dispatch("message.inbound",
                               R"({"tenant_id":"11111111-1111-4111-8111-111111111111","widget_id":"22222222-2222-4222-8222-222222222222",)"
                               R"("message":{"text":"hello"},"widget":{"chatbot_enabled":false}})");
    BOOST_TEST(r.actions.empty());
    BOOST_TEST(r.failures.empty());
}

BOOST_AUTO_TEST_CASE(admin_routes_ask_for_a_tenant_first) {
    auto reply = loaded().call("GET", "/widgets/22222222-2222-4222-8222-222222222222/entries", "", PARLEY_ROUTE_ADMIN, {}, "");
    BOOST_TEST(reply.status == 400);
    BOOST_TEST(reply.body.find("\"tenant_required\"") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

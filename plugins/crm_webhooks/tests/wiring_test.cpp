// The plugin's wiring on the SDK's fake host: it subscribes durably to every event, serves its routes, and
// refuses callers without a tenant or with too small a role before touching any data.
#include <parley/testing.hpp>

#include <boost/test/unit_test.hpp>

extern "C" int parley_plugin_load(const parley_host_api* api, parley_plugin* self);
extern "C" void parley_plugin_unload();

BOOST_AUTO_TEST_SUITE(wiring)

BOOST_AUTO_TEST_CASE(it_subscribes_durably_to_every_event_and_guards_its_admin_api) {
    parley::testing::FakeHost host(R"({"retry_schedule":"50ms,100ms"})");
    BOOST_REQUIRE(host.load(parley_plugin_load) == PARLEY_OK);
    BOOST_REQUIRE(host.subscriptions().size() == 1u);
    BOOST_TEST(host.subscriptions()[0].first == "deliveries");
    BOOST_TEST(host.subscriptions()[0].second == "*");
    auto no_tenant = host.call("GET", "/endpoints", "", PARLEY_ROUTE_ADMIN, {}, "", "super_admin");
    BOOST_TEST(no_tenant.status == 400);
    BOOST_TEST(no_tenant.body.find("tenant_required") != std::string::npos);
    auto reader = host.call("POST", "/endpoints", "{}", PARLEY_ROUTE_ADMIN, {}, "tenant-1", "client_user");
    BOOST_TEST(reader.status == 403);
    BOOST_TEST(reader.body.find("read-only") != std::string::npos);
    auto agent = host.call("GET", "/endpoints", "", PARLEY_ROUTE_ADMIN, {}, "tenant-1", "agent");
    BOOST_TEST(agent.status == 403);
    auto bad_json = host.call("POST", "/endpoints", "{nope", PARLEY_ROUTE_ADMIN, {}, "tenant-1", "client_admin");
    BOOST_TEST(bad_json.status == 400);
    BOOST_TEST(bad_json.body.find("invalid_json") != std::string::npos);
    parley_plugin_unload();  // the admin routes started the delivery workers: join them before the host goes
}

BOOST_AUTO_TEST_CASE(a_bad_retry_schedule_fails_the_load_with_its_reason) {
    parley::testing::FakeHost host(R"({"retry_schedule":"soon"})");
    BOOST_TEST(host.load(parley_plugin_load) != PARLEY_OK);
    BOOST_TEST(parley::testing::FakeHost::lastError().find("retry schedule item 'soon'") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

// The plugin's wiring in the SDK's fake host: what it registers, and the webhook refusals that need no database.
#include <parley/testing.hpp>

#include <boost/test/unit_test.hpp>

extern "C" int parley_plugin_load(const parley_host_api*, parley_plugin*);
extern "C" void parley_plugin_unload(void);

BOOST_AUTO_TEST_SUITE(plugin)

BOOST_AUTO_TEST_CASE(registers_webhook_routes_outbound_and_media_subscriptions_and_flow_hook) {
    parley::testing::FakeHost host(R"({"graph_base_url":"http://127.0.0.1:1","sender_poll_ms":10000})");
    BOOST_REQUIRE_MESSAGE(host.load(parley_plugin_load) == PARLEY_OK, parley::testing::FakeHost::lastError());
    BOOST_TEST(host.hookCount() == 1u);
    BOOST_TEST(host.routeCount() >= 2u);
    auto subs = host.subscriptions();
    BOOST_REQUIRE(subs.size() == 2u);
    BOOST_TEST(subs[0].first == "outbound");
    BOOST_TEST(subs[1].first == "media");
    // Their conditions (ABI 1.6): the host writes them only the messages they act on.
    auto message = [](const std::string& channel, const std::string& sender, const std::string& type) {
        return R"({"widget_id":"w","channel":")" + channel + R"(","message":{"sender_type":")" + sender +
               R"(","type":")" + type + R"(","text":"hi"}})";
    };
    auto outbound = [&](const std::string& payload) { return parley::eventMatches(subs[0].second, "message.created", payload); };
    auto media = [&](const std::string& payload) { return parley::eventMatches(subs[1].second, "message.created", payload); };
    BOOST_TEST(outbound(message("whatsapp", "agent", "text")));
    BOOST_TEST(outbound(message("whatsapp", "bot", "text")));
    BOOST_TEST(!outbound(message("whatsapp", "visitor", "text")));
    BOOST_TEST(!outbound(message("whatsapp", "system", "text")));
    BOOST_TEST(!outbound(message("web", "agent", "text")));
    for (const char* kind : {"image", "video", "audio", "document", "sticker"}) BOOST_TEST(media(message("whatsapp", "visitor", kind)));
    BOOST_TEST(!media(message("whatsapp", "visitor", "text")));
    BOOST_TEST(!media(message("whatsapp", "agent", "image")));
    BOOST_TEST(!media(message("web", "visitor", "image")));
    BOOST_TEST(!parley::eventMatches(subs[0].second, "message.status", message("whatsapp", "agent", "text")));

    auto missing = host.call("POST", "/", "{}", PARLEY_ROUTE_PUBLIC);
    BOOST_TEST(missing.status == 401);
    BOOST_TEST(missing.body.find("signature_missing") != std::string::npos);
    auto bad_handshake = host.call("GET", "/?hub.mode=subscribe", "", PARLEY_ROUTE_PUBLIC);
    BOOST_TEST(bad_handshake.status == 400);
    auto no_tenant = host.call("GET", "/numbers", "", PARLEY_ROUTE_ADMIN, {}, "");
    BOOST_TEST(no_tenant.status == 400);
    parley_plugin_unload();
}

BOOST_AUTO_TEST_SUITE_END()

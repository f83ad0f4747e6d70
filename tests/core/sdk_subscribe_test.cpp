// Durable subscriptions through the SDK: pattern matching, the wrapper's acknowledgement and retry
// signalling, and the fake host that plugin authors test with.
#include <parley/testing.hpp>

#include <boost/test/unit_test.hpp>

namespace {

std::vector<std::string> g_received;
bool g_fail = false;
int g_committed = 0;

int subscriberLoad(const parley_host_api* api, parley_plugin* self) {
    parley::Plugin::rememberApi(api);
    return parley::Plugin::guarded(api, [&] {
        parley::Plugin p(api, self);
        p.subscribe(
            "crm", "message.*, lead.captured",
            [](const std::string& event) {
                if (g_fail) throw std::runtime_error("receiver down");
                g_received.push_back(event);
            },
            [] { g_committed++; });
    });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sdk_subscribe)

BOOST_AUTO_TEST_CASE(patterns_match_names_with_star_wildcards_and_comma_lists) {
    struct Case {
        std::string patterns, name;
        bool match;
    };
    const std::vector<Case> cases = {
        {"*", "message.created", true},
        {"message.*", "message.created", true},
        {"message.*", "messages.created", false},
        {"*.closed", "conversation.closed", true},
        {"conversation.*ed", "conversation.started", true},
        {"conversation.*ed", "conversation.start", false},
        {"lead.captured", "lead.captured", true},
        {"lead.captured", "lead.capture", false},
        {" message.created , lead.* ", "lead.captured", true},
        {"a,,b", "b", true},
        {"", "message.created", false},
        {"message.created", "", false},
    };
    for (const auto& c : cases)
        BOOST_TEST(parley::eventMatches(c.patterns, c.name) == c.match, "'" << c.patterns << "' vs '" << c.name << "'");
}

BOOST_AUTO_TEST_CASE(the_fake_host_gives_matching_events_and_reports_failures_for_retry) {
    g_received.clear();
    g_committed = 0;
    parley::testing::FakeHost host;
    BOOST_REQUIRE(host.load(subscriberLoad) == PARLEY_OK);
    BOOST_TEST(host.subscriptions().size() == 1u);
    BOOST_TEST(host.subscriptions()[0].second == "message.*, lead.captured");
    BOOST_TEST(host.publish("message.created", R"({"message":{"text":"hi"}})", "c-1").empty());
    BOOST_TEST(host.publish("conversation.started", "{}").empty());  // not subscribed: not given
    BOOST_REQUIRE(g_received.size() == 1u);
    BOOST_TEST(g_received[0].find(R"("name":"message.created")") != std::string::npos);
    BOOST_TEST(g_received[0].find(R"("conversation_id":"c-1")") != std::string::npos);
    BOOST_TEST(g_received[0].find(R"("payload":{"message":{"text":"hi"}})") != std::string::npos);
    BOOST_TEST(g_committed == 1);
    g_fail = true;
    auto failures = host.publish("lead.captured", "{}");
    g_fail = false;
    BOOST_REQUIRE(failures.size() == 1u);
    BOOST_TEST(failures[0] == "crm: receiver down");
    BOOST_TEST(g_committed == 1);  // a failed delivery is not committed
}

BOOST_AUTO_TEST_CASE(subscribing_on_a_1_0_host_is_refused_with_a_clear_error) {
    parley::testing::FakeHost host;
    parley_host_api old = *host.api();
    old.abi_minor = 0;
    old.size = static_cast<uint32_t>(offsetof(parley_host_api, subscribe));
    parley_plugin self{&host};
    BOOST_TEST(subscriberLoad(&old, &self) == PARLEY_ERR_UNAVAILABLE);
    BOOST_TEST(parley::testing::FakeHost::lastError().find("needs ABI 1.1") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

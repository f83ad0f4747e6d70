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

BOOST_AUTO_TEST_CASE(payload_conditions_read_one_field_each_and_must_all_hold) {
    const std::string payload =
        R"({"widget_id":"w-1","channel":"whatsapp","n":42,"ok":true,"none":null,)"
        R"("message":{"text":"a \"quoted\" [x], y","sender_type":"agent","type":"image","payload":{"deep":"v"}},)"
        R"("list":[{"channel":"web"}],"esc\u0061ped":"\u00e9\ud83d\ude00"})";
    struct Case {
        std::string patterns;
        bool match;
    };
    const std::vector<Case> cases = {
        {"message.created[channel=whatsapp]", true},
        {"message.created[channel=web]", false},
        {"message.created[channel=web|whatsapp]", true},
        {"message.created[channel!=web]", true},
        {"message.created[channel!=web|whatsapp]", false},
        {"message.created[missing!=x]", true},  // a missing field differs from every value
        {"message.created[missing=x]", false},
        {"message.created[message.sender_type=agent|bot][message.type=image]", true},
        {"message.created[message.sender_type=agent][message.type=video]", false},  // all must hold
        {"message.created[message.payload.deep=v]", true},
        {"message.created[n=42][ok=true]", true},
        {"message.created[none=null]", false},  // null equals nothing
        {"message.created[message=x]", false},  // nor does an object
        {"message.created[list.channel=web]", false},  // paths go through objects only
        {"lead.captured[channel=web], message.*[channel=whatsapp]", true},  // the second pattern
        {"message.created[channel=web], lead.captured", false},
        {"*[widget_id=w-1]", true},
    };
    for (const auto& c : cases)
        BOOST_TEST(parley::eventMatches(c.patterns, "message.created", payload) == c.match, "'" << c.patterns << "'");
    // Names alone: a pattern's conditions are not looked at.
    BOOST_TEST(parley::eventMatches("message.created[channel=web]", "message.created"));
    BOOST_TEST(parley::eventPatternsWithoutConditions(" message.created[channel=web] , lead.* ") == "message.created, lead.*");
    // The scanner under the conditions: escapes resolved, values as written, nothing for malformed text.
    BOOST_TEST(*parley::jsonScalar(payload, "message.text") == "a \"quoted\" [x], y");
    BOOST_TEST(*parley::jsonScalar(payload, "escaped") == "\xc3\xa9\xf0\x9f\x98\x80");
    BOOST_TEST(*parley::jsonMember(payload, "message.payload") == R"({"deep":"v"})");
    BOOST_TEST(!parley::jsonScalar(R"({"a":"unterminated)", "a"));
    BOOST_TEST(!parley::jsonScalar(R"({"a" 1})", "a"));
    BOOST_TEST(!parley::jsonScalar("[1,2]", "a"));
    BOOST_TEST(!parley::jsonScalar(R"({"a":{"b":1})", "a.b.c"));
}

BOOST_AUTO_TEST_CASE(malformed_patterns_are_named_in_the_error) {
    BOOST_TEST(parley::eventPatternsError("message.*, lead.captured").empty());
    BOOST_TEST(parley::eventPatternsError("message.created[channel=whatsapp][message.sender_type!=agent|bot]").empty());
    BOOST_TEST(parley::eventPatternsError("").find("no event names") != std::string::npos);
    BOOST_TEST(parley::eventPatternsError(" , ").find("no event names") != std::string::npos);
    BOOST_TEST(parley::eventPatternsError("Message.Created").find("'Message.Created'") != std::string::npos);
    for (const std::string bad : {"message.created[channel]", "message.created[channel=]", "message.created[=x]",
                                  "message.created[channel=a b]", "message.created[channel=x", "message.created[Channel=x]",
                                  "message.created[channel=a||b]", "message.created x"}) {
        std::string error = parley::eventPatternsError(bad);
        BOOST_TEST(!error.empty(), bad);
    }
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

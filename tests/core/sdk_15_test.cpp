// channel_inbound through the SDK (ABI 1.5): Plugin::channelInbound over the fake host plugin authors test with
// (one conversation per contact, duplicates by client message id, with_commit recorded with host values filled
// in, a rejection as DENIED), and its refusal on a 1.4 host's table.
#include <parley/testing.hpp>

#include <boost/test/unit_test.hpp>

namespace {

parley_plugin_load_fn noop = [](const parley_host_api*, parley_plugin*) { return static_cast<int>(PARLEY_OK); };

const char* kRequest = R"J({"channel":"whatsapp","tenant_id":"t-1","widget_id":"w-1","contact_id":"%s",)J"
                       R"J("message":{"type":"text","text":"hi","client_message_id":"%s"},)J"
                       R"J("with_commit":[{"sql":"INSERT INTO x VALUES (:1, :2)","params":[{"host":"conversation_id"},7]}]})J";

std::string request(const std::string& contact, const std::string& wamid) {
    char buffer[512];
    std::snprintf(buffer, sizeof buffer, kRequest, contact.c_str(), wamid.c_str());
    return buffer;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sdk_15)

BOOST_AUTO_TEST_CASE(channel_inbound_opens_one_conversation_per_contact_and_stores_a_client_id_once) {
    parley::testing::FakeHost host;
    BOOST_REQUIRE(host.load(noop) == PARLEY_OK);
    parley::Plugin p(host.api(), host.self());
    std::string first = p.channelInbound(request("491", "wamid.A"));
    BOOST_TEST(first.find(R"("created":true)") != std::string::npos);
    BOOST_TEST(first.find(R"("duplicate":false)") != std::string::npos);
    std::string again = p.channelInbound(request("491", "wamid.A"));
    BOOST_TEST(again.find(R"("created":false)") != std::string::npos);
    BOOST_TEST(again.find(R"("duplicate":true)") != std::string::npos);
    BOOST_TEST(p.channelInbound(request("491", "wamid.B"), false).empty());  // no result asked for
    BOOST_TEST(host.channel_inbound_requests.size() == 3u);
    // The duplicate committed nothing; the statements of the two stored messages name their conversation.
    BOOST_REQUIRE(host.committed_with.size() == 2u);
    BOOST_TEST(host.committed_with[0].find(R"("params":["00000000-0000-4000-9500-000000000001",7])") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(channel_inbound_rejected_by_a_hook_is_denied_and_refused_on_a_1_4_host) {
    parley::testing::FakeHost host;
    BOOST_REQUIRE(host.load(noop) == PARLEY_OK);
    host.inbound_reject = "spam";
    parley::Plugin p(host.api(), host.self());
    try {
        p.channelInbound(request("492", "wamid.C"));
        BOOST_FAIL("expected DENIED");
    } catch (const parley::Error& e) {
        BOOST_TEST(e.status() == PARLEY_ERR_DENIED);
    }
    BOOST_TEST(host.committed_with.empty());
    parley_host_api older = *host.api();
    older.abi_minor = 4;
    older.size = offsetof(parley_host_api, channel_inbound);
    parley::Plugin old(&older, host.self());
    try {
        old.channelInbound(request("493", "wamid.D"));
        BOOST_FAIL("expected UNAVAILABLE");
    } catch (const parley::Error& e) {
        BOOST_TEST(e.status() == PARLEY_ERR_UNAVAILABLE);
        BOOST_TEST(std::string(e.what()).find("needs ABI 1.5") != std::string::npos);
    }
}

BOOST_AUTO_TEST_SUITE_END()

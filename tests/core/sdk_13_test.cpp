// The ABI 1.3 wrappers (storeFile, setConversationAttributes, publishRealtime, contacts) over the fake host
// plugin authors test with, and their refusal on an older host's table.
#include <parley/testing.hpp>

#include <boost/test/unit_test.hpp>

namespace {

// A plugin handle the fake host accepts: load a plugin that keeps its Plugin.
parley::Plugin* g_plugin = nullptr;
int keeperLoad(const parley_host_api* api, parley_plugin* self) {
    static parley::Plugin kept(api, self);
    kept = parley::Plugin(api, self);
    g_plugin = &kept;
    return PARLEY_OK;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sdk_13)

BOOST_AUTO_TEST_CASE(the_fake_host_records_files_attributes_notices_and_contact_reads) {
    parley::testing::FakeHost host;
    BOOST_REQUIRE(host.load(keeperLoad) == PARLEY_OK);
    parley::Plugin& p = *g_plugin;
    BOOST_TEST(host.api()->abi_minor >= 3u);
    std::string out = p.storeFile("conv-1", R"({"filename":"a.jpg","content_type":"image/jpeg"})", std::string("\xff\xd8\xff", 3));
    BOOST_TEST(out.find("\"size\":3") != std::string::npos);
    BOOST_REQUIRE(host.stored_files.size() == 1u);
    BOOST_TEST(host.stored_files[0].data == std::string("\xff\xd8\xff", 3));
    host.max_file_size = 2;
    try {
        p.storeFile("conv-1", R"({"filename":"b.jpg","content_type":"image/jpeg"})", "abc");
        BOOST_FAIL("over the limit must throw");
    } catch (const parley::Error& e) {
        BOOST_TEST(e.status() == PARLEY_ERR_DENIED);
    }
    BOOST_TEST(host.stored_files.size() == 1u);
    p.setConversationAttributes("conv-1", R"({"plan":"pro"})");
    BOOST_REQUIRE(host.attribute_patches.size() == 1u);
    BOOST_TEST(host.attribute_patches[0].second == R"({"plan":"pro"})");
    p.publishRealtime("tenant-1", "broadcast.progress", R"({"sent":1})");
    BOOST_REQUIRE(host.realtime.size() == 1u);
    BOOST_TEST(host.realtime[0].name == "broadcast.progress");
    host.contacts_reply = R"({"contacts":[{"id":"c1","phone":"+1"}],"next":null})";
    BOOST_TEST(p.contacts("tenant-1", R"({"tag":"vip"})") == host.contacts_reply);
    BOOST_TEST(host.contact_queries.at(0).second == R"({"tag":"vip"})");
}

BOOST_AUTO_TEST_CASE(an_older_host_is_refused_with_unavailable_before_any_call) {
    parley::testing::FakeHost host;
    parley_host_api old = *host.api();
    old.abi_minor = 2;
    old.size = offsetof(parley_host_api, store_file);  // a 1.2 table ends before the 1.3 entries
    parley::Plugin p(&old, nullptr);
    auto unavailable = [](auto&& call) {
        try {
            call();
        } catch (const parley::Error& e) {
            return e.status() == PARLEY_ERR_UNAVAILABLE && std::string(e.what()).find("1.3") != std::string::npos;
        }
        return false;
    };
    BOOST_TEST(unavailable([&] { p.storeFile("c", "{}", "x"); }));
    BOOST_TEST(unavailable([&] { p.setConversationAttributes("c", "{}"); }));
    BOOST_TEST(unavailable([&] { p.publishRealtime("t", "n", "{}"); }));
    BOOST_TEST(unavailable([&] { p.contacts("t"); }));
    BOOST_TEST(!p.hostHas(3));
    BOOST_TEST(host.stored_files.empty());
}

BOOST_AUTO_TEST_SUITE_END()

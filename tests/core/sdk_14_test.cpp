// Batch subscriptions through the SDK (ABI 1.4): Plugin::subscribeBatch over the fake host plugin authors test
// with (whole arrays, then one event per call after a failure), and its refusal on a 1.3 host's table.
#include <parley/testing.hpp>

#include <boost/test/unit_test.hpp>

namespace {

struct Received {
    std::vector<std::string> arrays;  // each call's events_json
    std::vector<std::size_t> counts;  // each call's count
    std::string fail_on;              // a call whose array holds this text throws
    int committed = 0;
};
Received g_batch;

int batchLoad(const parley_host_api* api, parley_plugin* self) {
    parley::Plugin::rememberApi(api);
    return parley::Plugin::guarded(api, [&] {
        parley::Plugin p(api, self);
        p.subscribeBatch(
            "crm", "message.*",
            [](const std::string& events, std::size_t count) {
                if (!g_batch.fail_on.empty() && events.find(g_batch.fail_on) != std::string::npos)
                    throw std::runtime_error("cannot store " + g_batch.fail_on);
                g_batch.arrays.push_back(events);
                g_batch.counts.push_back(count);
            },
            [] { g_batch.committed++; });
    });
}

// Two subscriptions under one name, one of each kind: the second is refused.
int twiceLoad(const parley_host_api* api, parley_plugin* self) {
    parley::Plugin::rememberApi(api);
    return parley::Plugin::guarded(api, [&] {
        parley::Plugin p(api, self);
        p.subscribe("crm", "*", [](const std::string&) {});
        p.subscribeBatch("crm", "*", [](const std::string&, std::size_t) {});
    });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sdk_14)

BOOST_AUTO_TEST_CASE(a_batch_subscription_receives_a_pass_as_one_json_array_in_order) {
    g_batch = {};
    parley::testing::FakeHost host;
    BOOST_REQUIRE(host.load(batchLoad) == PARLEY_OK);
    BOOST_TEST(host.api()->abi_minor >= 4u);
    auto failures = host.publishBatch({{"message.created", R"({"n":1})", "c-1"},
                                       {"lead.captured", R"({"n":2})", "c-1"},  // not subscribed: left out
                                       {"message.created", R"({"n":3})", "c-2"},
                                       {"message.created", R"({"n":4})", "c-1"}});
    BOOST_TEST(failures.empty());
    BOOST_REQUIRE(g_batch.arrays.size() == 1u);
    BOOST_TEST(g_batch.counts[0] == 3u);
    const std::string& a = g_batch.arrays[0];
    BOOST_TEST(a.front() == '[');
    BOOST_TEST(a.find(R"("n":2)") == std::string::npos);
    BOOST_TEST(a.find(R"("n":1)") < a.find(R"("n":3)"));
    BOOST_TEST(a.find(R"("n":3)") < a.find(R"("n":4)"));
    BOOST_TEST(g_batch.committed == 1);
    // A single event is an array of one.
    BOOST_TEST(host.publish("message.created", R"({"n":5})", "c-3").empty());
    BOOST_REQUIRE(g_batch.counts.size() == 2u);
    BOOST_TEST(g_batch.counts[1] == 1u);
    BOOST_TEST(g_batch.arrays[1].find(R"("n":5)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_failed_batch_is_offered_again_one_event_per_call_and_holds_back_only_that_conversation) {
    g_batch = {};
    g_batch.fail_on = R"("n":2)";
    parley::testing::FakeHost host;
    BOOST_REQUIRE(host.load(batchLoad) == PARLEY_OK);
    auto failures = host.publishBatch({{"message.created", R"({"n":1})", "c-1"},
                                       {"message.created", R"({"n":2})", "c-2"},
                                       {"message.created", R"({"n":3})", "c-1"},
                                       {"message.created", R"({"n":4})", "c-2"}});
    // The whole array failed (nothing kept), then n=1 and n=3 went alone; n=2 failed alone and held n=4 back.
    BOOST_REQUIRE(failures.size() == 1u);
    BOOST_TEST(failures[0] == "crm: cannot store \"n\":2");
    BOOST_TEST(host.batch_calls == (std::vector<std::size_t>{4, 1, 1, 1}), boost::test_tools::per_element());
    BOOST_REQUIRE(g_batch.arrays.size() == 2u);
    BOOST_TEST(g_batch.arrays[0].find(R"("n":1)") != std::string::npos);
    BOOST_TEST(g_batch.arrays[1].find(R"("n":3)") != std::string::npos);
    BOOST_TEST(g_batch.committed == 1);
}

BOOST_AUTO_TEST_CASE(one_name_cannot_hold_a_per_event_and_a_batch_subscription) {
    parley::testing::FakeHost host;
    BOOST_TEST(host.load(twiceLoad) == PARLEY_ERR_CONFLICT);
    BOOST_TEST(host.subscriptions().size() == 1u);
}

BOOST_AUTO_TEST_CASE(subscribing_in_batches_on_a_1_3_host_is_refused_so_the_plugin_can_fall_back) {
    g_batch = {};
    parley::testing::FakeHost host;
    parley_host_api old = *host.api();
    old.abi_minor = 3;
    old.size = static_cast<uint32_t>(offsetof(parley_host_api, subscribe_batch));  // a 1.3 table ends before it
    parley_plugin self{&host};
    BOOST_TEST(batchLoad(&old, &self) == PARLEY_ERR_UNAVAILABLE);
    BOOST_TEST(parley::testing::FakeHost::lastError().find("needs ABI 1.4") != std::string::npos);
    BOOST_TEST(host.subscriptions().empty());
    BOOST_TEST(!parley::Plugin(&old, &self).hostHas(4));
}

BOOST_AUTO_TEST_SUITE_END()

// Batch subscriptions (ABI 1.4) on a real database: a pass's events arrive in one call, in commit order; a batch
// that fails is rolled back and offered again one event at a time, so only the failing event waits.
#include "outbox_fixture.hpp"

#include "http/json.hpp"

#include <boost/test/unit_test.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

#include <set>

using namespace parley::core;
using parley::core::testing::kA;
using parley::core::testing::kB;
using parley::core::testing::Outbox;

namespace {

// A batch subscriber that records every event of each call in `seen` (inside the delivery transaction), and
// the number of events of each call in `calls`; it fails a call that holds an event `fail` picks.
OutboxSubscriber batchRecorder(const std::string& name, std::vector<std::size_t>& calls,
                               std::function<bool(const std::string& event_id)> fail = {}) {
    OutboxSubscriber s;
    s.name = "test:" + name;
    s.owner = "test";
    s.events = "*";
    s.deliver_batch = [name = s.name, &calls, fail](soci::session& sql, const std::string& events, std::size_t count,
                                                    std::string& error) {
        Poco::JSON::Parser parser;
        auto list = parser.parse(events).extract<Poco::JSON::Array::Ptr>();
        BOOST_REQUIRE(list->size() == count);
        calls.push_back(count);
        bool failed = false;
        for (std::size_t i = 0; i < list->size(); ++i) {
            auto e = list->getObject(static_cast<unsigned>(i));
            std::string id = e->getValue<std::string>("id"), ename = e->getValue<std::string>("name");
            sql << "INSERT INTO seen (subscription, event_id, name) VALUES (:s, :e, :n)", soci::use(name), soci::use(id),
                soci::use(ename);
            if (fail && fail(id)) failed = true;
        }
        if (!failed) return static_cast<int>(PARLEY_OK);
        error = "receiver said no";
        return static_cast<int>(PARLEY_ERR_UNAVAILABLE);
    };
    return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(outbox_batch)

BOOST_FIXTURE_TEST_CASE(a_batch_subscriber_gets_a_whole_pass_in_one_call_in_commit_order, Outbox) {
    OutboxDispatcher d(*db, options, Poco::Logger::get("test"));
    std::vector<std::size_t> calls;
    int committed = 0;
    auto s = batchRecorder("batch", calls);
    s.committed = [&] { committed++; };
    d.add(s);
    std::vector<std::string> ids;
    for (int i = 0; i < 7; ++i) ids.push_back(commit("message.created", i % 3 ? kA : kB));
    ids.push_back(commit("lead.captured", ""));
    BOOST_TEST(d.runOnce(nowMs()) == 8 + 8);
    BOOST_TEST(calls == (std::vector<std::size_t>{8}), boost::test_tools::per_element());
    BOOST_TEST(seen("test:batch") == ids, boost::test_tools::per_element());
    BOOST_TEST(committed == 1);
    BOOST_TEST(d.pending() == 0);
}

BOOST_FIXTURE_TEST_CASE(a_failed_batch_is_rolled_back_and_retried_one_by_one_so_only_its_conversation_waits, Outbox) {
    OutboxDispatcher d(*db, options, Poco::Logger::get("test"));
    std::vector<std::size_t> calls;
    std::string bad;
    bool receiver_down = true;
    d.add(batchRecorder("batch", calls, [&](const std::string& id) { return receiver_down && id == bad; }));
    std::string b1 = commit("message.created", kB);
    bad = commit("message.created", kA);
    std::string b2 = commit("message.created", kB), a2 = commit("message.created", kA);
    long long now = nowMs();
    d.runOnce(now);
    // The batch of 4 failed; then b1 and bad alone (bad fails), b2; a2 is held behind bad and not offered.
    BOOST_TEST(calls == (std::vector<std::size_t>{4, 1, 1, 1}), boost::test_tools::per_element());
    // The failed calls' writes were rolled back: only what was acknowledged is there, once.
    BOOST_TEST(seen("test:batch") == (std::vector<std::string>{b1, b2}), boost::test_tools::per_element());
    BOOST_TEST(count("SELECT COUNT(*) FROM event_deliveries WHERE attempts = 1 AND last_error = 'receiver said no'") == 1);
    BOOST_TEST(count("SELECT COUNT(*) FROM event_deliveries") == 2);
    // After its back-off, the conversation goes on in order.
    receiver_down = false;
    d.runOnce(now + 1000);
    BOOST_TEST(seen("test:batch") == (std::vector<std::string>{b1, b2, bad, a2}), boost::test_tools::per_element());
    BOOST_TEST(d.pending() == 0);
}

BOOST_FIXTURE_TEST_CASE(a_per_event_subscriber_keeps_exactly_its_acknowledged_writes_when_a_later_event_fails, Outbox) {
    OutboxDispatcher d(*db, options, Poco::Logger::get("test"));
    int calls = 0;
    std::string bad;
    auto s = recorder("each", "*", [&](const std::string& event) { return event.find(bad) != std::string::npos; });
    auto record = s.deliver;
    s.deliver = [&, record](soci::session& sql, const std::string& event, std::string& error) {
        calls++;
        return record(sql, event, error);
    };
    d.add(s);
    std::string b1 = commit("message.created", kB), b2 = commit("message.created", kB);
    bad = commit("message.created", kA);
    d.runOnce(nowMs());
    // Tried together under one savepoint (3 calls), rolled back at the failure, then one by one (3 more).
    BOOST_TEST(calls == 6);
    auto got = seen("test:each");
    BOOST_TEST(got == (std::vector<std::string>{b1, b2}), boost::test_tools::per_element());
    BOOST_TEST(std::set<std::string>(got.begin(), got.end()).size() == got.size());
}

BOOST_AUTO_TEST_SUITE_END()

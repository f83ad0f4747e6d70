// The outbox dispatcher on a real database: every committed event reaches every matching subscription at
// least once, in commit order per conversation; a failure is retried without holding back anyone else.
#include "outbox_fixture.hpp"

#include <parley/plugin.h>

#include <boost/test/unit_test.hpp>

#include <Poco/Logger.h>

#include <atomic>
#include <map>
#include <thread>

using namespace parley::core;
using parley::core::testing::kA;
using parley::core::testing::kB;
using parley::core::testing::Outbox;

BOOST_AUTO_TEST_SUITE(outbox_dispatcher)

BOOST_AUTO_TEST_CASE(retry_delays_double_from_the_base_up_to_the_cap) {
    OutboxOptions o;
    o.retry_base_ms = 1000;
    o.retry_max_ms = 5000;
    std::vector<long long> got;
    for (int attempts = 1; attempts <= 5; ++attempts) got.push_back(outboxRetryDelayMs(o, attempts));
    BOOST_TEST(got == (std::vector<long long>{1000, 2000, 4000, 5000, 5000}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_conversation_of_an_event_is_found_where_the_core_puts_it) {
    BOOST_TEST(eventConversationId(R"({"conversation_id":"c1","reason":"x"})") == "c1");
    BOOST_TEST(eventConversationId(R"({"conversation":{"id":"c2"}})") == "c2");
    BOOST_TEST(eventConversationId(R"({"message":{"id":"m","conversation_id":"c3"},"widget_id":"w"})") == "c3");
    BOOST_TEST(eventConversationId(R"({"lead":{"conversation_id":"c4"}})") == "c4");
    BOOST_TEST(eventConversationId(R"({"widget":{"id":"w"}})") == "");
    BOOST_TEST(eventConversationId("not json") == "");
}

BOOST_FIXTURE_TEST_CASE(every_matching_event_reaches_each_subscription_once_in_commit_order, Outbox) {
    OutboxDispatcher d(*db, options, Poco::Logger::get("test"));
    int committed = 0;
    auto all = recorder("all", "*");
    all.committed = [&] { committed++; };
    d.add(all);
    d.add(recorder("messages", "message.*"));
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) ids.push_back(commit(i % 2 ? "message.created" : "conversation.assigned", i % 2 ? kA : kB));
    long long now = nowMs();
    BOOST_TEST(d.runOnce(now) == 5 + 5 + 2);  // moved, then delivered to "all" and "messages"
    BOOST_TEST(seen("test:all") == ids, boost::test_tools::per_element());
    BOOST_TEST(seen("test:messages") == (std::vector<std::string>{ids[1], ids[3]}), boost::test_tools::per_element());
    BOOST_TEST(committed == 1);
    // Nothing is left, and nothing is given twice.
    BOOST_TEST(d.runOnce(now + 1) == 0);
    BOOST_TEST(count("SELECT COUNT(*) FROM event_deliveries") == 0);
    BOOST_TEST(d.pending() == 0);
}

BOOST_FIXTURE_TEST_CASE(payload_conditions_write_deliveries_only_for_the_events_that_pass_them, Outbox) {
    OutboxDispatcher d(*db, options, Poco::Logger::get("test"));
    d.add(recorder("outbound", "message.created[channel=whatsapp][message.sender_type=agent|bot]"));
    d.add(recorder("not_web", "message.created[channel!=web], conversation.closed"));
    auto message = [](const std::string& channel, const std::string& sender) {
        JsonObject payload = jsonObject(), m = jsonObject();
        if (!channel.empty()) payload->set("channel", channel);
        m->set("sender_type", sender);
        payload->set("message", m);
        return payload;
    };
    std::vector<std::string> ids = {commit("message.created", kA, message("whatsapp", "agent")),
                                    commit("message.created", kA, message("whatsapp", "visitor")),
                                    commit("message.created", kB, message("web", "bot")),
                                    commit("message.created", kB, message("", "bot")),  // no channel: != holds
                                    commit("conversation.closed", kB)};
    // What the fan-out writes: one row per event that passes, none for the rest.
    d.runOnce(nowMs());
    BOOST_TEST(seen("test:outbound") == (std::vector<std::string>{ids[0]}), boost::test_tools::per_element());
    BOOST_TEST(seen("test:not_web") == (std::vector<std::string>{ids[0], ids[1], ids[3], ids[4]}),
               boost::test_tools::per_element());
    // Stored for older nodes as plain names (they deliver more, never less), the conditions beside them.
    BOOST_TEST(text("SELECT events FROM event_subscriptions WHERE name = 'test:outbound'") == "message.created");
    BOOST_TEST(text("SELECT filtered_events FROM event_subscriptions WHERE name = 'test:outbound'") ==
               "message.created[channel=whatsapp][message.sender_type=agent|bot]");
    BOOST_TEST(count("SELECT COUNT(*) FROM event_subscriptions WHERE filtered_events IS NULL") == 0);
    d.add(recorder("plain", "lead.*"));
    BOOST_TEST(count("SELECT COUNT(*) FROM event_subscriptions WHERE name = 'test:plain' AND filtered_events IS NULL") == 1);
}

BOOST_FIXTURE_TEST_CASE(a_pass_woken_by_a_local_commit_skips_its_reads_and_does_the_same_work, Outbox) {
    OutboxDispatcher d(*db, options, Poco::Logger::get("test"));
    d.add(recorder("all", "*"));
    // Told there is work when there is none (another node took it): an empty pass, nothing delivered.
    BOOST_TEST(d.runOnce(nowMs(), true) == 0);
    std::string a1 = commit("message.created", kA), b1 = commit("message.created", kB);
    BOOST_TEST(d.runOnce(nowMs(), true) == 2 + 2);
    BOOST_TEST(seen("test:all") == (std::vector<std::string>{a1, b1}), boost::test_tools::per_element());
    BOOST_TEST(d.runOnce(nowMs(), true) == 0);
    BOOST_TEST(d.pending() == 0);
}

BOOST_FIXTURE_TEST_CASE(fresh_events_go_direct_without_rows_and_queue_behind_a_waiting_retry, Outbox) {
    OutboxDispatcher d(*db, options, Poco::Logger::get("test"));
    bool receiver_down = true;
    std::vector<long long> rows_when_offered;  // the event's own delivery rows at the moment it was offered
    OutboxSubscriber s = recorder("direct", "*", [&](const std::string& event) {
        return receiver_down && event.find(kA) != std::string::npos;
    });
    auto record = s.deliver;
    s.deliver = [&, record](soci::session& sql, const std::string& event, std::string& error) {
        std::string id = storedObject(event)->getValue<std::string>("id");
        long long rows = 0;
        sql << "SELECT COUNT(*) FROM event_deliveries WHERE event_id = :e", soci::use(id), soci::into(rows);
        rows_when_offered.push_back(rows);
        return record(sql, event, error);
    };
    d.add(s);
    std::string a1 = commit("message.created", kA), b1 = commit("message.created", kB);
    long long now = nowMs();
    d.runOnce(now, true);
    // Both were offered in the fan-out's pass with no row written; a1 failed and only then became a row.
    // (a1 in the batch, which stops at it; then a1 and b1 one by one.)
    BOOST_TEST(rows_when_offered == (std::vector<long long>{0, 0, 0}), boost::test_tools::per_element());
    BOOST_TEST(seen("test:direct") == (std::vector<std::string>{b1}), boost::test_tools::per_element());
    BOOST_TEST(count("SELECT COUNT(*) FROM event_deliveries WHERE attempts = 1") == 1);
    // New events: B's goes direct again; A's queues as a row behind a1 (its order) and is not offered.
    rows_when_offered.clear();
    std::string a2 = commit("message.created", kA), b2 = commit("message.created", kB);
    d.runOnce(now + 1, true);
    BOOST_TEST(rows_when_offered == (std::vector<long long>{0}), boost::test_tools::per_element());
    BOOST_TEST(seen("test:direct") == (std::vector<std::string>{b1, b2}), boost::test_tools::per_element());
    BOOST_TEST(count("SELECT COUNT(*) FROM event_deliveries WHERE attempts = 0") == 1);
    // After the back-off, A's two go in order, from their rows.
    receiver_down = false;
    d.runOnce(now + 1000);
    BOOST_TEST(seen("test:direct") == (std::vector<std::string>{b1, b2, a1, a2}), boost::test_tools::per_element());
    BOOST_TEST(d.pending() == 0);
}

BOOST_FIXTURE_TEST_CASE(a_failing_event_is_retried_later_and_holds_back_only_its_own_conversation, Outbox) {
    OutboxDispatcher d(*db, options, Poco::Logger::get("test"));
    bool receiver_down = true;
    d.add(recorder("flaky", "*", [&](const std::string& event) {
        return receiver_down && event.find(kA) != std::string::npos;
    }));
    d.add(recorder("steady", "*"));
    std::string a1 = commit("message.created", kA), b1 = commit("message.created", kB), a2 = commit("message.created", kA);
    long long now = nowMs();
    d.runOnce(now);
    // The failed attempt's write was rolled back; conversation B went through; a2 waits behind a1.
    BOOST_TEST(seen("test:flaky") == (std::vector<std::string>{b1}), boost::test_tools::per_element());
    BOOST_TEST(seen("test:steady") == (std::vector<std::string>{a1, b1, a2}), boost::test_tools::per_element());
    BOOST_TEST(count("SELECT COUNT(*) FROM event_deliveries WHERE attempts = 1 AND last_error = 'receiver said no'") == 1);
    // Not before its back-off has passed, and then in order.
    receiver_down = false;
    d.runOnce(now + 500);
    BOOST_TEST(seen("test:flaky").size() == 1u);
    d.runOnce(now + 1000);
    d.runOnce(now + 1001);
    BOOST_TEST(seen("test:flaky") == (std::vector<std::string>{b1, a1, a2}), boost::test_tools::per_element());
    BOOST_TEST(d.pending() == 0);
}

BOOST_FIXTURE_TEST_CASE(an_event_committed_after_a_pass_is_never_skipped, Outbox) {
    OutboxDispatcher d(*db, options, Poco::Logger::get("test"));
    d.add(recorder("all", "*"));
    std::string first = commit("lead.captured", "");
    long long now = nowMs();
    d.runOnce(now);
    // A row that becomes visible after the pass, whatever its created_at, is picked up by the next one:
    // the dispatcher selects by state, not by a "last seen" cursor.
    std::string late = commit("lead.captured", "");
    db->write([&](soci::session& sql) { sql << "UPDATE outbox_events SET created_at = 1 WHERE id = :id", soci::use(late); });
    d.runOnce(now + 1);
    BOOST_TEST(seen("test:all") == (std::vector<std::string>{first, late}), boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(two_nodes_on_one_database_deliver_each_event_once, Outbox) {
    OutboxDispatcher a(*db, options, Poco::Logger::get("test")), b(*db, options, Poco::Logger::get("test"));
    a.add(recorder("all", "*"));
    b.add(recorder("all", "*"));
    std::vector<std::string> ids;
    for (int i = 0; i < 20; ++i) ids.push_back(commit("message.created", i % 3 ? kA : kB));
    long long now = nowMs();
    std::thread ta([&] { for (int i = 0; i < 5; ++i) a.runOnce(now + i); });
    std::thread tb([&] { for (int i = 0; i < 5; ++i) b.runOnce(now + i); });
    ta.join();
    tb.join();
    auto got = seen("test:all");
    std::map<std::string, int> times;
    for (const auto& id : got) times[id]++;
    BOOST_TEST(got.size() == ids.size());
    for (const auto& id : ids) BOOST_TEST(times[id] == 1);
}

BOOST_FIXTURE_TEST_CASE(a_pass_moves_and_delivers_in_one_write_transaction, Outbox) {
    OutboxDispatcher d(*db, options, Poco::Logger::get("test"));
    d.add(recorder("all", "*"));
    std::string id = commit("message.created", kA);
    // The delivery row is made and deleted in the same transaction: another connection never sees it.
    std::atomic<bool> saw_delivery_row{false};
    std::thread watcher([&] {
        for (int i = 0; i < 200 && !saw_delivery_row; ++i)
            if (count("SELECT COUNT(*) FROM event_deliveries") > 0) saw_delivery_row = true;
    });
    BOOST_TEST(d.runOnce(nowMs()) == 2);
    watcher.join();
    BOOST_TEST(!saw_delivery_row);
    BOOST_TEST(seen("test:all") == (std::vector<std::string>{id}), boost::test_tools::per_element());
    BOOST_TEST(d.pending() == 0);
}

BOOST_FIXTURE_TEST_CASE(events_given_in_one_transaction_share_its_pass_number, Outbox) {
    OutboxDispatcher d(*db, options, Poco::Logger::get("test"));
    std::vector<long long> passes;
    OutboxSubscriber s = recorder("all", "*");
    auto record = s.deliver;
    s.deliver = [&, record](soci::session& sql, const std::string& event, std::string& error) {
        passes.push_back(storedObject(event)->getValue<Poco::Int64>("pass"));
        return record(sql, event, error);
    };
    d.add(s);
    commit("lead.captured", "");
    commit("lead.captured", "");
    d.runOnce(nowMs());
    commit("lead.captured", "");
    d.runOnce(nowMs());
    BOOST_REQUIRE(passes.size() == 3u);
    BOOST_TEST(passes[0] > 0);
    BOOST_TEST(passes[0] == passes[1]);
    BOOST_TEST(passes[2] != passes[0]);
}

BOOST_FIXTURE_TEST_CASE(a_commit_with_an_outbox_row_wakes_the_dispatcher_without_waiting_for_its_poll, Outbox) {
    options.poll_interval_ms = 60000;  // only a wake-up can deliver within the test's time
    OutboxDispatcher d(*db, options, Poco::Logger::get("test"));
    int announced = 0;
    db->onOutboxCommit([&] { d.wake(true); });
    d.onLocalCommits([&] { announced++; });
    d.add(recorder("all", "*"));
    d.start();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the first pass is over; now it sleeps
    // A write without an outbox row wakes nobody; one with a row does.
    db->write([](soci::session& sql) { sql << "INSERT INTO seen (subscription, event_id, name) VALUES ('x', 'y', 'z')"; });
    std::string id = commit("message.created", kA);
    long long deadline = nowMs() + 5000;
    while (seen("test:all").empty() && nowMs() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    d.stop();
    BOOST_TEST(seen("test:all") == (std::vector<std::string>{id}), boost::test_tools::per_element());
    BOOST_TEST(announced >= 1);  // and the other nodes were told
    db->onOutboxCommit({});
}

BOOST_FIXTURE_TEST_CASE(a_rolled_back_outbox_write_wakes_nobody, Outbox) {
    int woken = 0;
    db->onOutboxCommit([&] { woken++; });
    BOOST_CHECK_THROW(db->write([](soci::session& sql) {
        appendOutboxEvent(sql, "00000000-0000-4000-8000-000000000001", "lead.captured", jsonObject());
        throw std::runtime_error("changed my mind");
    }), std::runtime_error);
    db->write([](soci::session& sql) { sql << "INSERT INTO seen (subscription, event_id, name) VALUES ('x', 'y', 'z')"; });
    BOOST_TEST(woken == 0);
    commit("lead.captured", "");
    BOOST_TEST(woken == 1);
}

BOOST_AUTO_TEST_CASE(sqlite_writers_of_one_process_take_turns_instead_of_timing_out) {
    // Eight threads writing at once with a busy timeout far below their total time: with the busy handler's
    // polling some would fail with "database is locked"; taking turns in the process, none does.
    std::string dir = Poco::TemporaryFile::tempName();
    Poco::File(dir).createDirectories();
    {
        DatabaseConfig cfg;
        cfg.url = "sqlite:" + dir + "/turns.db";
        cfg.pool_size = 8;
        cfg.busy_timeout_ms = 50;
        Database db(cfg);
        db.write([](soci::session& sql) { sql << "CREATE TABLE t (n INTEGER)"; });
        std::atomic<int> failures{0};
        std::vector<std::thread> threads;
        for (int i = 0; i < 8; ++i)
            threads.emplace_back([&] {
                for (int j = 0; j < 20; ++j) {
                    try {
                        db.write([](soci::session& sql) {
                            sql << "INSERT INTO t (n) VALUES (1)";
                            std::this_thread::sleep_for(std::chrono::milliseconds(2));
                        });
                    } catch (const std::exception&) {
                        failures++;
                    }
                }
            });
        for (auto& t : threads) t.join();
        BOOST_TEST(failures == 0);
        long long n = db.read([](soci::session& sql) {
            long long c = 0;
            sql << "SELECT COUNT(*) FROM t", soci::into(c);
            return c;
        });
        BOOST_TEST(n == 160);
    }
    Poco::File(dir).remove(true);
}

BOOST_AUTO_TEST_SUITE_END()

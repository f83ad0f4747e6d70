// Outbox retention: old dispatched events go, undispatched ones and those a subscription still has to deliver stay.
#include "pipeline/outbox_retention.hpp"

#include "outbox_fixture.hpp"

#include <boost/test/unit_test.hpp>

using namespace parley::core;

namespace {

// The outbox dispatcher tests' database, with events dispatched at a chosen time.
struct Outbox : testing::Outbox {
    // An event written at `created_at` and dispatched (off the fan-out's queue), or, for 0, written now and not
    // dispatched yet; returns its id.
    std::string event(long long created_at) {
        std::string id = commit("message.created", "");
        if (created_at)
            db->write([&](soci::session& sql) {
                sql << "UPDATE outbox_events SET created_at = :c WHERE id = :id", soci::use(created_at), soci::use(id);
                sql << "DELETE FROM outbox_pending WHERE event_id = :id", soci::use(id);
            });
        return id;
    }
    int count(const std::string& id) {
        int n = 0;
        db->read([&](soci::session& sql) { sql << "SELECT COUNT(*) FROM outbox_events WHERE id = :id", soci::use(id), soci::into(n); });
        return n;
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(outbox_retention)

BOOST_AUTO_TEST_CASE(only_old_dispatched_events_that_nobody_still_delivers_are_deleted) {
    Outbox o;
    const long long day = 86400000LL, now = nowMs(), cutoff = now - 7 * day;
    std::string old_done = o.event(now - 8 * day), recent = o.event(now - day), undispatched = o.event(0),
                old_pending = o.event(now - 9 * day);
    o.db->write([&](soci::session& sql) {
        sql << "INSERT INTO event_subscriptions (name, owner, events, created_at, updated_at) VALUES ('p:s', 'p', '*', 0, 0)";
        sql << "INSERT INTO event_deliveries (subscription, event_id, ordering_key, attempts, next_attempt_at, created_at) "
               "VALUES ('p:s', :e, 'k', 3, 0, 0)",
            soci::use(old_pending);
    });
    std::string old_queued = o.event(0);  // old, and still waiting for the fan-out
    o.db->write([&](soci::session& sql) {
        sql << "UPDATE outbox_events SET created_at = :c WHERE id = :id", soci::use(now - 10 * day),
            soci::use(old_queued);
    });
    BOOST_TEST(pruneOutboxAll(*o.db, cutoff) == 1);
    BOOST_TEST(o.count(old_done) == 0);
    BOOST_TEST(o.count(old_queued) == 1);
    BOOST_TEST(o.count(recent) == 1);
    BOOST_TEST(o.count(undispatched) == 1);
    BOOST_TEST(o.count(old_pending) == 1);  // a subscription still retries it: kept with its delivery row
    BOOST_TEST(pruneOutboxAll(*o.db, cutoff) == 0);
}

BOOST_AUTO_TEST_CASE(batches_continue_until_everything_old_is_gone) {
    Outbox o;
    const long long old = nowMs() - 30 * 86400000LL;
    for (int i = 0; i < 25; ++i) o.event(old);
    BOOST_TEST(pruneOutbox(*o.db, nowMs(), 10) == 10);
    BOOST_TEST(pruneOutboxAll(*o.db, nowMs(), 10) == 15);
}

BOOST_AUTO_TEST_SUITE_END()

// Jobs run once per cluster: two schedulers on one database never both run the same due job.
#include "jobs/scheduler.hpp"
#include "store/database.hpp"
#include "store/migrator.hpp"

#include <boost/test/unit_test.hpp>

#include <Poco/File.h>
#include <Poco/TemporaryFile.h>

using namespace parley::core;

namespace {
struct TwoNodes {
    std::string dir = Poco::TemporaryFile::tempName();
    std::unique_ptr<Database> db;
    TwoNodes() {
        Poco::File(dir).createDirectories();
        DatabaseConfig cfg;
        cfg.url = "sqlite:" + dir + "/jobs.db";
        cfg.pool_size = 2;
        db = std::make_unique<Database>(cfg);
        applyMigrations(*db, "core", selectMigrations(coreMigrationFiles(), db->backend()));
    }
    ~TwoNodes() { Poco::File(dir).remove(true); }
};
}  // namespace

BOOST_AUTO_TEST_SUITE(scheduler)

BOOST_FIXTURE_TEST_CASE(a_due_job_runs_on_exactly_one_of_two_nodes, TwoNodes) {
    int runs_a = 0, runs_b = 0;
    Scheduler a(*db, "node-a"), b(*db, "node-b");
    a.add("test:tick", 60, [&] { runs_a++; });
    b.add("test:tick", 60, [&] { runs_b++; });
    long long now = nowMs();
    BOOST_TEST(a.runDue(now) + b.runDue(now) == 1);
    BOOST_TEST(runs_a + runs_b == 1);
    // Not due again until the interval has passed, whichever node asks.
    BOOST_TEST(a.runDue(now + 30'000) + b.runDue(now + 30'000) == 0);
    BOOST_TEST(b.runDue(now + 61'000) + a.runDue(now + 61'000) == 1);
    BOOST_TEST(runs_a + runs_b == 2);
}

BOOST_FIXTURE_TEST_CASE(a_failing_job_records_its_error_and_runs_again_next_time, TwoNodes) {
    int attempts = 0;
    Scheduler s(*db, "node-a");
    s.add("test:flaky", 10, [&] {
        attempts++;
        throw std::runtime_error("upstream said 503");
    });
    long long now = nowMs();
    BOOST_TEST(s.runDue(now) == 1);
    std::string error;
    db->read([&](soci::session& sql) {
        sql << "SELECT last_error FROM scheduled_jobs WHERE name = 'test:flaky'", soci::into(error);
    });
    BOOST_TEST(error == "upstream said 503");
    BOOST_TEST(s.runDue(now + 11'000) == 1);
    BOOST_TEST(attempts == 2);
}

BOOST_FIXTURE_TEST_CASE(a_claimed_run_is_not_taken_by_another_node_until_its_lease_expires, TwoNodes) {
    Scheduler a(*db, "node-a"), b(*db, "node-b");
    int runs_b = 0;
    b.add("test:long", 1, [&] { runs_b++; });
    long long now = nowMs();
    // node-a claimed the run and then died: locked_until is in the future.
    db->write([&](soci::session& sql) {
        long long lease = now + 5 * 60'000;
        sql << "UPDATE scheduled_jobs SET locked_until = :l, locked_by = 'node-a' WHERE name = 'test:long'",
            soci::use(lease);
    });
    BOOST_TEST(b.runDue(now + 2'000) == 0);
    BOOST_TEST(b.runDue(now + 5 * 60'000 + 1) == 1);
    BOOST_TEST(runs_b == 1);
}

BOOST_AUTO_TEST_SUITE_END()

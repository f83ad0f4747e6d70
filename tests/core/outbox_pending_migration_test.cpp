// Migration 0016 on a database that has events: the ones not yet dispatched (delivered_at NULL) are queued in
// outbox_pending with their order, the dispatched ones are not, and the dispatcher's fan-out then takes exactly the
// queued ones. SQLite always; PostgreSQL when PARLEY_TEST_PG_URL is set (tests/run-all sets it).
#include "pipeline/outbox_dispatcher.hpp"

#include "http/json.hpp"
#include "store/database.hpp"
#include "store/migrator.hpp"
#include "support.hpp"

#include <parley/plugin.h>

#include <boost/test/unit_test.hpp>

#include <Poco/Logger.h>

#include <soci/postgresql/soci-postgresql.h>

#include <cstdlib>
#include <random>

using namespace parley::core;
using core_test::pgUrl;

namespace {

// The core's migrations before (or from) 0016.
std::vector<Migration> migrations(const Database& db, bool upgrade) {
    std::vector<Migration> out;
    for (auto& m : selectMigrations(coreMigrationFiles(), db.backend()))
        if ((m.version >= 16) == upgrade) out.push_back(m);
    return out;
}

// Three events written the old way (before 0016): the first dispatched, the other two not, in that order.
std::vector<std::string> oldEvents(Database& db) {
    std::vector<std::string> ids = {newUuid(), newUuid(), newUuid()};
    const std::string tenant = "00000000-0000-4000-8000-000000000001";
    db.write([&](soci::session& sql) {
        for (std::size_t i = 0; i < ids.size(); ++i) {
            soci::indicator dispatched = i == 0 ? soci::i_ok : soci::i_null;
            long long at = 1000 + static_cast<long long>(i);
            sql << "INSERT INTO outbox_events (id, tenant_id, name, payload, created_at, delivered_at) VALUES (:id, "
                   ":t, 'message.created', '{}', :c, :d)",
                soci::use(ids[i]), soci::use(tenant), soci::use(at),
                soci::use(at, dispatched);
        }
    });
    return ids;
}

// After 0016: the queue holds the two undispatched events in their order, and one fan-out pass takes them.
void checkUpgrade(Database& db, const std::vector<std::string>& ids) {
    std::vector<std::string> queued;
    db.read([&](soci::session& sql) {
        soci::rowset<std::string> rows =
            (sql.prepare << "SELECT CAST(event_id AS TEXT) FROM outbox_pending ORDER BY seq");
        for (const auto& id : rows) queued.push_back(id);
    });
    BOOST_TEST(queued == (std::vector<std::string>{ids[1], ids[2]}));

    std::vector<std::string> seen;
    OutboxOptions options;
    OutboxDispatcher dispatcher(db, options, Poco::Logger::get("test"));
    OutboxSubscriber s;
    s.name = "test:all";
    s.owner = "test";
    s.events = "*";
    s.deliver = [&](soci::session&, const std::string& event_json, std::string&) {
        JsonObject e = parseJsonObject(event_json, 16);
        seen.push_back(e->getValue<std::string>("id"));
        return static_cast<int>(PARLEY_OK);
    };
    dispatcher.add(std::move(s));
    dispatcher.runOnce(nowMs());
    BOOST_TEST(seen == (std::vector<std::string>{ids[1], ids[2]}), boost::test_tools::per_element());
    db.read([&](soci::session& sql) {
        long long left = -1;
        sql << "SELECT COUNT(*) FROM outbox_pending", soci::into(left);
        BOOST_TEST(left == 0);
    });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(outbox_pending_migration)

BOOST_AUTO_TEST_CASE(sqlite_queues_the_undispatched_events_in_order) {
    core_test::TempDir dir;
    DatabaseConfig cfg;
    cfg.url = "sqlite:" + dir.file("upgrade.db");
    Database db(cfg);
    applyMigrations(db, "core", migrations(db, false));
    auto ids = oldEvents(db);
    applyMigrations(db, "core", migrations(db, true));
    checkUpgrade(db, ids);
}

BOOST_AUTO_TEST_CASE(postgresql_queues_the_undispatched_events_in_order,
                     *boost::unit_test::precondition([](boost::unit_test::test_unit_id) {
                         return pgUrl() != nullptr;
                     })) {
    std::string admin = pgUrl(), name = "parley_upgrade_" + std::to_string(std::random_device{}());
    {
        soci::session sql(soci::postgresql, postgresKeywords(admin));
        sql << "CREATE DATABASE " + name;
    }
    {
        DatabaseConfig cfg;
        cfg.url = admin.substr(0, admin.rfind('/') + 1) + name;
        Database db(cfg);
        applyMigrations(db, "core", migrations(db, false));
        auto ids = oldEvents(db);
        applyMigrations(db, "core", migrations(db, true));
        checkUpgrade(db, ids);
    }
    soci::session sql(soci::postgresql, postgresKeywords(admin));
    sql << "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)";
}

BOOST_AUTO_TEST_SUITE_END()

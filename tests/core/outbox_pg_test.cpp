// The outbox dispatcher's PostgreSQL path: a batch's head check is one query, and a row another node holds
// (locked, so skipped) still holds back the later events of its conversation, and only those. Runs when
// PARLEY_TEST_PG_URL is set (tests/run-all sets it); reported as skipped otherwise.
#include "pipeline/outbox_dispatcher.hpp"
#include "store/conversation_repository.hpp"
#include "store/database.hpp"
#include "store/migrator.hpp"

#include "http/json.hpp"
#include "support.hpp"

#include <parley/plugin.h>

#include <boost/test/unit_test.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

#include <soci/postgresql/soci-postgresql.h>

#include <cstdlib>
#include <random>

using namespace parley::core;
using core_test::pgUrl;

namespace {

struct PgOutbox {
    std::string admin = pgUrl(), name = "parley_outbox_" + std::to_string(std::random_device{}());
    std::string url = admin.substr(0, admin.rfind('/') + 1) + name;
    std::unique_ptr<Database> db;
    OutboxOptions options;
    PgOutbox() {
        {
            soci::session sql(soci::postgresql, postgresKeywords(admin));
            sql << "CREATE DATABASE " + name;
        }
        DatabaseConfig cfg;
        cfg.url = url;
        cfg.pool_size = 4;
        db = std::make_unique<Database>(cfg);
        applyMigrations(*db, "core", selectMigrations(coreMigrationFiles(), db->backend()));
        db->write([](soci::session& sql) { sql << "CREATE TABLE seen (n BIGSERIAL, event_id TEXT)"; });
    }
    ~PgOutbox() {
        db.reset();
        try {
            soci::session sql(soci::postgresql, postgresKeywords(admin));
            sql << "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)";
        } catch (...) {
        }
    }
    std::string commit(const std::string& conversation) {
        db->write([&](soci::session& sql) {
            JsonObject payload = jsonObject();
            payload->set("conversation_id", conversation);
            appendOutboxEvent(sql, "00000000-0000-4000-8000-000000000001", "message.created", payload);
        });
        return db->read([&](soci::session& sql) {
            std::string id;
            sql << "SELECT CAST(id AS TEXT) FROM outbox_events ORDER BY seq DESC LIMIT 1", soci::into(id);
            return id;
        });
    }
    std::vector<std::string> seen() {
        return db->read([&](soci::session& sql) {
            std::vector<std::string> out;
            soci::rowset<std::string> rows = (sql.prepare << "SELECT event_id FROM seen ORDER BY n");
            for (const auto& id : rows) out.push_back(id);
            return out;
        });
    }
};

const std::string kA = "11111111-1111-4111-8111-111111111111", kB = "22222222-2222-4222-8222-222222222222";

}  // namespace

BOOST_AUTO_TEST_SUITE(outbox_postgresql, *boost::unit_test::precondition([](boost::unit_test::test_unit_id) {
    return pgUrl() != nullptr;
}))

BOOST_FIXTURE_TEST_CASE(a_row_another_node_holds_holds_back_only_its_conversation_in_a_batch, PgOutbox) {
    std::vector<std::size_t> calls;
    OutboxSubscriber s;
    s.name = "test:batch";
    s.owner = "test";
    s.events = "*";
    s.deliver_batch = [&](soci::session& sql, const std::string& events, std::size_t count, std::string&) {
        calls.push_back(count);
        Poco::JSON::Parser parser;
        auto list = parser.parse(events).extract<Poco::JSON::Array::Ptr>();
        for (unsigned i = 0; i < list->size(); ++i) {
            std::string id = list->getObject(i)->getValue<std::string>("id");
            sql << "INSERT INTO seen (event_id) VALUES (:e)", soci::use(id);
        }
        return static_cast<int>(PARLEY_OK);
    };
    OutboxDispatcher node(*db, options, Poco::Logger::get("test"));
    node.add(s);
    std::string a1 = commit(kA), b1 = commit(kB), a2 = commit(kA), b2 = commit(kB);
    // Another node (serving no subscription here) fans out; then it is "delivering" a1: its row is locked.
    OutboxDispatcher other(*db, options, Poco::Logger::get("test"));
    BOOST_TEST(other.runOnce(nowMs()) == 4);
    soci::session holder(soci::postgresql, postgresKeywords(url));
    holder << "BEGIN";
    long long locked = 0;
    holder << "SELECT COUNT(*) FROM (SELECT id FROM event_deliveries WHERE event_id = CAST(:e AS UUID) FOR UPDATE) AS l",
        soci::use(a1), soci::into(locked);
    BOOST_REQUIRE(locked == 1);
    // This node skips a1; a2 comes after it, so it waits; B's events go in one call.
    BOOST_TEST(node.runOnce(nowMs()) == 2);
    BOOST_TEST(calls == (std::vector<std::size_t>{2}), boost::test_tools::per_element());
    BOOST_TEST(seen() == (std::vector<std::string>{b1, b2}), boost::test_tools::per_element());
    // The other node gives a1 back (its transaction ends); now A goes, in order.
    holder << "ROLLBACK";
    BOOST_TEST(node.runOnce(nowMs()) == 2);
    BOOST_TEST(seen() == (std::vector<std::string>{b1, b2, a1, a2}), boost::test_tools::per_element());
    BOOST_TEST(node.pending() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

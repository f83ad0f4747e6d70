// PostgreSQL pipelines (store/pipeline.hpp): statements in one round trip commit together or not at all, the
// failing one is named, the connection serves SOCI again afterwards, and a statement run again is prepared once.
// The placeholder rewriting needs no server; the rest runs when PARLEY_TEST_PG_URL is set (tests/run-all sets it).
#include "store/pipeline.hpp"

#include "store/database.hpp"
#include "support.hpp"

#include <boost/test/unit_test.hpp>

#include <soci/postgresql/soci-postgresql.h>

#include <cstdlib>

using namespace parley::core;
using core_test::pgUrl;

namespace {

long long count(soci::session& sql, const std::string& query) {
    long long n = 0;
    sql << query, soci::into(n);
    return n;
}

// A session with its prepared statements registered, as the pool's are, and a scratch table.
struct PipelineSession {
    soci::session sql{soci::postgresql, postgresKeywords(pgUrl())};
    PreparedStatements prepared{sql};
    PipelineSession() {
        registerPrepared(sql, &prepared);
        sql << "SET client_min_messages = warning";
        sql << "DROP TABLE IF EXISTS pipeline_probe";
        sql << "CREATE TABLE pipeline_probe (id INTEGER PRIMARY KEY, note TEXT)";
    }
    ~PipelineSession() {
        unregisterPrepared(sql);
        sql << "DROP TABLE IF EXISTS pipeline_probe";
    }
};

const std::string kInsert = "INSERT INTO pipeline_probe (id, note) VALUES (CAST(:id AS INTEGER), :note) RETURNING id";

}  // namespace

BOOST_AUTO_TEST_SUITE(pipeline_placeholders)

BOOST_AUTO_TEST_CASE(named_placeholders_are_numbered_in_order_and_casts_and_literals_are_left_alone) {
    BOOST_TEST(dollarPlaceholders("SELECT :a, :b_2::text, CAST(:1 AS INT) WHERE x = ':not' AND y := :c") ==
               "SELECT $1, $2::text, CAST($3 AS INT) WHERE x = ':not' AND y := $4");
    BOOST_TEST(dollarPlaceholders("SELECT 'it''s :x', :y") == "SELECT 'it''s :x', $1");
    BOOST_TEST(dollarPlaceholders("SELECT ': '||:z") == "SELECT ': '||$1");
    BOOST_TEST(dollarPlaceholders("SELECT a : b, :") == "SELECT a : b, :");  // a lone colon stays
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pipeline_postgresql, *boost::unit_test::precondition([](boost::unit_test::test_unit_id) {
                          return pgUrl() != nullptr;
                      }))

BOOST_AUTO_TEST_CASE(statements_commit_together_and_hand_back_their_rows) {
    PipelineSession s;
    auto rows = runPipelined(s.sql, {{kInsert, {std::string("1"), std::string("one")}},
                                     {kInsert, {std::string("2"), std::nullopt}},
                                     {"SELECT id, note FROM pipeline_probe ORDER BY id", {}}});
    BOOST_REQUIRE(rows.size() == 3u);
    BOOST_TEST(rows[0].size() == 1u);
    BOOST_TEST(*rows[0][0][0] == "1");
    BOOST_REQUIRE(rows[2].size() == 2u);  // the last statement sees the earlier ones' writes
    BOOST_TEST(*rows[2][0][1] == "one");
    BOOST_TEST(!rows[2][1][1].has_value());  // NULL
    BOOST_TEST(count(s.sql, "SELECT COUNT(*) FROM pipeline_probe") == 2);
}

BOOST_AUTO_TEST_CASE(one_failing_statement_commits_none_and_is_named) {
    PipelineSession s;
    runPipelined(s.sql, {{kInsert, {std::string("1"), std::string("kept")}}});
    try {
        runPipelined(s.sql, {{kInsert, {std::string("2"), std::string("rolled back")}},
                             {kInsert, {std::string("1"), std::string("duplicate")}},
                             {kInsert, {std::string("3"), std::string("never run")}}});
        BOOST_FAIL("the duplicate key was accepted");
    } catch (const PipelineError& e) {
        BOOST_TEST(e.statement() == 1u);
        BOOST_TEST(std::string(e.what()).find("duplicate key") != std::string::npos, e.what());
    }
    BOOST_TEST(count(s.sql, "SELECT COUNT(*) FROM pipeline_probe") == 1);  // only the first pipeline's row
    // The connection is out of pipeline mode and serves SOCI, and the next pipeline commits.
    BOOST_TEST(count(s.sql, "SELECT 40 + 2") == 42);
    runPipelined(s.sql, {{kInsert, {std::string("2"), std::string("again")}}});
    BOOST_TEST(count(s.sql, "SELECT COUNT(*) FROM pipeline_probe") == 2);
}

BOOST_AUTO_TEST_CASE(a_statement_is_prepared_once_per_connection_and_reused) {
    PipelineSession s;
    auto ours = [&] {
        return count(s.sql, "SELECT COUNT(*) FROM pg_prepared_statements WHERE name LIKE 'parley_pl_%'");
    };
    runPipelined(s.sql, {{kInsert, {std::string("1"), std::string("a")}}});
    BOOST_TEST(ours() == 1);
    BOOST_TEST(s.prepared.pipelinedName(kInsert) != nullptr);
    runPipelined(s.sql, {{kInsert, {std::string("2"), std::string("b")}},
                         {kInsert, {std::string("3"), std::string("c")}}});
    BOOST_TEST(ours() == 1);  // the same text runs under its name
    runPipelined(s.sql, {{"SELECT CAST(:x AS INTEGER) + 1", {std::string("1")}}});
    BOOST_TEST(ours() == 2);
    BOOST_TEST(count(s.sql, "SELECT COUNT(*) FROM pipeline_probe") == 3);
}

BOOST_AUTO_TEST_CASE(a_session_outside_the_pool_runs_its_statements_unprepared) {
    soci::session sql(soci::postgresql, postgresKeywords(pgUrl()));
    auto rows = runPipelined(sql, {{"SELECT CAST(:a AS INTEGER) * 2", {std::string("21")}}});
    BOOST_TEST(*rows[0][0][0] == "42");
    BOOST_TEST(count(sql, "SELECT COUNT(*) FROM pg_prepared_statements") == 0);
}

BOOST_AUTO_TEST_SUITE_END()

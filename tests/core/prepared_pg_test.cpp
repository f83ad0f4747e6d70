// Prepared statements on a real PostgreSQL connection: a text is prepared the second time it is seen, a
// one-time run still hands over every row, a failed statement is not kept, and past the limit the least
// recently used statement goes while the hot one stays. Runs when PARLEY_TEST_PG_URL is set (tests/run-all
// sets it); reported as skipped otherwise.
#include "store/prepared.hpp"

#include "store/database.hpp"
#include "store/row.hpp"
#include "support.hpp"

#include <boost/test/unit_test.hpp>

#include <soci/postgresql/soci-postgresql.h>

#include <cstdlib>

using namespace parley::core;
using core_test::pgUrl;

namespace {

// How many statements this connection holds prepared on the server.
long long serverPrepared(soci::session& sql) {
    long long n = 0;
    sql << "SELECT COUNT(*) FROM pg_prepared_statements", soci::into(n);
    return n;
}

std::vector<long long> all(PreparedStatements& p, const std::string& query, const std::vector<SqlParam>& params) {
    std::vector<long long> out;
    for (const soci::row* r = p.run(query, params); r; r = p.next()) out.push_back(rowInt(*r, 0));
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(prepared_postgresql, *boost::unit_test::precondition([](boost::unit_test::test_unit_id) {
                          return pgUrl() != nullptr;
                      }))

BOOST_AUTO_TEST_CASE(prepared_the_second_time_a_text_is_seen) {
    soci::session sql(soci::postgresql, postgresKeywords(pgUrl()));
    PreparedStatements p(sql);
    const std::string q = "SELECT g FROM generate_series(1, CAST(:1 AS INTEGER)) AS g ORDER BY g";
    BOOST_TEST(all(p, q, {std::string("3")}) == (std::vector<long long>{1, 2, 3}));  // one-time, every row
    BOOST_TEST(p.ranOnce() == 1u);
    BOOST_TEST(p.prepared() == 0u);
    BOOST_TEST(serverPrepared(sql) == 0);
    BOOST_TEST(all(p, q, {std::string("2")}) == (std::vector<long long>{1, 2}));  // now prepared
    BOOST_TEST(p.prepared() == 1u);
    BOOST_TEST(serverPrepared(sql) == 1);
    BOOST_TEST(all(p, q, {std::string("4")}) == (std::vector<long long>{1, 2, 3, 4}));  // and reused
    BOOST_TEST(p.prepared() == 1u);
    BOOST_TEST(p.ranOnce() == 1u);
    // A statement that returns no rows, and NULL parameters.
    BOOST_TEST(p.run("SELECT 1 WHERE CAST(:1 AS TEXT) IS NOT NULL", {std::nullopt}) == nullptr);
}

BOOST_AUTO_TEST_CASE(a_failed_statement_is_not_kept_and_the_connection_goes_on) {
    soci::session sql(soci::postgresql, postgresKeywords(pgUrl()));
    PreparedStatements p(sql);
    const std::string bad = "SELECT CAST(:1 AS INTEGER)";
    for (int i = 0; i < 3; ++i) BOOST_CHECK_THROW(p.run(bad, {std::string("not a number")}), std::exception);
    const soci::row* r = p.run(bad, {std::string("7")});
    BOOST_TEST_REQUIRE(r != nullptr);
    BOOST_TEST(rowInt(*r, 0) == 7);
}

BOOST_AUTO_TEST_CASE(texts_that_vary_do_not_push_out_the_hot_statement) {
    soci::session sql(soci::postgresql, postgresKeywords(pgUrl()));
    PreparedStatements p(sql);
    const std::string hot = "SELECT CAST(:1 AS BIGINT) + 1";
    for (int i = 0; i < 2; ++i) p.run(hot, {std::string("1")});
    BOOST_TEST(p.prepared() == 1u);
    // A thousand IN lists of different lengths, each seen once: none is prepared.
    for (int n = 1; n <= 1000; ++n) {
        std::string q = "SELECT COUNT(*) FROM generate_series(1, 3) AS g WHERE g IN (";
        std::vector<SqlParam> params;
        for (int k = 1; k <= n; ++k) {
            q += (k > 1 ? ",CAST(:" : "CAST(:") + std::to_string(k) + " AS INTEGER)";
            params.emplace_back(std::to_string(k));
        }
        const soci::row* r = p.run(q + ")", params);
        BOOST_TEST_REQUIRE(r != nullptr);
        BOOST_TEST(rowInt(*r, 0) == std::min(n, 3));
    }
    BOOST_TEST(p.prepared() == 1u);
    BOOST_TEST(serverPrepared(sql) == 1);
    // Past the limit of kept statements, the least recently used goes; the hot one, used all along, stays.
    for (std::size_t n = 0; n < PreparedStatements::kMaxStatements + 10; ++n) {
        std::string q = "SELECT " + std::to_string(n) + " + CAST(:1 AS INTEGER)";
        p.run(q, {std::string("1")});
        p.run(q, {std::string("1")});
        p.run(hot, {std::string("1")});
    }
    BOOST_TEST(serverPrepared(sql) == static_cast<long long>(PreparedStatements::kMaxStatements));
    std::size_t before = p.prepared();
    const soci::row* r = p.run(hot, {std::string("41")});
    BOOST_TEST_REQUIRE(r != nullptr);
    BOOST_TEST(rowInt(*r, 0) == 42);
    BOOST_TEST(p.prepared() == before);  // still prepared: not prepared again
}

BOOST_AUTO_TEST_SUITE_END()

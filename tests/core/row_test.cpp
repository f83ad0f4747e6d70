// Reading rows the same way on both backends: queryEach hands every row over, in order, with bound parameters.
#include "store/database.hpp"
#include "store/row.hpp"

#include <boost/test/unit_test.hpp>

#include <Poco/File.h>
#include <Poco/TemporaryFile.h>

using namespace parley::core;

BOOST_AUTO_TEST_SUITE(row_reading)

BOOST_AUTO_TEST_CASE(query_each_hands_over_every_row_in_order) {
    std::string dir = Poco::TemporaryFile::tempName();
    Poco::File(dir).createDirectories();
    {
        DatabaseConfig cfg;
        cfg.url = "sqlite:" + dir + "/rows.db";
        Database db(cfg);
        db.write([](soci::session& sql) {
            sql << "CREATE TABLE t (k TEXT, n INTEGER)";
            sql << "INSERT INTO t VALUES ('a', 1), ('b', 2), ('a', 3), ('a', 4)";
        });
        std::vector<long long> seen;
        db.read([&](soci::session& sql) {
            queryEach(sql, "SELECT n FROM t WHERE k = :k AND n > :n ORDER BY n",
                      [&](const soci::row& r) { seen.push_back(rowInt(r, 0)); }, std::string("a"), 1);
        });
        BOOST_TEST(seen == (std::vector<long long>{3, 4}));
        seen.clear();
        db.read([&](soci::session& sql) {
            queryEach(sql, "SELECT n FROM t WHERE k = :k", [&](const soci::row& r) { seen.push_back(rowInt(r, 0)); },
                      std::string("none"));
        });
        BOOST_TEST(seen.empty());
    }
    Poco::File(dir).remove(true);
}

BOOST_AUTO_TEST_SUITE_END()

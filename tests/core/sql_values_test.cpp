// A plugin's SQL parameters read from JSON text and its rows written back: every JSON scalar and escape, the
// errors a plugin gets for anything else, the SDK's writer against this reader, and rows from a real SQLite
// statement.
#include "plugin/sql_values.hpp"
#include "store/database.hpp"

#include <parley/sql_params.hpp>

#include <boost/test/unit_test.hpp>

#include <Poco/File.h>
#include <Poco/JSON/Parser.h>
#include <Poco/TemporaryFile.h>

#include <cmath>

using namespace parley::core;
using Kind = SqlValue::Kind;

namespace {

std::string errorOf(const std::string& json) {
    try {
        parseSqlValues(json);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sql_values)

BOOST_AUTO_TEST_CASE(reads_every_scalar_kind) {
    auto v = parseSqlValues(R"( [ "a b", 42, -7, 0, 1.5, -2e3, true, false, null, 18446744073709551616 ] )");
    BOOST_TEST_REQUIRE(v.size() == 10u);
    BOOST_TEST((v[0].kind == Kind::text && v[0].text == "a b"));
    BOOST_TEST((v[1].kind == Kind::integer && v[1].integer == 42));
    BOOST_TEST((v[2].kind == Kind::integer && v[2].integer == -7));
    BOOST_TEST((v[3].kind == Kind::integer && v[3].integer == 0));
    BOOST_TEST((v[4].kind == Kind::real && v[4].real == 1.5));
    BOOST_TEST((v[5].kind == Kind::real && v[5].real == -2000.0));
    BOOST_TEST((v[6].kind == Kind::integer && v[6].integer == 1));
    BOOST_TEST((v[7].kind == Kind::integer && v[7].integer == 0));
    BOOST_TEST((v[8].kind == Kind::null));
    BOOST_TEST((v[9].kind == Kind::real && v[9].real == 18446744073709551616.0));  // past 64 bits: a real
    BOOST_TEST(parseSqlValues("[]").empty());
    BOOST_TEST(parseSqlValues(" [ ] ").empty());
}

BOOST_AUTO_TEST_CASE(unescapes_strings_to_utf8) {
    auto v = parseSqlValues(R"(["q\"b\\s\/n\nr\rt\tb\bf\f", "\u00e9\u20ac\ud83d\ude00", "caf\u00E9", "é€😀"])");
    BOOST_TEST_REQUIRE(v.size() == 4u);
    BOOST_TEST(v[0].text == "q\"b\\s/n\nr\rt\tb\bf\f");
    BOOST_TEST(v[1].text == "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");  // é € 😀
    BOOST_TEST(v[2].text == "caf\xC3\xA9");
    BOOST_TEST(v[3].text == "é€😀");  // UTF-8 passes through as is
}

BOOST_AUTO_TEST_CASE(a_long_text_survives_a_round_trip_through_poco) {
    // What plugins send: Poco's own stringify of a body full of quotes, backslashes, controls and non-ASCII.
    std::string body;
    for (int i = 0; i < 5000; ++i) body += "{\"k\":\"v\\\\" + std::to_string(i) + "\"}\n\t\x01 ü ";
    Poco::JSON::Array a;
    a.add(body);
    a.add(7);
    std::ostringstream text;
    a.stringify(text);
    auto v = parseSqlValues(text.str());
    BOOST_TEST_REQUIRE(v.size() == 2u);
    BOOST_TEST(v[0].text == body);
    BOOST_TEST(v[1].integer == 7);
}

BOOST_AUTO_TEST_CASE(the_sdk_writes_what_the_host_reads) {
    // parley::SqlParams (sdk/include/parley/sql_params.hpp) on the plugin's side, parseSqlValues on the host's.
    std::string nasty = "quote \" backslash \\ newline \n tab \t bell \x07 nul-free é€😀";
    std::optional<std::string> none, some = "x";
    parley::SqlParams p;
    p.add(nasty).add(42).add(-7LL).add(3000000000000ULL).add(true).add(false).add(nullptr).add(0.25).add(none).add(some);
    p.add("literal").add(std::string_view("view"));
    BOOST_TEST(p.size() == 12u);
    auto v = parseSqlValues(p.text());
    BOOST_TEST_REQUIRE(v.size() == 12u);
    BOOST_TEST((v[0].kind == Kind::text && v[0].text == nasty));
    BOOST_TEST(v[1].integer == 42);
    BOOST_TEST(v[2].integer == -7);
    BOOST_TEST(v[3].integer == 3000000000000LL);
    BOOST_TEST((v[4].kind == Kind::integer && v[4].integer == 1));
    BOOST_TEST((v[5].kind == Kind::integer && v[5].integer == 0));
    BOOST_TEST((v[6].kind == Kind::null));
    BOOST_TEST((v[7].kind == Kind::real && v[7].real == 0.25));
    BOOST_TEST((v[8].kind == Kind::null));
    BOOST_TEST(v[9].text == "x");
    BOOST_TEST(v[10].text == "literal");
    BOOST_TEST(v[11].text == "view");
    BOOST_TEST(parley::sqlParams() == "[]");
    BOOST_TEST(parley::sqlParams("a", 1, nullptr) == "[\"a\",1,null]");
    BOOST_TEST(parley::sqlParams(std::nan("")) == "[null]");  // JSON has no NaN
}

BOOST_AUTO_TEST_CASE(refuses_anything_else_with_a_clear_reason) {
    BOOST_TEST(errorOf(R"({"a":1})") == "params must be a JSON array");
    BOOST_TEST(errorOf("") == "params must be a JSON array");
    BOOST_TEST(errorOf(R"([[1]])") == "params may hold only strings, numbers, booleans and nulls");
    BOOST_TEST(errorOf(R"([1, {"a":1}])") == "params may hold only strings, numbers, booleans and nulls");
    BOOST_TEST(errorOf("[1 2]") == "params are not valid JSON: expected ',' or ']' at byte 3");
    BOOST_TEST(errorOf("[1,]").find("not valid JSON") != std::string::npos);
    BOOST_TEST(errorOf("[1] x") == "params are not valid JSON: unexpected text after the array at byte 4");
    BOOST_TEST(errorOf(R"(["abc)") == "params are not valid JSON: unterminated string at byte 5");
    BOOST_TEST(errorOf("[\"a\nb\"]") == "params are not valid JSON: control character in a string at byte 3");
    BOOST_TEST(errorOf(R"(["\x"])") == "params are not valid JSON: bad escape at byte 3");
    BOOST_TEST(errorOf(R"(["\u12"])").find("bad \\u escape") != std::string::npos);
    BOOST_TEST(errorOf(R"(["\ud83d"])").find("lone surrogate") != std::string::npos);
    BOOST_TEST(errorOf(R"(["\ude00"])").find("lone surrogate") != std::string::npos);
    BOOST_TEST(errorOf("[01]").find("not valid JSON") != std::string::npos);
    BOOST_TEST(errorOf("[1.]") == "params are not valid JSON: bad number at byte 3");
    BOOST_TEST(errorOf("[-]") == "params are not valid JSON: bad number at byte 2");
    BOOST_TEST(errorOf("[1e]").find("bad number") != std::string::npos);
    BOOST_TEST(errorOf("[tru]") == "params are not valid JSON: unexpected character at byte 1");
    BOOST_TEST(errorOf("[nullx]").find("expected ',' or ']'") != std::string::npos);
    BOOST_TEST(errorOf("[1e999]") == "params are not valid JSON: number out of range at byte 1");
}

BOOST_AUTO_TEST_CASE(rows_are_written_as_json_objects) {
    std::string dir = Poco::TemporaryFile::tempName();
    Poco::File(dir).createDirectories();
    {
        DatabaseConfig cfg;
        cfg.url = "sqlite:" + dir + "/rows.db";
        Database db(cfg);
        std::string out;
        db.write([&](soci::session& sql) {
            sql << "CREATE TABLE t (n INTEGER, t TEXT, z TEXT, r REAL, u TEXT)";
            sql << "INSERT INTO t VALUES (42, 'say \"hi\"' || char(10), NULL, 2.5, 'é')";
            soci::row row;
            sql << "SELECT n, t, z, r, u FROM t", soci::into(row);
            appendRowJson(out, row);
        });
        BOOST_TEST(out == "{\"n\":42,\"t\":\"say \\\"hi\\\"\\n\",\"z\":null,\"r\":2.5,\"u\":\"é\"}");
        auto parsed = Poco::JSON::Parser().parse(out).extract<Poco::JSON::Object::Ptr>();
        BOOST_TEST(parsed->getValue<std::string>("t") == "say \"hi\"\n");
    }
    Poco::File(dir).remove(true);
}

BOOST_AUTO_TEST_SUITE_END()

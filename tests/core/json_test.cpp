// Proves that request bodies are parsed within limits and that typed reads name the offending field.
#include "http/json.hpp"

#include "app/errors.hpp"
#include "support.hpp"

#include <boost/test/unit_test.hpp>

#include <limits>

using namespace parley::core;
using core_test::apiErrorFrom;
using core_test::contains;

namespace {

JsonObject body(const std::string& text) { return parseJsonObject(text, 32); }

}  // namespace

BOOST_AUTO_TEST_SUITE(json)

BOOST_AUTO_TEST_CASE(object_body_parses_keeping_key_order) {
    JsonObject o = body(R"({"z": 1, "a": "x", "m": [true, null]})");
    BOOST_TEST(o->getValue<int>("z") == 1);
    BOOST_TEST(o->getValue<std::string>("a") == "x");
    BOOST_TEST(toJson(o) == R"({"z":1,"a":"x","m":[true,null]})");
}

BOOST_AUTO_TEST_CASE(malformed_json_is_400_invalid_json) {
    for (const char* text : {"", "{", R"({"a":})", R"({"a":1,})", "not json", R"({'a': 1})", R"({"a": 1} x)"}) {
        BOOST_TEST_CONTEXT("body: " << text) {
            auto e = apiErrorFrom([&] { body(text); });
            BOOST_REQUIRE(e.has_value());
            BOOST_TEST(e->status() == 400);
            BOOST_TEST(e->code() == "invalid_json");
        }
    }
}

BOOST_AUTO_TEST_CASE(top_level_array_is_400_invalid_body) {
    for (const char* text : {"[1, 2]", "[]", "[{}]"}) {
        BOOST_TEST_CONTEXT("body: " << text) {
            auto e = apiErrorFrom([&] { body(text); });
            BOOST_REQUIRE(e.has_value());
            BOOST_TEST(e->status() == 400);
            BOOST_TEST(e->code() == "invalid_body");
            BOOST_TEST(contains(e->what(), "must be a JSON object, got an array"), e->what());
        }
    }
}

BOOST_AUTO_TEST_CASE(top_level_scalar_is_refused_with_400) {
    // Poco's ParseHandler cannot hold a bare scalar, so these surface as invalid_json rather than invalid_body;
    // either way the client gets a 400 and the handler never sees them.
    for (const char* text : {"42", R"("text")", "true", "null"}) {
        BOOST_TEST_CONTEXT("body: " << text) {
            auto e = apiErrorFrom([&] { body(text); });
            BOOST_REQUIRE(e.has_value());
            BOOST_TEST(e->status() == 400);
            BOOST_TEST((e->code() == "invalid_json" || e->code() == "invalid_body"), e->code());
        }
    }
}

BOOST_AUTO_TEST_CASE(nesting_deeper_than_the_limit_is_json_too_deep_and_exactly_the_limit_passes) {
    const std::string three = R"({"a": {"b": [1]}})";
    BOOST_TEST(parseJsonObject(three, 3)->has("a"));
    auto e = apiErrorFrom([&] { parseJsonObject(three, 2); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->status() == 400);
    BOOST_TEST(e->code() == "json_too_deep");

    // Sibling containers do not add up: depth is the deepest path, not the count of brackets.
    BOOST_TEST(parseJsonObject(R"({"a": [], "b": {}, "c": [[]]})", 3)->size() == 3u);
}

BOOST_AUTO_TEST_CASE(depth_bomb_is_refused_before_parsing) {
    // Unbalanced on purpose: the depth check must answer first, without recursing through the parser.
    std::string bomb = "{\"a\":" + std::string(100000, '[');
    auto e = apiErrorFrom([&] { body(bomb); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == "json_too_deep");
}

BOOST_AUTO_TEST_CASE(brackets_inside_strings_do_not_count_towards_depth) {
    const char* cases[] = {
        R"({"a": "[[[[{{{{"})",
        R"({"a": "\"[[[[{{{{"})",  // an escaped quote does not end the string
        R"({"a": "\\", "b": "[[[["})",  // an escaped backslash does not escape the closing quote
    };
    for (const char* text : cases) {
        BOOST_TEST_CONTEXT("body: " << text) {
            BOOST_TEST(parseJsonObject(text, 1)->size() >= 1u);
        }
    }
}

BOOST_AUTO_TEST_CASE(wrong_type_is_422_invalid_field_naming_the_field) {
    struct Case {
        const char* text;
        const char* got;
    };
    const Case cases[] = {{R"({"name": 5})", "a number"},
                          {R"({"name": true})", "a boolean"},
                          {R"({"name": ["x"]})", "an array"},
                          {R"({"name": {"x": 1}})", "an object"}};
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT("body: " << c.text) {
            JsonObject o = body(c.text);
            auto e = apiErrorFrom([&] { optString(o, "name"); });
            BOOST_REQUIRE(e.has_value());
            BOOST_TEST(e->status() == 422);
            BOOST_TEST(e->code() == "invalid_field");
            BOOST_TEST(contains(e->what(), "'name'"), e->what());
            BOOST_TEST(contains(e->what(), c.got), e->what());
        }
    }
}

BOOST_AUTO_TEST_CASE(string_longer_than_max_length_bytes_is_rejected_and_the_max_itself_passes) {
    JsonObject o = body(R"({"title": "abcd", "utf8": "ñé"})");
    BOOST_TEST(*optString(o, "title", 4) == "abcd");
    auto e = apiErrorFrom([&] { optString(o, "title", 3); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->status() == 422);
    BOOST_TEST(contains(e->what(), "'title'"), e->what());
    BOOST_TEST(contains(e->what(), "at most 3 bytes"), e->what());
    // The limit counts bytes, not characters: two 2-byte characters are 4 bytes.
    BOOST_TEST(apiErrorFrom([&] { optString(o, "utf8", 3); }).has_value());
    BOOST_TEST(*optString(o, "utf8", 4) == "ñé");
}

BOOST_AUTO_TEST_CASE(absent_and_null_fields_read_as_absent) {
    JsonObject o = body(R"({"n": null})");
    for (const char* key : {"n", "missing"}) {
        BOOST_TEST_CONTEXT(key) {
            BOOST_TEST(!optString(o, key).has_value());
            BOOST_TEST(!optInt(o, key, 0, 10).has_value());
            BOOST_TEST(!optBool(o, key).has_value());
            BOOST_TEST(!optObject(o, key).has_value());
            BOOST_TEST(!optStringArray(o, key, 10, 10).has_value());
            auto e = apiErrorFrom([&] { reqString(o, key); });
            BOOST_REQUIRE(e.has_value());
            BOOST_TEST(e->status() == 422);
            BOOST_TEST(contains(e->what(), std::string("'") + key + "' is required"), e->what());
        }
    }
}

BOOST_AUTO_TEST_CASE(opt_int_accepts_integers_within_range_inclusive) {
    JsonObject o = body(R"({"low": 1, "high": 10, "neg": -5})");
    BOOST_TEST(*optInt(o, "low", 1, 10) == 1);
    BOOST_TEST(*optInt(o, "high", 1, 10) == 10);
    BOOST_TEST(*optInt(o, "neg", -5, 0) == -5);
}

BOOST_AUTO_TEST_CASE(opt_int_rejects_out_of_range_and_non_integers_naming_the_field) {
    const char* cases[] = {
        R"({"count": 0})",     R"({"count": 11})",   R"({"count": 5.5})",
        R"({"count": "5"})",   R"({"count": true})", R"({"count": [5]})",
        R"({"count": 1e300})", R"({"count": 18446744073709551615})",
        R"({"count": -9223372036854775809})",
    };
    for (const char* text : cases) {
        BOOST_TEST_CONTEXT("body: " << text) {
            JsonObject o = body(text);
            auto e = apiErrorFrom([&] { optInt(o, "count", 1, 10); });
            BOOST_REQUIRE(e.has_value());
            BOOST_TEST(e->status() == 422);
            BOOST_TEST(e->code() == "invalid_field");
            BOOST_TEST(contains(e->what(), "'count'"), e->what());
        }
    }
}

BOOST_AUTO_TEST_CASE(opt_int_range_message_states_the_bounds) {
    JsonObject o = body(R"({"count": 11})");
    auto e = apiErrorFrom([&] { optInt(o, "count", 1, 10); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(contains(e->what(), "between 1 and 10"), e->what());
}

BOOST_AUTO_TEST_CASE(opt_bool_and_opt_object_reject_other_types) {
    JsonObject o = body(R"({"flag": 1, "obj": [], "ok": false, "inner": {"x": 1}})");
    BOOST_TEST(*optBool(o, "ok") == false);
    BOOST_TEST((*optObject(o, "inner"))->getValue<int>("x") == 1);
    auto flag = apiErrorFrom([&] { optBool(o, "flag"); });
    BOOST_REQUIRE(flag.has_value());
    BOOST_TEST(contains(flag->what(), "'flag'"), flag->what());
    auto obj = apiErrorFrom([&] { optObject(o, "obj"); });
    BOOST_REQUIRE(obj.has_value());
    BOOST_TEST(contains(obj->what(), "'obj'"), obj->what());
}

BOOST_AUTO_TEST_CASE(opt_string_array_reads_strings_and_names_the_bad_item_by_index) {
    JsonObject o = body(R"({"tags": ["a", "b"], "mixed": ["a", 2], "long": ["ok", "toolong"], "many": ["a","b","c"],
                            "scalar": "a"})");
    BOOST_TEST(*optStringArray(o, "tags", 2, 5) == (std::vector<std::string>{"a", "b"}));

    struct Case {
        const char* key;
        const char* named;
    };
    const Case cases[] = {{"mixed", "'mixed[1]'"}, {"long", "'long[1]'"}, {"many", "'many'"}, {"scalar", "'scalar'"}};
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.key) {
            auto e = apiErrorFrom([&] { optStringArray(o, c.key, 2, 5); });
            BOOST_REQUIRE(e.has_value());
            BOOST_TEST(e->status() == 422);
            BOOST_TEST(contains(e->what(), c.named), e->what());
        }
    }
}

BOOST_AUTO_TEST_CASE(stored_text_reads_back_and_empty_or_mismatched_text_gives_empty_values) {
    BOOST_TEST(storedObject(R"({"a": 1})")->getValue<int>("a") == 1);
    BOOST_TEST(storedObject("")->size() == 0u);
    BOOST_TEST(storedObject("[1]")->size() == 0u);
    BOOST_TEST(storedArray(R"(["x", "y"])")->size() == 2u);
    BOOST_TEST(storedArray("")->size() == 0u);
    BOOST_TEST(storedArray("{}")->size() == 0u);
    BOOST_CHECK_THROW(parseJson("{nope"), std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()

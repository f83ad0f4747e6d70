// Bulk import (CSV and JSON) keeps the good rows and reports each bad one with its line and reason.
#include "entry_codec.hpp"

#include "csv.hpp"

#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>

using namespace parley::knowledge_base;

namespace {
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
}  // namespace

BOOST_AUTO_TEST_SUITE(import)

BOOST_AUTO_TEST_CASE(csv_import_keeps_good_rows_and_rejects_bad_ones_with_line_and_reason) {
    std::string csv =
        "question,answer,phrasings,keywords,links,enabled\n"
        "How long is delivery?,Two days.,delivery time|when will it arrive,shipping,Track=https://t.example.com,true\n"
        ",No question here,,,,\n"
        "\"Multi-line, quoted\nquestion?\",\"Answer with \"\"quotes\"\"\",,,,no\n"
        "Bad link?,Yes.,,,Home=ftp://example.com,\n"
        "Bad flag?,Yes.,,,,maybe\n"
        "Too few fields,Yes.\n";
    ImportBatch batch = importCsv(csv);
    BOOST_REQUIRE(batch.entries.size() == 2u);
    BOOST_TEST(batch.entries[0].phrasings == (std::vector<std::string>{"delivery time", "when will it arrive"}));
    BOOST_TEST(batch.entries[0].links[0].url == "https://t.example.com");
    BOOST_TEST(batch.entries[1].question == "Multi-line, quoted\nquestion?");
    BOOST_TEST(batch.entries[1].answer == "Answer with \"quotes\"");
    BOOST_TEST(!batch.entries[1].enabled);
    BOOST_REQUIRE(batch.rejected.size() == 4u);
    BOOST_TEST(batch.rejected[0].row == 3u);
    BOOST_TEST(contains(batch.rejected[0].reason, "question is required"));
    BOOST_TEST(batch.rejected[1].row == 6u);  // the quoted row spanned lines 4 and 5
    BOOST_TEST(contains(batch.rejected[1].reason, "not an http:// or https:// URL"), batch.rejected[1].reason);
    BOOST_TEST(contains(batch.rejected[2].reason, "enabled must be true or false"));
    BOOST_TEST(contains(batch.rejected[3].reason, "has 2 fields; the header has 6"));
}

BOOST_AUTO_TEST_CASE(csv_files_that_cannot_be_read_are_refused_whole) {
    BOOST_CHECK_EXCEPTION(importCsv("question,answr\nq,a\n"), InvalidEntry,
                          [](const InvalidEntry& e) { return contains(e.what(), "unknown column 'answr'"); });
    BOOST_CHECK_EXCEPTION(importCsv("question,phrasings\nq,a\n"), InvalidEntry,
                          [](const InvalidEntry& e) { return contains(e.what(), "'question' and 'answer'"); });
    BOOST_CHECK_EXCEPTION(importCsv("question,answer\n\"never closed,a\n"), InvalidEntry,
                          [](const InvalidEntry& e) { return contains(e.what(), "line 2: a quoted field is never closed"); });
    BOOST_CHECK_THROW(importCsv(""), InvalidEntry);
}

BOOST_AUTO_TEST_CASE(json_import_reports_bad_entries_by_position) {
    ImportBatch batch = importJson(R"({"entries":[
        {"question":"Q1","answer":"A1","tags":["billing"]},
        {"question":"Q2"},
        {"question":"Q3","answer":"A3","quick_replies":"yes"},
        {"question":"Q4","answer":"A4","colour":"red"},
        {"question":"Q5","answer":"A5","language":"English"}]})");
    BOOST_REQUIRE(batch.entries.size() == 1u);
    BOOST_TEST(batch.entries[0].tags == (std::vector<std::string>{"billing"}));
    BOOST_REQUIRE(batch.rejected.size() == 4u);
    BOOST_TEST(batch.rejected[0].row == 2u);
    BOOST_TEST(contains(batch.rejected[0].reason, "answer is required"));
    BOOST_TEST(contains(batch.rejected[1].reason, "quick_replies must be an array of strings"));
    BOOST_TEST(contains(batch.rejected[2].reason, "colour is not a field of an entry"));
    BOOST_TEST(contains(batch.rejected[3].reason, "language must be a two- or three-letter"));
    BOOST_CHECK_THROW(importJson("not json"), InvalidEntry);
    BOOST_CHECK_THROW(importJson(R"({"items":[]})"), InvalidEntry);
    BOOST_TEST(importJson(R"([{"question":"Q","answer":"A"}])").entries.size() == 1u);  // a bare array
}

BOOST_AUTO_TEST_CASE(limits_are_checked_in_characters) {
    auto object = [](const std::string& json) { return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>(); };
    std::string long_question(501, 'x'), accented(500, 'x');
    accented.replace(0, 1, "é");  // 500 characters, 501 bytes
    BOOST_CHECK_THROW(entryFromJson(object(R"({"question":")" + long_question + R"(","answer":"a"})")), InvalidEntry);
    BOOST_TEST(entryFromJson(object(R"({"question":")" + accented + R"(","answer":"a"})")).question == accented);
    Entry base = entryFromJson(object(R"({"question":"Q","answer":"A","keywords":["k"]})"));
    Entry patched = entryFromJson(object(R"({"answer":"B"})"), &base);  // PATCH keeps what it does not name
    BOOST_TEST(patched.question == "Q");
    BOOST_TEST(patched.answer == "B");
    BOOST_TEST(patched.keywords == (std::vector<std::string>{"k"}));
}

BOOST_AUTO_TEST_CASE(export_then_import_round_trips_every_field) {
    Entry e;
    e.id = "11111111-1111-4111-8111-111111111111";
    e.question = "Where, exactly, \"are\" you?";
    e.phrasings = {"address", "location"};
    e.answer = "Main street 1\nSpringfield";
    e.quick_replies = {"Map"};
    e.links = {{"Map", "https://maps.example.com/?q=main+1"}};
    e.keywords = {"visit"};
    e.tags = {"store"};
    e.language = "en";
    e.enabled = false;
    ImportBatch csv = importCsv(exportCsv({e}));
    BOOST_REQUIRE(csv.entries.size() == 1u);
    BOOST_TEST(csv.rejected.empty());
    ImportBatch json = importJson(exportJson({e}));
    BOOST_REQUIRE(json.entries.size() == 1u);
    for (const Entry& back : {csv.entries[0], json.entries[0]}) {
        BOOST_TEST(back.question == e.question);
        BOOST_TEST(back.phrasings == e.phrasings);
        BOOST_TEST(back.answer == e.answer);
        BOOST_TEST(back.quick_replies == e.quick_replies);
        BOOST_TEST(back.links[0].url == e.links[0].url);
        BOOST_TEST(back.links[0].label == "Map");
        BOOST_TEST(back.keywords == e.keywords);
        BOOST_TEST(back.tags == e.tags);
        BOOST_TEST(back.language == "en");
        BOOST_TEST(!back.enabled);
    }
}

BOOST_AUTO_TEST_SUITE_END()

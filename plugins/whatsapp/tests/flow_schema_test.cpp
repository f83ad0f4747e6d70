// The flow schema: a valid flow passes; each mistake is reported at its node and field; keyword matching,
// substitution and branching.
#include "../src/db.hpp"
#include "../src/flow_schema.hpp"

#include <boost/test/unit_test.hpp>

using namespace parley::whatsapp;

namespace {
const char* kFlow = R"({
  "name": "Orders",
  "trigger": {"keywords": ["order", "pedido"], "match": "contains"},
  "start": "ask",
  "nodes": {
    "ask": {"type": "ask", "text": "Hi {{name}}! Track or cancel?", "options": ["Track", "Cancel"], "save_as": "choice", "next": "route"},
    "route": {"type": "branch", "variable": "choice", "cases": [{"equals": "track", "next": "track"}], "default": "human"},
    "track": {"type": "message", "text": "It ships tomorrow.", "next": "bye"},
    "human": {"type": "handoff", "reason": "cancel"},
    "bye": {"type": "end"}
  }
})";

bool has(const std::vector<FlowError>& errors, const std::string& path) {
    for (const auto& e : errors)
        if (e.path == path) return true;
    return false;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(flow_schema)

BOOST_AUTO_TEST_CASE(the_documented_example_is_valid) { BOOST_TEST(validateFlow(parseObject(kFlow)).empty()); }

BOOST_AUTO_TEST_CASE(errors_point_at_the_node_and_field) {
    auto flow = parseObject(kFlow);
    flow->getObject("nodes")->getObject("route")->getArray("cases")->getObject(0)->set("next", std::string("trak"));
    flow->getObject("nodes")->getObject("ask")->remove("save_as");
    flow->getObject("nodes")->getObject("track")->set("type", std::string("sms"));
    flow->set("start", std::string("nowhere"));
    auto errors = validateFlow(flow);
    BOOST_TEST(has(errors, "nodes.route.cases[0].next"));
    BOOST_TEST(has(errors, "nodes.ask.save_as"));
    BOOST_TEST(has(errors, "nodes.track.type"));
    BOOST_TEST(has(errors, "start"));
    BOOST_TEST(errors.size() == 4u);
}

BOOST_AUTO_TEST_CASE(missing_trigger_and_nodes_are_reported) {
    auto errors = validateFlow(parseObject(R"({"name":"x"})"));
    BOOST_TEST(has(errors, "trigger"));
    BOOST_TEST(has(errors, "nodes"));
}

BOOST_AUTO_TEST_CASE(keywords_match_whole_words_case_insensitively) {
    auto trigger = parseObject(kFlow)->getObject("trigger");
    BOOST_TEST(keywordMatches(trigger, "Where is my ORDER?"));
    BOOST_TEST(keywordMatches(trigger, "pedido"));
    BOOST_TEST(!keywordMatches(trigger, "disorderly"));
    auto exact = parseObject(R"({"keywords":["menu"],"match":"exact"})");
    BOOST_TEST(keywordMatches(exact, "  Menu "));
    BOOST_TEST(!keywordMatches(exact, "the menu"));
}

BOOST_AUTO_TEST_CASE(substitution_and_branching) {
    auto vars = parseObject(R"({"name":"Ana","choice":"Track"})");
    BOOST_TEST(substitute("Hi {{name}}, {{ missing }}!", vars) == "Hi Ana, !");
    auto route = parseObject(kFlow)->getObject("nodes")->getObject("route");
    BOOST_TEST(branchNext(route, vars) == "track");
    BOOST_TEST(branchNext(route, parseObject(R"({"choice":"Cancel"})")) == "human");
}

BOOST_AUTO_TEST_SUITE_END()

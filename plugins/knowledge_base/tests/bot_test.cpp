// The bot's decision at the widget's thresholds, and the actions it hands the core for each outcome.
#include "bot.hpp"

#include <boost/test/unit_test.hpp>

using namespace parley::knowledge_base;

namespace {

struct Fixture {
    Entry a, b, c;
    Fixture() {
        a.id = "11111111-1111-4111-8111-111111111111";
        a.question = "How do I reset my password?";
        a.answer = "Use the \"Forgot password\" link.";
        a.quick_replies = {"Thanks", "Still stuck"};
        a.links = {{"Help", "https://help.example.com/reset"}};
        b.id = "22222222-2222-4222-8222-222222222222";
        b.question = "How do I change my email?";
        c.id = "33333333-3333-4333-8333-333333333333";
        c.question = "How do I delete my account?";
    }
    std::vector<Hit> hits(double ca, double cb, double cc) { return {{&a, ca, ca}, {&b, cb, cb}, {&c, cc, cc}}; }
};

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

BOOST_FIXTURE_TEST_SUITE(bot, Fixture)

BOOST_AUTO_TEST_CASE(answers_at_or_above_the_answer_threshold_with_entry_and_confidence_in_meta) {
    WidgetPolicy policy;
    Decision d = decide(hits(0.6, 0.5, 0.1), policy);
    BOOST_TEST(outcomeName(d.outcome) == std::string("answer"));
    std::string action = actionJson(d, policy);
    BOOST_TEST(contains(action, R"("type":"reply")"));
    BOOST_TEST(contains(action, R"("text":"Use the \"Forgot password\" link.\nHelp: https://help.example.com/reset")"), action);
    BOOST_TEST(contains(action, R"("quick_replies":["Thanks","Still stuck"])"));
    BOOST_TEST(contains(action, R"("confidence":0.6000)"));
    BOOST_TEST(contains(action, R"("meta":{"kb_entry_id":"11111111-1111-4111-8111-111111111111","kb_confidence":0.6000)"), action);
}

BOOST_AUTO_TEST_CASE(suggests_the_hits_between_the_thresholds_without_a_top_level_confidence) {
    WidgetPolicy policy;
    Decision d = decide(hits(0.59, 0.35, 0.34), policy);
    BOOST_TEST(outcomeName(d.outcome) == std::string("suggest"));
    BOOST_TEST(d.hits.size() == 2u);  // c is under the suggestion threshold
    std::string action = actionJson(d, policy);
    BOOST_TEST(contains(action, R"("quick_replies":["How do I reset my password?","How do I change my email?"])"), action);
    BOOST_TEST(contains(action, R"("kb_suggestions":["11111111-1111-4111-8111-111111111111","22222222-2222-4222-8222-222222222222"])"));
    BOOST_TEST(!contains(action, R"(,"confidence")"));  // the core would drop a low-confidence reply
    BOOST_TEST(contains(action, "Did you mean"));
    policy.language = "es";
    BOOST_TEST(contains(actionJson(d, policy), "¿Quiso decir"));
}

BOOST_AUTO_TEST_CASE(falls_back_below_the_suggestion_threshold_as_the_widget_chose) {
    struct Case {
        std::string fallback, action;
    } cases[] = {{"handoff", R"({"type":"handoff","reason":"kb_no_answer"})"},
                 {"capture_lead", R"({"type":"ask_lead","reason":"kb_no_answer"})"},
                 {"webhook", R"({"type":"forward_to_automation","reason":"kb_no_answer"})"}};
    for (const auto& c : cases) {
        WidgetPolicy policy;
        policy.fallback = c.fallback;
        Decision d = decide(hits(0.3, 0.2, 0.1), policy);
        BOOST_TEST(outcomeName(d.outcome) == std::string("fallback"));
        BOOST_TEST(actionJson(d, policy) == c.action);
        BOOST_TEST(actionJson(decide({}, policy), policy) == c.action);  // an empty knowledge base too
    }
}

BOOST_AUTO_TEST_CASE(the_widget_thresholds_move_the_boundaries) {
    WidgetPolicy strict;
    strict.answer_threshold = 0.9;
    strict.suggestion_threshold = 0.7;
    BOOST_TEST(outcomeName(decide(hits(0.85, 0.2, 0.1), strict).outcome) == std::string("suggest"));
    BOOST_TEST(outcomeName(decide(hits(0.65, 0.2, 0.1), strict).outcome) == std::string("fallback"));
    WidgetPolicy lenient;
    lenient.answer_threshold = 0.3;
    BOOST_TEST(outcomeName(decide(hits(0.31, 0.2, 0.1), lenient).outcome) == std::string("answer"));
}

BOOST_AUTO_TEST_CASE(content_gaps_group_questions_by_their_words_not_their_order) {
    BOOST_TEST(gapKey("Do you ship to Canada?", "en") == gapKey("canada: do you ship", "en"));
    BOOST_TEST(gapKey("Do you ship to Canada?", "en") != gapKey("Do you ship to Mexico?", "en"));
    BOOST_TEST(!gapKey("???", "en").empty());
}

BOOST_AUTO_TEST_SUITE_END()

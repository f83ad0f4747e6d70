// The classifier inside the index: it separates entries that differ by one word where similarity ties, keeps
// out of widgets with too few phrasings, reproduces, and steps aside on edits until it is trained again.
#include "index.hpp"

#include <boost/test/unit_test.hpp>

using namespace parley::knowledge_base;

namespace {

Entry entry(const std::string& id, std::vector<std::string> texts) {
    Entry e;
    e.id = id;
    e.question = texts.front();
    e.phrasings.assign(texts.begin() + 1, texts.end());
    e.answer = "Answer " + id;
    return e;
}

// Two entries whose phrasings differ in one word only (stolen / frozen: stems of the same length, so similarity
// treats them alike), and one about something else.
std::vector<Entry> cards() {
    auto card = [](const std::string& id, const std::string& word) {
        return entry(id, {"my card payment was " + word, "why was my card payment " + word,
                          "card payment " + word + " at the shop", "the shop says my card payment is " + word,
                          word + " card payment"});
    };
    return {card("stolen", "stolen"), card("frozen", "frozen"),
            entry("refund", {"I want a refund", "how do I get my money back", "refund my order",
                             "can I return this for a refund", "money back please"})};
}

IndexOptions withoutModel() {
    IndexOptions o;
    o.model.min_phrasings = 1e9;
    return o;
}

const Hit* hitFor(const std::vector<Hit>& hits, const std::string& id) {
    for (const auto& h : hits)
        if (h.entry->id == id) return &h;
    return nullptr;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(classifier)

BOOST_AUTO_TEST_CASE(separates_entries_that_differ_by_one_word_and_admits_a_tie_when_only_shared_words_are_asked) {
    Index plain({}, withoutModel()), trained;
    plain.rebuild(cards());
    trained.rebuild(cards());
    BOOST_TEST(!plain.hasModel());
    BOOST_REQUIRE(trained.hasModel());

    // Only the words both entries share: similarity ties exactly, and the classifier does not pretend.
    auto tied = plain.search("what about my card payment", 3);
    BOOST_REQUIRE(tied.size() >= 2u);
    BOOST_TEST(tied[0].score == tied[1].score);
    auto unsure = trained.search("what about my card payment", 3);
    BOOST_REQUIRE(unsure.size() >= 2u);
    BOOST_TEST(unsure[0].probability < 0.6, unsure[0].probability);
    BOOST_TEST(unsure[0].confidence < 0.6, unsure[0].confidence);

    // The one word that differs: the classifier puts the right entry far ahead and is confident.
    for (std::string word : {"stolen", "frozen"}) {
        std::string question = "what about my card payment, is it " + word;
        auto hits = trained.search(question, 3), before = plain.search(question, 3);
        BOOST_REQUIRE(hits.size() >= 2u);
        BOOST_TEST(hits[0].entry->id == word);
        BOOST_TEST(hits[0].probability > 0.8, question << ": " << hits[0].probability);
        BOOST_TEST(hits[0].confidence > unsure[0].confidence);
        BOOST_TEST(hits[0].confidence > 0.6, question << ": " << hits[0].confidence);
        std::string other = word == "stolen" ? "frozen" : "stolen";
        BOOST_REQUIRE(hitFor(before, other) != nullptr);
        BOOST_REQUIRE(hitFor(hits, other) != nullptr);
        BOOST_TEST(hits[0].score - hitFor(hits, other)->score >
                   2 * (hitFor(before, word)->score - hitFor(before, other)->score));
    }
}

BOOST_AUTO_TEST_CASE(builds_of_the_same_entries_answer_identically) {
    Index a, b;
    a.rebuild(cards());
    b.rebuild(cards());
    for (std::string q : {"card payment stolen?", "refund please", "is my payment frozen", "hello"}) {
        auto x = a.search(q, 3), y = b.search(q, 3);
        BOOST_REQUIRE(x.size() == y.size());
        for (size_t i = 0; i < x.size(); ++i) {
            BOOST_TEST(x[i].entry->id == y[i].entry->id);
            BOOST_TEST(x[i].score == y[i].score);
            BOOST_TEST(x[i].probability == y[i].probability);
        }
    }
}

BOOST_AUTO_TEST_CASE(is_not_trained_for_entries_with_one_phrasing_or_beyond_its_budget_and_retrieval_answers) {
    std::vector<Entry> faq;
    for (const auto& e : cards()) faq.push_back(entry(e.id, {e.question}));
    Index few;
    few.rebuild(faq);
    BOOST_TEST(!few.hasModel());
    BOOST_TEST(!few.modelWanted());
    BOOST_TEST(few.search("card payment stolen", 1)[0].entry->id == "stolen");
    BOOST_TEST(few.search("card payment stolen", 1)[0].probability == 0.0);

    IndexOptions small;
    small.model.max_work = 1000;
    Index costly({}, small);
    costly.rebuild(cards());
    BOOST_TEST(!costly.hasModel());
    BOOST_TEST(!costly.modelWanted());  // stolen once for this content, not retried on every question
    BOOST_TEST(costly.search("card payment stolen", 1)[0].entry->id == "stolen");
}

BOOST_AUTO_TEST_CASE(an_edit_sets_the_classifier_aside_until_it_is_trained_again_and_a_late_one_is_refused) {
    Index index;
    index.rebuild(cards(), false);
    BOOST_TEST(!index.hasModel());
    BOOST_TEST(index.modelWanted());
    std::vector<int> class_slots;
    auto set = index.trainingSet(class_slots);
    BOOST_TEST(set.classes == 3u);
    BOOST_TEST(set.texts.size() == 15u);
    uint64_t generation = index.generation();
    auto model = trainSoftmax(set, index.options().model);

    index.upsert(entry("hours", {"when are you open", "opening hours", "are you open on sunday",
                                 "what time do you close", "hours today"}));
    BOOST_TEST(!index.installModel(model, class_slots, generation));  // trained before the edit: refused
    BOOST_TEST(!index.hasModel());
    BOOST_TEST(index.search("are you open today", 1)[0].entry->id == "hours");  // retrieval alone meanwhile
    BOOST_TEST(index.modelWanted());
    index.trainModel();
    BOOST_REQUIRE(index.hasModel());
    auto hits = index.search("are you open today", 1);
    BOOST_TEST(hits[0].entry->id == "hours");
    BOOST_TEST(hits[0].probability > 0.5);

    BOOST_TEST(index.remove("hours"));
    BOOST_TEST(!index.hasModel());
    BOOST_TEST(index.modelWanted());
    index.trainModel();
    BOOST_TEST(index.hasModel());
    for (const auto& h : index.search("are you open today", 3)) BOOST_TEST(h.entry->id != "hours");
    BOOST_TEST(index.search("is my card payment frozen", 1)[0].entry->id == "frozen");
}

BOOST_AUTO_TEST_SUITE_END()

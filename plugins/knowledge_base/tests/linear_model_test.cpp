// The per-widget classifier as plain code: what it learns, when it declines to train, and that it reproduces.
#include "linear_model.hpp"

#include <boost/test/unit_test.hpp>

#include <cmath>

using namespace parley::knowledge_base;

namespace {

// Two classes whose texts all share feature 0 ("card"); feature 1 only in class 0, feature 2 only in class 1,
// and features 3..6 as noise spread over both classes alike.
TrainingSet twoClasses() {
    TrainingSet set;
    set.features = 7;
    set.classes = 2;
    float v = 1 / std::sqrt(3.f);
    for (int i = 0; i < 8; ++i)
        for (int k = 0; k < 2; ++k) {
            set.texts.push_back({{0, v}, {1 + k, v}, {3 + i % 4, v}});
            set.labels.push_back(k);
        }
    return set;
}

std::vector<float> scores(const LinearModel& model, const SparseVector& text) {
    std::vector<float> s(model.classes, 0.f);
    std::vector<int> touched;
    scoreText(model, text, s, touched);
    return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(linear_model)

BOOST_AUTO_TEST_CASE(weighs_the_feature_that_tells_classes_apart_not_the_ones_they_share) {
    auto model = trainSoftmax(twoClasses(), {});
    BOOST_REQUIRE(!model.empty());
    BOOST_TEST(model.classes == 2u);
    auto distinct = scores(model, {{0, 0.7f}, {1, 0.7f}});
    float apart = distinct[0] - distinct[1];
    BOOST_TEST(apart > 3.f, distinct[0] << " vs " << distinct[1]);
    distinct = scores(model, {{0, 0.7f}, {2, 0.7f}});
    BOOST_TEST(distinct[1] - distinct[0] > 3.f);
    // The shared word and the noise say little about the class (dropout leaves a little noise in the weights).
    auto shared = scores(model, {{0, 0.7f}, {4, 0.7f}});
    BOOST_TEST(std::fabs(shared[0] - shared[1]) < apart / 4, shared[0] << " vs " << shared[1] << ", apart " << apart);
}

BOOST_AUTO_TEST_CASE(the_same_texts_and_seed_give_the_same_weights) {
    auto a = trainSoftmax(twoClasses(), {});
    auto b = trainSoftmax(twoClasses(), {});
    BOOST_REQUIRE(a.weights.size() == b.weights.size());
    for (size_t f = 0; f < a.weights.size(); ++f) BOOST_TEST(a.weights[f] == b.weights[f]);
}

BOOST_AUTO_TEST_CASE(declines_to_train_without_enough_texts_per_class_or_over_its_work_budget) {
    ModelOptions options;
    BOOST_TEST(worthTraining(twoClasses(), options));
    TrainingSet one_each;  // one phrasing per entry, as in a large FAQ imported without alternatives
    one_each.features = 3;
    one_each.classes = 3;
    for (int k = 0; k < 3; ++k) {
        one_each.texts.push_back({{k, 1.f}});
        one_each.labels.push_back(k);
    }
    BOOST_TEST(!worthTraining(one_each, options));
    BOOST_TEST(trainSoftmax(one_each, options).empty());
    TrainingSet single = twoClasses();
    single.classes = 1;
    for (auto& l : single.labels) l = 0;
    BOOST_TEST(!worthTraining(single, options));
    options.max_work = 500;  // 16 texts x 3 features x 2 classes x 10 epochs is more
    BOOST_TEST(!worthTraining(twoClasses(), options));
    BOOST_TEST(trainSoftmax(twoClasses(), options).empty());
}

BOOST_AUTO_TEST_CASE(features_seen_in_a_single_text_get_no_weight) {
    TrainingSet set = twoClasses();
    set.features = 8;
    set.texts[0].push_back({7, 0.1f});  // a word only one phrasing has
    auto model = trainSoftmax(set, {});
    BOOST_TEST(model.weights[7].empty());
    BOOST_TEST(!model.weights[1].empty());
}

BOOST_AUTO_TEST_SUITE_END()

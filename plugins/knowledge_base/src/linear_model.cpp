// Training the per-widget softmax classifier: dense weights while training (features x classes, only the
// features seen in at least two texts), SGD with a decaying rate and epoch averaging, pruned into postings.
#include "linear_model.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace parley::knowledge_base {
namespace {

// More dense weights than this while training (4 bytes each, twice with the average): no model.
constexpr double kMaxDenseWeights = 8e6;

// Document frequency of each feature over the training texts.
std::vector<int> documentFrequencies(const TrainingSet& set) {
    std::vector<int> df(set.features, 0);
    for (const auto& text : set.texts)
        for (const auto& [f, v] : text) ++df[static_cast<size_t>(f)];
    return df;
}

}  // namespace

bool worthTraining(const TrainingSet& set, const ModelOptions& options) {
    if (set.classes < 2 || set.texts.size() != set.labels.size()) return false;
    double texts = static_cast<double>(set.texts.size()), classes = static_cast<double>(set.classes);
    if (texts < options.min_phrasings * classes) return false;
    double values = 0;
    for (const auto& t : set.texts) values += static_cast<double>(t.size());
    if (values * classes * options.epochs > options.max_work) return false;
    auto df = documentFrequencies(set);
    double kept = static_cast<double>(std::count_if(df.begin(), df.end(), [&](int d) { return d >= options.min_df; }));
    return kept * classes <= kMaxDenseWeights;
}

LinearModel trainSoftmax(const TrainingSet& set, const ModelOptions& options) {
    if (!worthTraining(set, options)) return {};
    // Compact ids for the features worth a weight; texts keep their normalized values.
    auto df = documentFrequencies(set);
    std::vector<int> compact(set.features, -1);
    size_t features = 0;
    for (size_t f = 0; f < set.features; ++f)
        if (df[f] >= options.min_df) compact[f] = static_cast<int>(features++);
    std::vector<SparseVector> xs;
    xs.reserve(set.texts.size());
    for (const auto& text : set.texts) {
        SparseVector x;
        for (const auto& [f, v] : text)
            if (compact[static_cast<size_t>(f)] >= 0) x.push_back({compact[static_cast<size_t>(f)], v});
        xs.push_back(std::move(x));
    }
    const size_t c = set.classes;
    std::vector<float> w(features * c, 0.f), average(features * c, 0.f), s(c), g(c);
    std::vector<size_t> order(xs.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::mt19937 rng(options.seed);  // mt19937's sequence is fixed by the standard; the shuffle is ours
    int averaged = 0;
    for (int epoch = 0; epoch < options.epochs; ++epoch) {
        for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
        float rate = static_cast<float>(options.learning_rate / (1 + epoch));
        SparseVector kept;
        for (size_t i : order) {
            const SparseVector* xp = &xs[i];
            if (options.dropout > 0) {  // feature dropout: learn not to lean on any one word
                kept.clear();
                for (const auto& fv : xs[i])
                    if (static_cast<double>(rng()) >= options.dropout * 4294967296.0) kept.push_back(fv);
                xp = &kept;
            }
            const auto& x = *xp;
            std::fill(s.begin(), s.end(), 0.f);
            for (const auto& [f, v] : x) {
                const float* row = &w[static_cast<size_t>(f) * c];
                for (size_t k = 0; k < c; ++k) s[k] += v * row[k];
            }
            float top = *std::max_element(s.begin(), s.end()), z = 0;
            for (size_t k = 0; k < c; ++k) z += (g[k] = std::exp(s[k] - top));
            for (size_t k = 0; k < c; ++k) g[k] /= z;  // the gradient of the cross-entropy: p - one-hot
            g[static_cast<size_t>(set.labels[i])] -= 1.f;
            for (const auto& [f, v] : x) {
                float* row = &w[static_cast<size_t>(f) * c];
                float step = rate * v;
                for (size_t k = 0; k < c; ++k) row[k] -= step * g[k];
            }
        }
        float keep = static_cast<float>(std::max(0.0, 1 - rate * options.l2 * static_cast<double>(xs.size())));
        for (auto& v : w) v *= keep;
        if (2 * epoch >= options.epochs) {  // average the second half of the epochs: steadier than the last
            for (size_t j = 0; j < w.size(); ++j) average[j] += w[j];
            ++averaged;
        }
    }
    LinearModel model;
    model.classes = c;
    model.weights.resize(set.features);
    for (size_t f = 0; f < set.features; ++f) {
        if (compact[f] < 0) continue;
        const float* row = &average[static_cast<size_t>(compact[f]) * c];
        for (size_t k = 0; k < c; ++k) {
            float v = row[k] / static_cast<float>(averaged);
            if (std::fabs(v) >= options.prune) model.weights[f].push_back({static_cast<int>(k), v});
        }
        model.weights[f].shrink_to_fit();
    }
    return model;
}

void scoreText(const LinearModel& model, const SparseVector& text, std::vector<float>& scores,
               std::vector<int>& touched) {
    for (const auto& [f, v] : text) {
        if (f < 0 || static_cast<size_t>(f) >= model.weights.size()) continue;
        for (const auto& [k, w] : model.weights[static_cast<size_t>(f)]) {
            float& s = scores[static_cast<size_t>(k)];
            if (s == 0) touched.push_back(k);  // (a score summing back to exactly 0 may be listed twice: harmless)
            s += v * w;
        }
    }
}

}  // namespace parley::knowledge_base

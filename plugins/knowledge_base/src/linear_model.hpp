// A per-widget linear classifier over the index's sparse features: a multinomial logistic regression trained on
// the entries' phrasings, so the words that tell two entries apart weigh more than the words they share.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace parley::knowledge_base {

// A text as the model sees it: (feature id, value) pairs, L2-normalized, ids unique.
using SparseVector = std::vector<std::pair<int, float>>;

// What to learn from: each text with the class (entry) it belongs to.
struct TrainingSet {
    size_t features = 0;  // every feature id is below this
    size_t classes = 0;   // every label is below this
    std::vector<SparseVector> texts;
    std::vector<int> labels;
};

struct ModelOptions {
    double min_phrasings = 4;    // fewer texts per class on average: no model (retrieval alone does as well)
    double max_work = 3e9;       // texts x features per text x classes x epochs above this: no model (too slow)
    int epochs = 10;
    double learning_rate = 10;   // of SGD, decaying as rate / (1 + epoch)
    double l2 = 1e-6;            // weight decay per epoch (times the learning rate and the number of texts)
    double dropout = 0.3;        // share of a text's features left out at random each time it is seen
    int min_df = 2;              // a feature in fewer texts gets no weight (it would only memorize one text)
    float prune = 0.1f;          // weights smaller than this are dropped after training (memory)
    uint32_t seed = 20261122;    // the order of the texts in each epoch: fixed, so training reproduces
};

// Weights as an inverted list, feature -> (class, weight), like the index's own postings; a class with no
// weight on any of a text's features scores 0 on it.
struct LinearModel {
    size_t classes = 0;  // 0: no model
    std::vector<std::vector<std::pair<int, float>>> weights;
    bool empty() const { return classes == 0; }
};

// Whether a model is worth training on `set` and affordable under `options` (see ModelOptions).
bool worthTraining(const TrainingSet& set, const ModelOptions& options);

// Trains the model by SGD on the softmax cross-entropy, deterministically: the same set and options give the
// same weights. Returns an empty model when `worthTraining` says no.
LinearModel trainSoftmax(const TrainingSet& set, const ModelOptions& options);

// The class scores (log-odds up to a constant) of `text`: adds each class's score into `scores` (sized to the
// classes) and lists the classes it touched in `touched` (once each; others score 0).
void scoreText(const LinearModel& model, const SparseVector& text, std::vector<float>& scores,
               std::vector<int>& touched);

}  // namespace parley::knowledge_base

// The in-memory retrieval index of one widget's knowledge base: nearest phrasing, entry centroids and BM25F
// over phrasings, keywords and answer, plus the widget's classifier when it has one, blended into a score and
// calibrated into a confidence in [0, 1].
#pragma once

#include "entry.hpp"
#include "linear_model.hpp"
#include "text_analyzer.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace parley::knowledge_base {

// Tuning knobs; the defaults are what docs/performance.md reports (bench/kb_eval can override them).
struct IndexOptions {
    double weight_word = 1.0;        // a word (stem) that is not a stop word
    double weight_stop = 0.3;        // a stop word
    double weight_bigram = 0.5;      // two adjacent words
    double weight_chars = 0.35;      // character trigrams of a word (typo and compound robustness)
    double weight_cjk_chars = 0.8;   // character unigrams and bigrams of Chinese, Japanese, Korean and Thai runs
    double blend_nearest = 0.5;      // score = nearest phrasing cosine * this
    double blend_centroid = 0.6;    //       + entry centroid cosine * this
    double blend_bm25 = 0.15;        //       + BM25F (normalized) * this
    double field_phrasing = 1.0, field_keyword = 1.5, field_answer = 0.3;  // BM25F field weights
    double typo_factor = 0.8;        // weight of a word corrected from a typo
    // Confidence = sigmoid(calib_score * score + calib_margin * (score - best other) * score
    //                      + calib_coverage * coverage + calib_bias), fitted on
    // CLINC150 train texts held out from the index plus its oos_train (bench/kb_eval --fit).
    double calib_score = 1.33, calib_margin = 25.69, calib_coverage = 1.48, calib_bias = -1.94;
    // The widget's trained classifier (linear_model.hpp), when it has one: score += its probability * this.
    double blend_model = 0.5;
    double model_char_trigrams = 0;  // 1: the classifier also learns the character trigrams of words
    // With a classifier the confidence also weighs its probability for the entry (fitted the same way):
    // sigmoid(calib_model_score * score + calib_model_margin * margin * score + calib_model_coverage * coverage
    //         + calib_model_probability * probability + calib_model_bias).
    double calib_model_score = -1.20, calib_model_margin = 5.64, calib_model_coverage = 1.08,
           calib_model_probability = 1.84, calib_model_bias = -1.45;
    ModelOptions model;
};

// Per-widget text settings: the default language and synonym groups (each group's words mean its first).
struct IndexSettings {
    std::string language = "en";
    std::vector<std::vector<std::string>> synonyms;
};

struct Hit {
    const Entry* entry = nullptr;  // valid until the index changes
    double score = 0;              // the blended similarity, 0..1
    double confidence = 0;         // calibrated, 0..1
    double coverage = 0;           // share of the question's word weight (idf) this entry contains, 0..1
    double probability = 0;        // the widget's classifier's probability for this entry (0 without one)
};

// Not thread-safe for writers: callers hold a shared lock to search and an exclusive one to change it.
class Index {
public:
    explicit Index(IndexSettings settings = {}, IndexOptions options = {});

    // Replaces everything (the settings stay), and trains the classifier now when `train` and the entries have
    // enough phrasings for one (otherwise modelWanted() tells the caller to train it, e.g. in the background).
    void rebuild(const std::vector<Entry>& entries, bool train = true);
    // Adds or replaces one entry; disabled entries are kept out of search. Incremental: only this entry's
    // postings change (document frequencies of the others are refreshed at the next full rebuild, which
    // happens by itself once a quarter of the postings are stale).
    void upsert(const Entry& entry);
    // Removes an entry; false when it was not there.
    bool remove(const std::string& entry_id);
    // An edit (upsert, remove) drops the classifier, since it no longer knows every entry: search goes on with
    // retrieval alone until a new one is trained (trainModel, or trainingSet + trainSoftmax + installModel
    // off the lock) and installed.

    // Trains and installs the classifier now when the entries have enough phrasings for one (rebuild does).
    void trainModel();
    // What the classifier learns from (each live phrasing, labelled by its entry); `class_slots` receives the
    // entry slot of each class, for installModel.
    TrainingSet trainingSet(std::vector<int>& class_slots) const;
    // Installs a classifier trained on trainingSet() when no edit came in between (`generation` is the one
    // read with the training set); false when it came too late.
    bool installModel(LinearModel model, const std::vector<int>& class_slots, uint64_t generation);
    bool hasModel() const { return !model_.empty(); }
    // Whether there is no classifier and one is worth training: enough phrasings per entry on average, and no
    // training at this generation found it not worth it (or too costly). Cheap.
    bool modelWanted() const;
    // Counts edits (rebuild, upsert, remove).
    uint64_t generation() const { return generation_; }

    // The best entries for `question`, best first, at most `limit`.
    std::vector<Hit> search(std::string_view question, size_t limit = 3) const;

    const Entry* find(const std::string& entry_id) const;
    size_t size() const { return by_id_.size(); }
    const IndexSettings& settings() const { return settings_; }
    const IndexOptions& options() const { return options_; }
    // Bytes held by the index structures (approximate: containers' capacities, strings' sizes).
    size_t memoryBytes() const;

private:
    struct Feature {
        int id;
        float weight;  // field weight * (1 + log tf), before idf
    };
    struct Posting {
        int target;    // a phrasing document (nearest) or an entry slot (centroid, BM25)
        float weight;
    };
    struct Slot {
        Entry entry;
        bool live = true;
        std::vector<int> docs;   // its phrasing documents
        std::vector<int> words;  // its BM25 word features
    };

    std::vector<Feature> features(std::string_view text, const std::string& language, bool query,
                                  std::vector<int>* words = nullptr) const;
    int featureId(const std::string& key);
    int lookupFeature(const std::string& key) const;
    double idf(int feature) const;
    struct Analyzed {
        std::vector<Feature> features;
        std::vector<int> words;
    };
    std::vector<Analyzed> analyzeEntry(const Entry& entry);
    void add(const Entry& entry, const std::vector<Analyzed>& texts);
    void compact();
    void kill(int slot);
    std::string canonical(const std::string& term) const;
    int correctTypo(const std::string& term) const;
    double confidence(double score, double margin, double coverage, double probability) const;
    void dropModel();

    IndexSettings settings_;
    IndexOptions options_;
    std::unordered_map<std::string, int> vocabulary_;
    std::vector<std::string> feature_keys_;
    std::vector<int> df_;                        // live phrasing documents containing each feature
    std::vector<int> entry_df_;                  // live entries containing each word (BM25)
    std::vector<std::vector<Posting>> nearest_;  // feature -> phrasing documents
    std::vector<std::vector<Posting>> centroid_; // feature -> entry slots
    std::vector<std::vector<Posting>> bm25_;     // word feature -> entry slots (saturated tf)
    std::vector<int> doc_slot_;                  // phrasing document -> entry slot
    std::vector<std::vector<int>> docs_;         // phrasing document -> its features (for removal)
    std::vector<Slot> slots_;
    std::unordered_map<std::string, int> by_id_; // entry id -> live slot
    std::unordered_map<std::string, std::vector<int>> deletions_;  // word with one letter deleted -> word features
    std::unordered_map<std::string, std::string> synonyms_;        // term -> canonical term
    size_t live_docs_ = 0, dead_postings_ = 0, postings_ = 0;
    size_t live_entries_ = 0;
    double total_length_ = 0;                    // BM25F lengths of the live entries
    LinearModel model_;                          // the classifier, over feature ids, classes are entries
    std::vector<int> slot_class_;                // entry slot -> its class in model_ (-1: none)
    uint64_t declined_ = UINT64_MAX;             // the generation at which training found no model worth it
    uint64_t generation_ = 0;
};

}  // namespace parley::knowledge_base

// Retrieval: three views of the same words (nearest phrasing, entry centroid, BM25F) and the classifier's
// weights, summed from inverted lists in one pass over the question's features, so a question costs the length
// of its postings, not the size of the knowledge base.
#include "index.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <unicode/utf8.h>

namespace parley::knowledge_base {
namespace {

constexpr double kK1 = 1.2, kB = 0.75;

std::vector<std::string> codePoints(const std::string& s) {
    std::vector<std::string> out;
    int32_t i = 0, n = static_cast<int32_t>(s.size());
    while (i < n) {
        int32_t start = i;
        UChar32 c;
        U8_NEXT(s.data(), i, n, c);
        out.emplace_back(s, static_cast<size_t>(start), static_cast<size_t>(i - start));
    }
    return out;
}

// Optimal string alignment distance, stopping early above 1 (all typo correction needs).
bool withinOneEdit(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    if (a.size() + 1 < b.size() || b.size() + 1 < a.size()) return false;
    size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
    if (i == a.size() && i == b.size()) return true;
    auto rest = [&](size_t x, size_t y) {
        return std::equal(a.begin() + static_cast<long>(x), a.end(), b.begin() + static_cast<long>(y), b.end());
    };
    if (a.size() == b.size())
        return rest(i + 1, i + 1) ||
               (i + 1 < a.size() && a[i] == b[i + 1] && a[i + 1] == b[i] && rest(i + 2, i + 2));  // transposition
    return a.size() > b.size() ? rest(i + 1, i) : rest(i, i + 1);
}

struct Keyed {
    double weight = 0;  // field weight of the kind
    int count = 0;
};

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

}  // namespace

Index::Index(IndexSettings settings, IndexOptions options) : settings_(std::move(settings)), options_(options) {
    TextAnalyzer analyzer(settings_.language);
    for (const auto& group : settings_.synonyms) {
        std::string head;
        for (const auto& word : group) {
            auto terms = analyzer.terms(word);
            if (terms.size() != 1) continue;  // one word each: phrases are matched by their own words
            if (head.empty()) head = terms[0];
            else if (terms[0] != head) synonyms_[terms[0]] = head;
        }
    }
}

std::string Index::canonical(const std::string& term) const {
    auto it = synonyms_.find(term);
    return it == synonyms_.end() ? term : it->second;
}

int Index::lookupFeature(const std::string& key) const {
    auto it = vocabulary_.find(key);
    return it == vocabulary_.end() ? -1 : it->second;
}

int Index::featureId(const std::string& key) {
    auto [it, added] = vocabulary_.emplace(key, static_cast<int>(feature_keys_.size()));
    if (!added) return it->second;
    feature_keys_.push_back(key);
    df_.push_back(0);
    entry_df_.push_back(0);
    nearest_.emplace_back();
    centroid_.emplace_back();
    bm25_.emplace_back();
    if (key.rfind("w:", 0) == 0) {  // remember its one-deletion variants for typo correction
        auto cps = codePoints(key.substr(2));
        if (cps.size() >= 4 && cps[0].size() == 1)
            for (size_t i = 0; i < cps.size(); ++i) {
                std::string variant;
                for (size_t j = 0; j < cps.size(); ++j)
                    if (j != i) variant += cps[j];
                deletions_[variant].push_back(it->second);
            }
    }
    return it->second;
}

// A word the index has never seen, corrected to the most common indexed word one edit away; -1 when none.
int Index::correctTypo(const std::string& term) const {
    auto cps = codePoints(term);
    if (cps.size() < 4 || cps[0].size() != 1) return -1;  // short words and non-Latin scripts: no guessing
    int best = -1;
    auto consider = [&](int feature) {
        if (feature < 0 || df_[static_cast<size_t>(feature)] == 0) return;
        if (!withinOneEdit(cps, codePoints(feature_keys_[static_cast<size_t>(feature)].substr(2)))) return;
        if (best < 0 || df_[static_cast<size_t>(feature)] > df_[static_cast<size_t>(best)]) best = feature;
    };
    if (auto it = deletions_.find(term); it != deletions_.end())
        for (int f : it->second) consider(f);
    for (size_t i = 0; i < cps.size(); ++i) {
        std::string variant;
        for (size_t j = 0; j < cps.size(); ++j)
            if (j != i) variant += cps[j];
        consider(lookupFeature("w:" + variant));
        if (auto it = deletions_.find(variant); it != deletions_.end())
            for (int f : it->second) consider(f);
    }
    return best;
}

double Index::idf(int feature) const {
    double n = static_cast<double>(live_docs_);
    return std::log((n + 1) / ((feature < 0 ? 0 : df_[static_cast<size_t>(feature)]) + 1)) + 1;
}

// The weighted features of a text. For a question (`query`), unknown features are dropped (id -1 is never
// returned) and unknown words are corrected when one edit away from an indexed word; `words` receives the
// word features (for BM25).
std::vector<Index::Feature> Index::features(std::string_view text, const std::string& language, bool query,
                                            std::vector<int>* words) const {
    auto tokens = TextAnalyzer(language.empty() ? settings_.language : language).analyze(text);
    std::map<std::string, Keyed> keyed;
    auto add = [&](std::string key, double weight) {
        Keyed& k = keyed[std::move(key)];
        k.weight = std::max(k.weight, weight);
        ++k.count;
    };
    std::vector<double> factor(tokens.size(), 1.0);
    for (size_t i = 0; i < tokens.size(); ++i) {
        Token& t = tokens[i];
        t.term = canonical(t.term);
        if (query && !t.stop && !t.cjk && lookupFeature("w:" + t.term) < 0) {
            int fixed = correctTypo(t.term);
            if (fixed >= 0) {
                t.term = feature_keys_[static_cast<size_t>(fixed)].substr(2);
                factor[i] = options_.typo_factor;
            }
        }
    }
    std::string cjk_run;
    auto flushCjk = [&] {
        auto cps = codePoints(cjk_run);
        for (size_t i = 0; i < cps.size(); ++i) {
            add("c:" + cps[i], options_.weight_cjk_chars);
            if (i + 1 < cps.size()) add("c:" + cps[i] + cps[i + 1], options_.weight_cjk_chars);
        }
        cjk_run.clear();
    };
    for (size_t i = 0; i < tokens.size(); ++i) {
        const Token& t = tokens[i];
        add("w:" + t.term, (t.stop ? options_.weight_stop : options_.weight_word) * factor[i]);
        if (i + 1 < tokens.size() && !(t.stop && tokens[i + 1].stop))
            add("b:" + t.term + "|" + tokens[i + 1].term, options_.weight_bigram);
        if (t.cjk) {
            cjk_run += t.word;
            continue;
        }
        flushCjk();
        if (options_.weight_chars > 0 && !t.stop) {
            auto cps = codePoints("^" + t.term + "$");
            for (size_t j = 0; j + 3 <= cps.size(); ++j) add("t:" + cps[j] + cps[j + 1] + cps[j + 2], options_.weight_chars);
        }
    }
    flushCjk();
    std::vector<Feature> out;
    out.reserve(keyed.size());
    for (const auto& [key, k] : keyed) {
        // A question's unknown features stay (id -1): they count in its norm, so a question about something
        // else entirely is not mistaken for the one known word it shares with an entry.
        int id = query ? lookupFeature(key) : const_cast<Index*>(this)->featureId(key);
        out.push_back({id, static_cast<float>(k.weight * (1 + std::log(k.count)))});
        if (words && key.rfind("w:", 0) == 0 && k.weight >= options_.weight_word * options_.typo_factor) words->push_back(id);
    }
    return out;
}

namespace {

// The texts of an entry that are phrasing documents: its question and each alternative.
std::vector<std::string> phrasingTexts(const Entry& e) {
    std::vector<std::string> texts;
    texts.push_back(e.question);
    for (const auto& p : e.phrasings)
        if (!p.empty() && p != e.question) texts.push_back(p);
    return texts;
}

// BM25F length of an entry: its fields' words, weighted like the fields.
double entryLength(const Entry& e, const IndexOptions& o) {
    auto count = [](const std::string& text) {
        return static_cast<double>(std::count(text.begin(), text.end(), ' ') + 1);
    };
    double length = 0;
    for (const auto& t : phrasingTexts(e)) length += o.field_phrasing * count(t);
    for (const auto& k : e.keywords) length += o.field_keyword * count(k);
    if (!e.answer.empty()) length += o.field_answer * count(e.answer);
    return length;
}

}  // namespace

void Index::rebuild(const std::vector<Entry>& entries, bool train) {
    vocabulary_.clear();
    feature_keys_.clear();
    df_.clear();
    entry_df_.clear();
    nearest_.clear();
    centroid_.clear();
    bm25_.clear();
    doc_slot_.clear();
    docs_.clear();
    slots_.clear();
    by_id_.clear();
    deletions_.clear();
    live_docs_ = dead_postings_ = postings_ = 0;
    total_length_ = 0;
    live_entries_ = 0;
    dropModel();
    // Count document frequencies first, so every vector is weighted with the final idf.
    std::vector<std::pair<const Entry*, std::vector<Analyzed>>> live;
    for (const auto& e : entries) {
        if (!e.enabled) continue;
        live.push_back({&e, analyzeEntry(e)});
        total_length_ += entryLength(e, options_);
        ++live_entries_;
    }
    for (const auto& [e, texts] : live) add(*e, texts);
    if (train) trainModel();
}

void Index::upsert(const Entry& entry) {
    remove(entry.id);
    dropModel();
    if (!entry.enabled) return;
    auto texts = analyzeEntry(entry);
    total_length_ += entryLength(entry, options_);
    ++live_entries_;
    add(entry, texts);
    if (dead_postings_ * 4 > postings_ && postings_ > 1000) compact();
}

bool Index::remove(const std::string& entry_id) {
    auto it = by_id_.find(entry_id);
    if (it == by_id_.end()) return false;
    dropModel();
    Slot& slot = slots_[static_cast<size_t>(it->second)];
    slot.live = false;
    for (int doc : slot.docs) {
        for (int f : docs_[static_cast<size_t>(doc)]) --df_[static_cast<size_t>(f)];
        dead_postings_ += docs_[static_cast<size_t>(doc)].size() * 2;
        docs_[static_cast<size_t>(doc)].clear();
        --live_docs_;
    }
    for (int f : slot.words) --entry_df_[static_cast<size_t>(f)];
    dead_postings_ += slot.words.size();
    total_length_ -= entryLength(slot.entry, options_);
    --live_entries_;
    by_id_.erase(it);
    return true;
}

void Index::compact() {
    std::vector<Entry> entries;
    entries.reserve(by_id_.size());
    for (const auto& [id, slot] : by_id_) entries.push_back(slots_[static_cast<size_t>(slot)].entry);
    rebuild(entries);
}

// The features of an entry's phrasing texts, counted into the document frequencies.
std::vector<Index::Analyzed> Index::analyzeEntry(const Entry& entry) {
    std::vector<Analyzed> out;
    for (const auto& text : phrasingTexts(entry)) {
        Analyzed a;
        a.features = features(text, entry.language, false, &a.words);
        if (a.features.empty()) continue;
        for (const auto& f : a.features) ++df_[static_cast<size_t>(f.id)];
        ++live_docs_;
        out.push_back(std::move(a));
    }
    return out;
}

// Posts one entry (its texts analyzed and counted) into the three inverted views.
void Index::add(const Entry& entry, const std::vector<Analyzed>& texts) {
    int slot_id = static_cast<int>(slots_.size());
    slots_.push_back({entry, true, {}, {}});
    Slot& slot = slots_.back();
    by_id_[entry.id] = slot_id;
    std::unordered_map<int, float> centroid;
    for (const auto& text : texts) {
        const auto& fs = text.features;
        double norm = 0;
        for (const auto& f : fs) norm += std::pow(f.weight * idf(f.id), 2);
        norm = std::sqrt(norm);
        if (norm == 0) continue;
        int doc = static_cast<int>(doc_slot_.size());
        doc_slot_.push_back(slot_id);
        docs_.emplace_back();
        slot.docs.push_back(doc);
        for (const auto& f : fs) {
            float w = static_cast<float>(f.weight * idf(f.id) / norm);
            nearest_[static_cast<size_t>(f.id)].push_back({doc, w});
            docs_.back().push_back(f.id);
            centroid[f.id] += w;
            ++postings_;
        }
    }
    double norm = 0;
    for (const auto& [f, w] : centroid) norm += static_cast<double>(w) * w;
    norm = std::sqrt(norm);
    for (const auto& [f, w] : centroid) {
        centroid_[static_cast<size_t>(f)].push_back({slot_id, static_cast<float>(w / norm)});
        ++postings_;
    }
    // BM25F: saturated, length-normalized term frequency over the weighted fields.
    std::unordered_map<int, double> tf;
    auto count = [&](const std::string& text, double field) {
        std::vector<int> words;
        features(text, entry.language, false, &words);
        for (int w : words) tf[w] += field;
    };
    for (const auto& t : texts)
        for (int w : t.words) tf[w] += options_.field_phrasing;
    for (const auto& k : entry.keywords) count(k, options_.field_keyword);
    if (!entry.answer.empty()) count(entry.answer, options_.field_answer);
    double average = std::max(1.0, total_length_ / static_cast<double>(std::max<size_t>(1, live_entries_)));
    double length_norm = 1 - kB + kB * entryLength(entry, options_) / average;
    for (const auto& [w, f] : tf) {
        double t = f / length_norm;
        bm25_[static_cast<size_t>(w)].push_back({slot_id, static_cast<float>(t * (kK1 + 1) / (t + kK1))});
        ++entry_df_[static_cast<size_t>(w)];
        slot.words.push_back(w);
        ++postings_;
    }
}

const Entry* Index::find(const std::string& entry_id) const {
    auto it = by_id_.find(entry_id);
    return it == by_id_.end() ? nullptr : &slots_[static_cast<size_t>(it->second)].entry;
}

double Index::confidence(double score, double margin, double coverage, double probability) const {
    // The margin counts in proportion to the score: in a small knowledge base a weak match is often the only
    // match, and being alone does not make it right.
    if (!model_.empty())
        return sigmoid(options_.calib_model_score * score + options_.calib_model_margin * margin * score +
                       options_.calib_model_coverage * coverage + options_.calib_model_probability * probability +
                       options_.calib_model_bias);
    return sigmoid(options_.calib_score * score + options_.calib_margin * margin * score +
                   options_.calib_coverage * coverage + options_.calib_bias);
}

std::vector<Hit> Index::search(std::string_view question, size_t limit) const {
    std::vector<Hit> hits;
    if (by_id_.empty() || limit == 0) return hits;
    std::vector<int> words;
    auto fs = features(question, settings_.language, true, &words);
    if (std::none_of(fs.begin(), fs.end(), [](const Feature& f) { return f.id >= 0; })) return hits;
    // Scratch space per thread, sized to the index and cleared through the touched lists.
    thread_local std::vector<float> doc_acc, nearest, centroid, bm25, covered;
    thread_local std::vector<int> touched_docs, touched_slots;
    doc_acc.resize(doc_slot_.size(), 0.f);
    nearest.resize(slots_.size(), 0.f);
    centroid.resize(slots_.size(), 0.f);
    bm25.resize(slots_.size(), 0.f);
    covered.resize(slots_.size(), 0.f);
    touched_docs.clear();
    touched_slots.clear();
    double qnorm = 0;
    for (const auto& f : fs) qnorm += std::pow(f.weight * idf(f.id), 2);
    qnorm = std::sqrt(qnorm);
    auto touch = [&](int slot) {
        if (nearest[static_cast<size_t>(slot)] == 0 && centroid[static_cast<size_t>(slot)] == 0 &&
            bm25[static_cast<size_t>(slot)] == 0)
            touched_slots.push_back(slot);
    };
    thread_local SparseVector query;
    query.clear();
    for (const auto& f : fs) {
        if (f.id < 0) continue;
        float q = static_cast<float>(f.weight * idf(f.id) / qnorm);
        query.push_back({f.id, q});
        for (const auto& p : nearest_[static_cast<size_t>(f.id)]) {
            float& acc = doc_acc[static_cast<size_t>(p.target)];
            if (acc == 0) touched_docs.push_back(p.target);
            acc += q * p.weight;
        }
        for (const auto& p : centroid_[static_cast<size_t>(f.id)]) {
            if (!slots_[static_cast<size_t>(p.target)].live) continue;
            touch(p.target);
            centroid[static_cast<size_t>(p.target)] += q * p.weight;
        }
    }
    double n = static_cast<double>(by_id_.size()), idf_sum = 0;
    for (int w : words) {
        double df = w < 0 ? 0 : entry_df_[static_cast<size_t>(w)];
        double wi = std::log(1 + (n - df + 0.5) / (df + 0.5));
        idf_sum += wi;
        if (df == 0) continue;
        for (const auto& p : bm25_[static_cast<size_t>(w)]) {
            if (!slots_[static_cast<size_t>(p.target)].live) continue;
            touch(p.target);
            bm25[static_cast<size_t>(p.target)] += static_cast<float>(wi * p.weight);
            covered[static_cast<size_t>(p.target)] += static_cast<float>(wi);
        }
    }
    for (int doc : touched_docs) {
        int slot = doc_slot_[static_cast<size_t>(doc)];
        if (slots_[static_cast<size_t>(slot)].live) {
            touch(slot);
            nearest[static_cast<size_t>(slot)] = std::max(nearest[static_cast<size_t>(slot)], doc_acc[static_cast<size_t>(doc)]);
        }
        doc_acc[static_cast<size_t>(doc)] = 0;
    }
    // The classifier's softmax over every entry (an entry it gives no weight on these features scores 0).
    thread_local std::vector<float> classes;
    thread_local std::vector<int> touched_classes;
    double top = 0, z = 1;
    if (!model_.empty()) {
        classes.resize(model_.classes, 0.f);
        touched_classes.clear();
        scoreText(model_, query, classes, touched_classes);
        for (int k : touched_classes) top = std::max(top, static_cast<double>(classes[static_cast<size_t>(k)]));
        z = static_cast<double>(model_.classes - std::min(model_.classes, touched_classes.size())) * std::exp(-top);
        for (int k : touched_classes) z += std::exp(classes[static_cast<size_t>(k)] - top);
    }
    struct Scored {
        double score;
        int slot;
        double coverage, probability;
    };
    std::vector<Scored> scored;
    scored.reserve(touched_slots.size());
    for (int slot : touched_slots) {
        size_t s = static_cast<size_t>(slot);
        double b = idf_sum > 0 ? std::min(1.0, bm25[s] / idf_sum) : 0;
        double score = options_.blend_nearest * std::min(1.0f, nearest[s]) +
                       options_.blend_centroid * std::min(1.0f, centroid[s]) + options_.blend_bm25 * b;
        double probability = 0;
        if (!model_.empty() && slot_class_[s] >= 0)
            probability = std::exp(classes[static_cast<size_t>(slot_class_[s])] - top) / z;
        score += options_.blend_model * probability;
        scored.push_back({score, slot, idf_sum > 0 ? std::min(1.0, covered[s] / idf_sum) : 0, probability});
        nearest[s] = centroid[s] = bm25[s] = covered[s] = 0;
    }
    for (int k : touched_classes) classes[static_cast<size_t>(k)] = 0;
    touched_classes.clear();
    size_t keep = std::min(limit + 1, scored.size());
    std::partial_sort(scored.begin(), scored.begin() + static_cast<long>(keep), scored.end(), [](const Scored& a, const Scored& b) {
        return a.score > b.score || (a.score == b.score && a.slot < b.slot);
    });
    for (size_t i = 0; i < keep && i < limit; ++i) {
        double other = i == 0 ? (keep > 1 ? scored[1].score : 0) : scored[0].score;
        const Scored& h = scored[i];
        hits.push_back({&slots_[static_cast<size_t>(h.slot)].entry, h.score,
                        confidence(h.score, h.score - other, h.coverage, h.probability), h.coverage, h.probability});
    }
    return hits;
}

void Index::dropModel() {
    ++generation_;
    if (model_.empty()) return;
    model_ = {};
    slot_class_.clear();
}

bool Index::modelWanted() const {
    return model_.empty() && declined_ != generation_ && live_entries_ >= 2 &&
           static_cast<double>(live_docs_) >= options_.model.min_phrasings * static_cast<double>(live_entries_);
}

TrainingSet Index::trainingSet(std::vector<int>& class_slots) const {
    TrainingSet set;
    set.features = feature_keys_.size();
    std::vector<int> slot_class(slots_.size(), -1);
    class_slots.clear();
    for (size_t slot = 0; slot < slots_.size(); ++slot)
        if (slots_[slot].live && !slots_[slot].docs.empty()) {
            slot_class[slot] = static_cast<int>(class_slots.size());
            class_slots.push_back(static_cast<int>(slot));
        }
    set.classes = class_slots.size();
    // The phrasing vectors are the nearest view's postings read back by document (live ones only).
    std::vector<int> text_of(doc_slot_.size(), -1);
    for (size_t doc = 0; doc < doc_slot_.size(); ++doc) {
        int k = slot_class[static_cast<size_t>(doc_slot_[doc])];
        if (k < 0 || docs_[doc].empty()) continue;
        text_of[doc] = static_cast<int>(set.texts.size());
        set.texts.emplace_back();
        set.labels.push_back(k);
    }
    for (size_t f = 0; f < nearest_.size(); ++f) {
        char kind = feature_keys_[f][0];
        if (kind == 't' && options_.model_char_trigrams == 0) continue;
        for (const auto& p : nearest_[f]) {
            int t = text_of[static_cast<size_t>(p.target)];
            if (t >= 0) set.texts[static_cast<size_t>(t)].push_back({static_cast<int>(f), p.weight});
        }
    }
    return set;
}

bool Index::installModel(LinearModel model, const std::vector<int>& class_slots, uint64_t generation) {
    if (generation != generation_) return false;
    model_ = std::move(model);
    slot_class_.assign(slots_.size(), -1);
    if (model_.empty()) declined_ = generation_;
    for (size_t k = 0; k < class_slots.size() && !model_.empty(); ++k)
        slot_class_[static_cast<size_t>(class_slots[k])] = static_cast<int>(k);
    return true;
}

void Index::trainModel() {
    if (!modelWanted()) return;
    std::vector<int> class_slots;
    auto set = trainingSet(class_slots);
    installModel(trainSoftmax(set, options_.model), class_slots, generation_);
}

size_t Index::memoryBytes() const {
    size_t bytes = 0;
    auto lists = [&](const std::vector<std::vector<Posting>>& v) {
        bytes += v.capacity() * sizeof(v[0]);
        for (const auto& l : v) bytes += l.capacity() * sizeof(Posting);
    };
    lists(nearest_);
    lists(centroid_);
    lists(bm25_);
    bytes += model_.weights.capacity() * sizeof(model_.weights[0]) + slot_class_.capacity() * sizeof(int);
    for (const auto& l : model_.weights) bytes += l.capacity() * sizeof(l[0]);
    for (const auto& k : feature_keys_) bytes += k.capacity() + sizeof(k) + 16 /* hash node */ + sizeof(int);
    bytes += (df_.capacity() + entry_df_.capacity() + doc_slot_.capacity()) * sizeof(int);
    for (const auto& d : docs_) bytes += d.capacity() * sizeof(int) + sizeof(d);
    for (const auto& [k, v] : deletions_) bytes += k.capacity() + sizeof(k) + v.capacity() * sizeof(int) + 48;
    for (const auto& s : slots_) {
        bytes += sizeof(Slot) + (s.docs.capacity() + s.words.capacity()) * sizeof(int);
        bytes += s.entry.question.capacity() + s.entry.answer.capacity() + s.entry.id.capacity();
        for (const auto& p : s.entry.phrasings) bytes += p.capacity() + sizeof(p);
    }
    return bytes;
}

}  // namespace parley::knowledge_base

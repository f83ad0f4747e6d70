// Evaluates the knowledge-base bot's retrieval on any dataset given as two plain CSV files, through the
// plugin's own index (linked, not copied), beside a plain BM25 over the same texts.
//
//   kb_eval KB.csv QUESTIONS.csv [--language en] [--threshold 0.6] [--set option=value]... [--fit]
//   kb_eval KB.csv QUESTIONS.csv --scale 10000        (speed: the first N texts as N separate entries)
//
// KB.csv is `intent,text` (each intent one entry, its texts the phrasings); QUESTIONS.csv is `expected,text`
// (`expected` an intent, or `oos` for a question the knowledge base cannot answer).
#include "csv.hpp"
#include "index.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <time.h>
#include <unordered_map>
#include <vector>

using namespace parley::knowledge_base;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<std::pair<std::string, std::string>> readPairs(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::stringstream buffer;
    buffer << in.rdbuf();
    auto rows = parseCsv(buffer.str());
    std::vector<std::pair<std::string, std::string>> out;
    for (size_t i = 1; i < rows.size(); ++i) {  // row 0 is the header
        if (rows[i].fields.size() < 2) continue;
        out.emplace_back(rows[i].fields[0], rows[i].fields[1]);
    }
    return out;
}

// CPU time of this thread: what a question costs, without the time other processes on a shared machine take.
double cpuMs() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

void setOption(IndexOptions& o, const std::string& assignment) {
    auto eq = assignment.find('=');
    if (eq == std::string::npos) throw std::runtime_error("--set wants option=value, got " + assignment);
    std::string key = assignment.substr(0, eq);
    double v = std::stod(assignment.substr(eq + 1));
    std::map<std::string, double*> fields = {
        {"weight_word", &o.weight_word},       {"weight_stop", &o.weight_stop},
        {"weight_bigram", &o.weight_bigram},   {"weight_chars", &o.weight_chars},
        {"weight_cjk_chars", &o.weight_cjk_chars}, {"blend_nearest", &o.blend_nearest},
        {"blend_centroid", &o.blend_centroid}, {"blend_bm25", &o.blend_bm25},
        {"field_phrasing", &o.field_phrasing}, {"field_keyword", &o.field_keyword},
        {"field_answer", &o.field_answer},     {"typo_factor", &o.typo_factor},
        {"calib_score", &o.calib_score},       {"calib_margin", &o.calib_margin},
        {"calib_coverage", &o.calib_coverage}, {"calib_bias", &o.calib_bias},
        {"blend_model", &o.blend_model},       {"model_char_trigrams", &o.model_char_trigrams},
        {"calib_model_score", &o.calib_model_score}, {"calib_model_margin", &o.calib_model_margin},
        {"calib_model_coverage", &o.calib_model_coverage},
        {"calib_model_probability", &o.calib_model_probability}, {"calib_model_bias", &o.calib_model_bias},
        {"model_min_phrasings", &o.model.min_phrasings}, {"model_max_work", &o.model.max_work},
        {"model_learning_rate", &o.model.learning_rate}, {"model_dropout", &o.model.dropout}, {"model_l2", &o.model.l2}};
    auto it = fields.find(key);
    if (it != fields.end()) {
        *it->second = v;
        return;
    }
    if (key == "model_epochs") o.model.epochs = static_cast<int>(v);
    else if (key == "model_min_df") o.model.min_df = static_cast<int>(v);
    else if (key == "model_prune") o.model.prune = static_cast<float>(v);
    else throw std::runtime_error("unknown option " + key);
}

// Plain BM25 (k1 1.2, b 0.75) over the training texts, words from ICU segmentation without stemming or stop
// words: the baseline the issue names. Returns the intent of the best text.
class PlainBm25 {
public:
    PlainBm25(const std::vector<std::pair<std::string, std::string>>& kb, const std::string& language)
        : analyzer_(language == "ja" || language == "zh" || language == "th" ? language : "none") {
        for (const auto& [intent, text] : kb) {
            std::unordered_map<std::string, int> tf;
            for (const auto& t : analyzer_.analyze(text)) ++tf[t.word];
            int length = 0;
            for (const auto& [w, n] : tf) {
                postings_[w].push_back({static_cast<int>(intents_.size()), n});
                length += n;
            }
            lengths_.push_back(length);
            intents_.push_back(intent);
            total_ += length;
        }
    }
    std::string best(const std::string& question) const {
        std::unordered_map<int, double> score;
        double n = static_cast<double>(intents_.size()), avg = total_ / n;
        std::unordered_map<std::string, int> seen;
        for (const auto& t : analyzer_.analyze(question)) {
            if (seen[t.word]++) continue;
            auto it = postings_.find(t.word);
            if (it == postings_.end()) continue;
            double df = static_cast<double>(it->second.size()), idf = std::log(1 + (n - df + 0.5) / (df + 0.5));
            for (const auto& [doc, tf] : it->second)
                score[doc] += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * lengths_[static_cast<size_t>(doc)] / avg));
        }
        int best = -1;
        double top = 0;
        for (const auto& [doc, s] : score)
            if (s > top || (s == top && doc < best)) top = s, best = doc;
        return best < 0 ? "" : intents_[static_cast<size_t>(best)];
    }

private:
    TextAnalyzer analyzer_;
    std::unordered_map<std::string, std::vector<std::pair<int, int>>> postings_;
    std::vector<int> lengths_;
    std::vector<std::string> intents_;
    double total_ = 0;
};

struct Sample {
    double score, margin, coverage, probability;
    bool correct;
};

// Fits confidence = sigmoid(a*score + b*margin*score + d*coverage + e*probability + c) to "the top entry is
// right" by gradient descent (a logistic regression on four features; without a classifier e stays 0).
void fit(const std::vector<Sample>& samples, bool model) {
    double a = 0, b = 0, c = 0, d = 0, e = 0;
    for (int epoch = 0; epoch < 8000; ++epoch) {
        double ga = 0, gb = 0, gc = 0, gd = 0, ge = 0;
        for (const auto& s : samples) {
            double p = 1 / (1 + std::exp(-(a * s.score + b * s.margin + d * s.coverage + e * s.probability + c)));
            double err = p - (s.correct ? 1 : 0);
            ga += err * s.score, gb += err * s.margin, gc += err, gd += err * s.coverage, ge += err * s.probability;
        }
        double rate = 2.0 / static_cast<double>(samples.size());
        a -= rate * ga * 10, b -= rate * gb * 10, c -= rate * gc, d -= rate * gd * 5;
        if (model) e -= rate * ge * 10;
    }
    if (model)
        std::printf("fitted calibration: --set calib_model_score=%.2f --set calib_model_margin=%.2f "
                    "--set calib_model_coverage=%.2f --set calib_model_probability=%.2f --set calib_model_bias=%.2f\n",
                    a, b, d, e, c);
    else
        std::printf("fitted calibration: --set calib_score=%.2f --set calib_margin=%.2f --set calib_coverage=%.2f "
                    "--set calib_bias=%.2f\n", a, b, d, c);
}

}  // namespace

int main(int argc, char** argv) try {
    if (argc < 3) {
        std::fprintf(stderr, "usage: kb_eval KB.csv QUESTIONS.csv [--language en] [--threshold 0.6] "
                             "[--set option=value]... [--fit] [--scale N]\n");
        return 2;
    }
    std::string language = "en";
    double threshold = 0.6;
    size_t scale = 0;
    bool fitting = false;
    IndexOptions options;
    for (int i = 3; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&] {
            if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
            return std::string(argv[++i]);
        };
        if (a == "--language") language = next();
        else if (a == "--threshold") threshold = std::stod(next());
        else if (a == "--set") setOption(options, next());
        else if (a == "--scale") scale = std::stoul(next());
        else if (a == "--fit") fitting = true;
        else throw std::runtime_error("unknown argument " + a);
    }
    auto kb = readPairs(argv[1]);
    auto questions = readPairs(argv[2]);

    std::vector<Entry> entries;
    if (scale > 0) {  // speed: N entries of one text each
        for (size_t i = 0; i < kb.size() && entries.size() < scale; ++i) {
            Entry e;
            e.id = "e" + std::to_string(i);
            e.question = kb[i].second;
            e.answer = kb[i].first;
            entries.push_back(std::move(e));
        }
    } else {
        std::map<std::string, size_t> slot;
        for (const auto& [intent, text] : kb) {
            auto [it, added] = slot.emplace(intent, entries.size());
            if (added) {
                Entry e;
                e.id = intent;
                e.question = text;
                e.answer = intent;
                entries.push_back(std::move(e));
            } else {
                entries[it->second].phrasings.push_back(text);
            }
        }
    }
    IndexSettings settings;
    settings.language = language;
    Index index(settings, options);
    auto built = Clock::now();
    index.rebuild(entries, false);
    double build_ms = ms(Clock::now() - built);
    auto trained = Clock::now();  // what the plugin does on its background thread after a rebuild
    index.trainModel();
    double train_ms = ms(Clock::now() - trained);

    size_t in_scope = 0, top1 = 0, top3 = 0, answered_right = 0, oos = 0, oos_caught = 0, baseline_top1 = 0;
    std::vector<double> latencies, cpu;
    std::vector<Sample> samples;
    std::vector<std::pair<double, bool>> in_conf;  // in-scope: confidence of the top hit, right or not
    std::vector<double> oos_conf;
    for (int pass = 0; pass < 2; ++pass) {  // the first pass warms caches; the second is measured
        latencies.clear();
        cpu.clear();
        for (const auto& [expected, text] : questions) {
            auto start = Clock::now();
            double cpu_start = cpuMs();
            auto hits = index.search(text, 3);
            cpu.push_back(cpuMs() - cpu_start);
            latencies.push_back(ms(Clock::now() - start));
            if (pass == 0) continue;
            double conf = hits.empty() ? 0 : hits[0].confidence;
            bool right = !hits.empty() && hits[0].entry->id == expected;
            if (!hits.empty())
                samples.push_back({hits[0].score, (hits[0].score - (hits.size() > 1 ? hits[1].score : 0)) * hits[0].score,
                                   hits[0].coverage, hits[0].probability, right && expected != "oos"});
            if (expected == "oos") {
                ++oos;
                oos_conf.push_back(conf);
                if (conf < threshold) ++oos_caught;
                continue;
            }
            ++in_scope;
            in_conf.push_back({conf, right});
            if (right) ++top1;
            for (const auto& h : hits)
                if (h.entry->id == expected) ++top3;
            if (right && conf >= threshold) ++answered_right;
        }
    }
    auto pct = [](size_t a, size_t b) { return b ? 100.0 * static_cast<double>(a) / static_cast<double>(b) : 0.0; };
    std::printf("kb_eval %s %s (language %s)\n", argv[1], argv[2], language.c_str());
    std::printf("entries %zu, phrasing texts %zu, questions %zu (%zu in scope, %zu out of scope)\n", entries.size(),
                kb.size(), questions.size(), in_scope, oos);
    if (index.hasModel()) std::printf("classifier: trained in %.1f ms (after the build, in the background)\n", train_ms);
    else std::printf("classifier: none (retrieval alone)\n");
    std::printf("index build %.1f ms, memory %.0f bytes per entry (%.1f MiB)\n", build_ms,
                static_cast<double>(index.memoryBytes()) / static_cast<double>(std::max<size_t>(1, entries.size())),
                static_cast<double>(index.memoryBytes()) / 1048576.0);
    std::printf("latency per question (wall): p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", percentile(latencies, 0.5),
                percentile(latencies, 0.99), percentile(latencies, 1.0));
    std::printf("latency per question (CPU):  p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", percentile(cpu, 0.5),
                percentile(cpu, 0.99), percentile(cpu, 1.0));
    if (scale > 0) return 0;
    PlainBm25 baseline(kb, language);
    for (const auto& [expected, text] : questions)
        if (expected != "oos" && baseline.best(text) == expected) ++baseline_top1;
    std::printf("top-1 %.1f %%   top-3 %.1f %%   (plain BM25 over the texts: top-1 %.1f %%)\n", pct(top1, in_scope),
                pct(top3, in_scope), pct(baseline_top1, in_scope));
    std::printf("at threshold %.2f: in-scope accuracy %.1f %%, out-of-scope recall %.1f %%\n", threshold,
                pct(answered_right, in_scope), pct(oos_caught, oos));
    std::printf("threshold  in-scope-accuracy  oos-recall  wrong-answers\n");
    for (double t = 0.2; t < 0.91; t += 0.05) {
        size_t right = 0, wrong = 0, caught = 0;
        for (const auto& [c, r] : in_conf) {
            if (c >= t && r) ++right;
            if (c >= t && !r) ++wrong;
        }
        for (double c : oos_conf) (c < t ? caught : wrong)++;
        std::printf("  %.2f     %6.1f %%           %6.1f %%    %6.1f %%\n", t, pct(right, in_scope), pct(caught, oos),
                    pct(wrong, in_scope + oos));
    }
    if (fitting) fit(samples, index.hasModel());
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "kb_eval: %s\n", e.what());
    return 1;
}

// One text pipeline for entries and questions: ICU NFKC case folding, word segmentation, stop words, Snowball
// stemming and accent folding, per language.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace parley::knowledge_base {

// One word of a text after the pipeline.
struct Token {
    std::string term;   // case-folded, stemmed, accents folded where the language allows it
    std::string word;   // the case-folded word before stemming (for character n-grams)
    bool stop = false;  // a stop word of the language (kept, so callers choose its weight)
    bool cjk = false;   // Han, kana, Hangul or Thai: written without spaces, matched by characters too
};

// Turns text into tokens for one language ("en", "es", "de", "ja", "zh", "th", ...; unknown languages get
// folding and segmentation without stemming or stop words). Cheap to construct; safe to use from several
// threads at once (ICU and Snowball state is kept per thread).
class TextAnalyzer {
public:
    explicit TextAnalyzer(std::string language = "en");
    const std::string& language() const { return language_; }

    // The tokens of `text` in order; punctuation and spaces are dropped.
    std::vector<Token> analyze(std::string_view text) const;

    // Just the terms of the non-stop tokens (what tests and the content-gap grouping compare).
    std::vector<std::string> terms(std::string_view text) const;

    // NFKC case folding of `text` (no segmentation).
    static std::string fold(std::string_view text);
    // Removes combining accents from Latin letters ("café" -> "cafe"); other scripts are left alone (Japanese
    // voicing marks and Thai vowels are letters, not decoration).
    static std::string foldAccents(std::string_view text);

private:
    std::string language_;
    bool fold_accents_;
};

// Whether `language` has a Snowball stemmer here.
bool hasStemmer(const std::string& language);

// The stop words of `language` (folded), or an empty list.
const std::unordered_set<std::string>& stopWords(const std::string& language);

}  // namespace parley::knowledge_base

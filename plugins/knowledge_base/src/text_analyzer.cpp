// ICU does the Unicode work (folding, word breaks in every script); libstemmer does the stemming.
#include "text_analyzer.hpp"

#include <libstemmer.h>
#include <unicode/brkiter.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/ubrk.h>
#include <unicode/unistr.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <unordered_set>

namespace parley::knowledge_base {
namespace {

// Languages whose writers drop accents freely; Turkish and Vietnamese keep theirs (they change the word).
bool foldsAccents(const std::string& language) { return language != "tr" && language != "vi" && language != "az"; }

std::string toUtf8(const icu::UnicodeString& s) {
    std::string out;
    s.toUTF8String(out);
    return out;
}

const icu::Normalizer2& nfkcCasefold() {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFKCCasefoldInstance(status);
    if (U_FAILURE(status)) throw std::runtime_error("ICU NFKC_Casefold is unavailable");
    return *n;
}

bool isCjkOrThai(UChar32 c) {
    UErrorCode status = U_ZERO_ERROR;
    UScriptCode script = uscript_getScript(c, &status);
    return script == USCRIPT_HAN || script == USCRIPT_HIRAGANA || script == USCRIPT_KATAKANA ||
           script == USCRIPT_HANGUL || script == USCRIPT_THAI || script == USCRIPT_LAO || script == USCRIPT_KHMER;
}

// A word-break iterator per thread (ICU iterators are not shareable; creating one costs tens of µs).
icu::BreakIterator& wordBreaker() {
    thread_local std::unique_ptr<icu::BreakIterator> breaker = [] {
        UErrorCode status = U_ZERO_ERROR;
        std::unique_ptr<icu::BreakIterator> b(icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), status));
        if (U_FAILURE(status) || !b) throw std::runtime_error("ICU word break iterator is unavailable");
        return b;
    }();
    return *breaker;
}

// A Snowball stemmer per thread and language (stemmers keep a buffer), or nullptr when there is none.
sb_stemmer* stemmerFor(const std::string& language) {
    struct Deleter {
        void operator()(sb_stemmer* s) const { sb_stemmer_delete(s); }
    };
    thread_local std::map<std::string, std::unique_ptr<sb_stemmer, Deleter>> stemmers;
    auto it = stemmers.find(language);
    if (it == stemmers.end())
        it = stemmers.emplace(language, std::unique_ptr<sb_stemmer, Deleter>(
                                            language.empty() ? nullptr : sb_stemmer_new(language.c_str(), "UTF_8")))
                 .first;
    return it->second.get();
}

std::string stem(const std::string& language, const std::string& word) {
    sb_stemmer* s = stemmerFor(language);
    if (!s) return word;
    const sb_symbol* out = sb_stemmer_stem(s, reinterpret_cast<const sb_symbol*>(word.data()), static_cast<int>(word.size()));
    if (!out) return word;
    return std::string(reinterpret_cast<const char*>(out), static_cast<size_t>(sb_stemmer_length(s)));
}

}  // namespace

bool hasStemmer(const std::string& language) { return stemmerFor(language) != nullptr; }

std::string TextAnalyzer::fold(std::string_view text) {
    UErrorCode status = U_ZERO_ERROR;
    icu::UnicodeString folded =
        nfkcCasefold().normalize(icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size()))), status);
    if (U_FAILURE(status)) return std::string(text);
    return toUtf8(folded);
}

std::string TextAnalyzer::foldAccents(std::string_view text) {
    bool ascii = true;
    for (unsigned char c : text) ascii = ascii && c < 0x80;
    if (ascii) return std::string(text);
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
    const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
    if (U_FAILURE(status)) return std::string(text);
    icu::UnicodeString decomposed =
        nfd->normalize(icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size()))), status);
    icu::UnicodeString kept;
    UScriptCode base_script = USCRIPT_COMMON;
    for (int32_t i = 0; i < decomposed.length();) {
        UChar32 c = decomposed.char32At(i);
        i += U16_LENGTH(c);
        if (u_charType(c) == U_NON_SPACING_MARK) {
            if (base_script == USCRIPT_LATIN) continue;
        } else {
            UErrorCode s = U_ZERO_ERROR;
            base_script = uscript_getScript(c, &s);
        }
        kept.append(c);
    }
    icu::UnicodeString composed = nfc->normalize(kept, status);
    if (U_FAILURE(status)) return std::string(text);
    return toUtf8(composed);
}

TextAnalyzer::TextAnalyzer(std::string language) : language_(std::move(language)), fold_accents_(foldsAccents(language_)) {}

std::vector<Token> TextAnalyzer::analyze(std::string_view text) const {
    std::vector<Token> tokens;
    UErrorCode status = U_ZERO_ERROR;
    icu::UnicodeString folded = nfkcCasefold().normalize(
        icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size()))), status);
    if (U_FAILURE(status)) return tokens;
    icu::BreakIterator& breaker = wordBreaker();
    breaker.setText(folded);
    const auto& stop_set = stopWords(language_);
    for (int32_t start = breaker.first(), end = breaker.next(); end != icu::BreakIterator::DONE;
         start = end, end = breaker.next()) {
        if (breaker.getRuleStatus() < UBRK_WORD_NONE_LIMIT) continue;  // spaces and punctuation
        icu::UnicodeString piece(folded, start, end - start);
        Token t;
        t.word = toUtf8(piece);
        t.cjk = isCjkOrThai(piece.char32At(0));
        std::string bare = fold_accents_ ? foldAccents(t.word) : t.word;
        t.stop = stop_set.count(bare) > 0 || stop_set.count(t.word) > 0;
        // Stem before folding accents: Snowball's rules expect the language's own spelling.
        std::string stemmed = t.cjk ? t.word : stem(language_, t.word);
        t.term = fold_accents_ ? foldAccents(stemmed) : stemmed;
        tokens.push_back(std::move(t));
    }
    return tokens;
}

std::vector<std::string> TextAnalyzer::terms(std::string_view text) const {
    std::vector<std::string> out;
    for (auto& t : analyze(text))
        if (!t.stop) out.push_back(std::move(t.term));
    return out;
}

}  // namespace parley::knowledge_base

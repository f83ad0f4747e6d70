// Normalization and segmentation in English, Spanish, German, Japanese, Chinese and Thai.
#include "text_analyzer.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>

using namespace parley::knowledge_base;

namespace {
bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }
std::vector<std::string> words(const std::string& language, const std::string& text) {
    std::vector<std::string> out;
    for (const auto& t : TextAnalyzer(language).analyze(text)) out.push_back(t.word);
    return out;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(text_analyzer)

BOOST_AUTO_TEST_CASE(english_folds_case_and_width_stems_and_marks_stop_words) {
    TextAnalyzer en("en");
    BOOST_TEST(en.terms("Refunds REFUNDED refunding") == (std::vector<std::string>{"refund", "refund", "refund"}));
    BOOST_TEST(TextAnalyzer::fold("ＡＢＣ Ｏｒｄｅｒ") == "abc order");  // NFKC: full-width letters
    auto tokens = en.analyze("Where is my order?");
    BOOST_REQUIRE(tokens.size() == 4u);  // the "?" is not a word
    BOOST_TEST(!tokens[0].stop);         // "where" tells intents apart: not a stop word
    BOOST_TEST(tokens[1].stop);          // "is"
    BOOST_TEST(tokens[2].stop);          // "my"
    BOOST_TEST(tokens[3].term == "order");
}

BOOST_AUTO_TEST_CASE(spanish_folds_accents_after_stemming_so_unaccented_typing_matches) {
    TextAnalyzer es("es");
    BOOST_TEST(es.terms("¿Cuál es el teléfono?") == es.terms("cual es el telefono"));
    BOOST_TEST(es.terms("envíos") == es.terms("envio"));
    BOOST_TEST(has(es.terms("devoluciones gratuitas"), es.terms("devolución")[0]));
    BOOST_TEST(!has(es.terms("el precio de la entrega"), "el"));  // stop words are left out of terms
}

BOOST_AUTO_TEST_CASE(german_folds_sharp_s_and_umlauts_and_stems_plurals) {
    TextAnalyzer de("de");
    BOOST_TEST(de.terms("Straße") == de.terms("STRASSE"));
    BOOST_TEST(de.terms("Rückgabe") == de.terms("Ruckgabe"));
    BOOST_TEST(de.terms("Bestellungen") == de.terms("Bestellung"));
    BOOST_TEST(!de.analyze("die Lieferung")[1].stop);
    BOOST_TEST(de.analyze("die Lieferung")[0].stop);
}

BOOST_AUTO_TEST_CASE(japanese_is_segmented_without_spaces_and_keeps_voicing_marks) {
    auto w = words("ja", "今日は雨が降りますか？");
    BOOST_TEST(w.size() >= 4u);
    BOOST_TEST(has(w, "雨"));
    BOOST_TEST(has(w, "が"));  // the voiced kana stays itself (accent folding must not make it か)
    BOOST_TEST(TextAnalyzer::foldAccents("が") == "が");
    auto tokens = TextAnalyzer("ja").analyze("雨が");
    BOOST_TEST(tokens.back().stop);  // the particle
    BOOST_TEST(tokens.front().cjk);
}

BOOST_AUTO_TEST_CASE(chinese_is_segmented_into_words) {
    auto w = words("zh", "我想申请退款");
    BOOST_TEST(w.size() >= 3u);
    BOOST_TEST(has(w, "退款"));
    auto tokens = TextAnalyzer("zh").analyze("可以退款吗");
    BOOST_TEST(tokens.back().word == "吗");
    BOOST_TEST(tokens.back().stop);  // the question particle
}

BOOST_AUTO_TEST_CASE(thai_is_segmented_without_spaces) {
    auto w = words("th", "สวัสดีครับ");
    BOOST_REQUIRE(w.size() == 2u);
    BOOST_TEST(w[0] == "สวัสดี");
    BOOST_TEST(w[1] == "ครับ");
    BOOST_TEST(TextAnalyzer("th").analyze("สวัสดีครับ")[1].stop);
    BOOST_TEST(TextAnalyzer::foldAccents("ครับ") == "ครับ");  // Thai marks are not accents
}

BOOST_AUTO_TEST_CASE(turkish_keeps_its_accents_and_unknown_languages_are_not_stemmed) {
    BOOST_TEST(TextAnalyzer("tr").terms("çiçek")[0].find("ç") != std::string::npos);
    BOOST_TEST(TextAnalyzer("xx").terms("Running") == (std::vector<std::string>{"running"}));
    BOOST_TEST(!hasStemmer("xx"));
    BOOST_TEST(hasStemmer("de"));
}

BOOST_AUTO_TEST_SUITE_END()

// Stop words per language: the words that carry grammar rather than meaning (folded: lower case, no accents).
// Short lists on purpose: question words such as "how", "when" and "why" stay, because they tell intents apart.
#include "text_analyzer.hpp"

#include <map>
#include <sstream>

namespace parley::knowledge_base {
namespace {

const std::map<std::string, const char*> kLists = {
    {"en", "a an the and or of to in on at for with by from is are was were be been being am do does did i me my "
           "mine we our you your he him his she her it its they them their this that these those there here as if "
           "than then so such too very s t just into about over also please hi hello thanks thank"},
    {"es", "el la los las un una unos unas y o de del al a en con por para es son era fue ser estar esta este "
           "esto estos estas ese esa eso lo le les se me mi mis te tu tus su sus nos nuestro nuestra que como "
           "muy mas pero si ya hay hola gracias por favor"},
    {"de", "der die das den dem des ein eine einen einem einer eines und oder zu im in am an auf fur mit von "
           "vom zum zur ist sind war waren sein bin bist ich mich mir mein meine du dich dir dein wir uns unser "
           "ihr sie er es ihm ihn ihre dies diese dieser dieses hier da so sehr auch aber noch bitte hallo danke"},
    {"fr", "le la les un une des et ou de du au aux a en dans sur pour par avec est sont etait etre je me moi "
           "mon ma mes tu te ton ta tes il elle nous vous ils elles leur leurs son sa ses ce cet cette ces qui que "
           "y ne pas plus tres mais si bonjour merci"},
    {"pt", "o a os as um uma uns umas e ou de do da dos das ao em no na nos nas com por para e sao era ser "
           "estar eu me meu minha voce seu sua nos nosso ele ela eles elas isto isso este esta esse essa que muito "
           "mas se ola obrigado obrigada"},
    {"it", "il lo la i gli le un uno una e o di del della dei delle a al alla in nel nella con per da su e sono "
           "era essere io mi mio mia tu ti tuo tua lui lei noi voi loro questo questa quello quella che molto ma se "
           "ciao grazie"},
    {"nl", "de het een en of van in op aan voor met door is zijn was waren ben ik mij mijn jij je jouw wij we "
           "ons onze hij zij ze het dit dat deze die hier daar zo ook maar nog hallo dank bedankt"},
    {"ja", "の は が を に で と も へ や から まで より です ます でし まし た だ ね よ な か ください お ご"},
    {"zh", "的 了 吗 呢 吧 啊 是 在 和 与 或 也 都 就 很 我 你 他 她 它 我们 你们 请 一下 个"},
    {"th", "ครับ ค่ะ คะ นะ จ้ะ จ้า หน่อย ที่ ของ และ หรือ ก็ ได้ ไหม มั้ย"},
};

}  // namespace

const std::unordered_set<std::string>& stopWords(const std::string& language) {
    static const std::map<std::string, std::unordered_set<std::string>> sets = [] {
        std::map<std::string, std::unordered_set<std::string>> out;
        for (const auto& [lang, list] : kLists) {
            std::istringstream words(list);
            for (std::string w; words >> w;) out[lang].insert(w);
        }
        return out;
    }();
    static const std::unordered_set<std::string> none;
    auto it = sets.find(language);
    return it == sets.end() ? none : it->second;
}

}  // namespace parley::knowledge_base

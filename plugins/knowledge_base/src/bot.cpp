// The bot's three answers, as the core's actions (docs/events.md, "Actions").
#include "bot.hpp"

#include <parley/sdk.hpp>

#include <cstdio>
#include <map>

namespace parley::knowledge_base {
namespace {

// "Did you mean…" in the widget's language (English for the others).
std::string suggestionPrompt(const std::string& language) {
    static const std::map<std::string, std::string> prompts = {
        {"en", "Did you mean one of these?"},        {"es", "¿Quiso decir alguna de estas?"},
        {"de", "Meinten Sie eine dieser Fragen?"},   {"fr", "Vouliez-vous dire l'une de ces questions ?"},
        {"pt", "Você quis dizer uma destas?"},        {"it", "Intendevi una di queste?"},
        {"nl", "Bedoelde u een van deze vragen?"},   {"ja", "こちらの質問でしょうか？"},
        {"zh", "您是想问以下问题吗？"},               {"th", "คุณหมายถึงคำถามเหล่านี้หรือไม่"}};
    auto it = prompts.find(language.substr(0, 2));
    return it == prompts.end() ? prompts.at("en") : it->second;
}

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", v);
    return buf;
}

std::string stringArray(const std::vector<std::string>& items) {
    std::string out = "[";
    for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + jsonQuote(items[i]);
    return out + "]";
}

}  // namespace

std::string jsonQuote(const std::string& text) { return parley::Response::quote(text); }

const char* outcomeName(Outcome outcome) {
    switch (outcome) {
        case Outcome::answer: return "answer";
        case Outcome::suggest: return "suggest";
        default: return "fallback";
    }
}

Decision decide(const std::vector<Hit>& hits, const WidgetPolicy& policy) {
    Decision d;
    if (!hits.empty() && hits[0].confidence >= policy.answer_threshold) {
        d.outcome = Outcome::answer;
        d.hits.push_back(hits[0]);
        return d;
    }
    for (const auto& h : hits)
        if (h.confidence >= policy.suggestion_threshold && d.hits.size() < kMaxSuggestions) d.hits.push_back(h);
    d.outcome = d.hits.empty() ? Outcome::fallback : Outcome::suggest;
    if (d.outcome == Outcome::fallback) d.hits = hits;
    return d;
}

std::string actionJson(const Decision& d, const WidgetPolicy& policy) {
    if (d.outcome == Outcome::answer) {
        const Hit& h = d.hits[0];
        std::string text = h.entry->answer;
        for (const auto& link : h.entry->links) text += "\n" + (link.label.empty() ? link.url : link.label + ": " + link.url);
        std::string links = "[";
        for (size_t i = 0; i < h.entry->links.size(); ++i)
            links += std::string(i ? "," : "") + "{\"label\":" + jsonQuote(h.entry->links[i].label) +
                     ",\"url\":" + jsonQuote(h.entry->links[i].url) + "}";
        links += "]";
        return "{\"type\":\"reply\",\"text\":" + jsonQuote(text) + ",\"quick_replies\":" +
               stringArray(h.entry->quick_replies) + ",\"confidence\":" + number(h.confidence) +
               ",\"meta\":{\"kb_entry_id\":" + jsonQuote(h.entry->id) + ",\"kb_confidence\":" + number(h.confidence) +
               ",\"kb_links\":" + links + "}}";
    }
    if (d.outcome == Outcome::suggest) {
        std::vector<std::string> questions, ids, confidences;
        for (const auto& h : d.hits) {
            questions.push_back(h.entry->question);
            ids.push_back(h.entry->id);
        }
        return "{\"type\":\"reply\",\"text\":" + jsonQuote(suggestionPrompt(policy.language)) +
               ",\"quick_replies\":" + stringArray(questions) + ",\"meta\":{\"kb_suggestions\":" + stringArray(ids) +
               ",\"kb_confidence\":" + number(d.hits[0].confidence) + "}}";
    }
    std::string type = policy.fallback == "capture_lead" ? "ask_lead"
                       : policy.fallback == "webhook"    ? "forward_to_automation"
                                                         : "handoff";
    return "{\"type\":\"" + type + "\",\"reason\":\"kb_no_answer\"}";
}

}  // namespace parley::knowledge_base

#include <algorithm>

namespace parley::knowledge_base {

std::string gapKey(const std::string& question, const std::string& language) {
    auto terms = TextAnalyzer(language).terms(question);
    std::sort(terms.begin(), terms.end());
    terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
    std::string key;
    for (const auto& t : terms) key += (key.empty() ? "" : " ") + t;
    if (key.empty()) key = TextAnalyzer::fold(question);
    return key.substr(0, 300);
}

}  // namespace parley::knowledge_base

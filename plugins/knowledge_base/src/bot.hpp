// What the bot does with a question: answer, offer suggestions ("Did you mean…"), or take the widget's fallback.
#pragma once

#include "index.hpp"

#include <string>
#include <vector>

namespace parley::knowledge_base {

// The widget's bot settings as message.inbound carries them (docs/events.md).
struct WidgetPolicy {
    bool chatbot_enabled = true;
    double answer_threshold = 0.6;      // bot_confidence_threshold
    double suggestion_threshold = 0.35; // bot_suggestion_threshold
    std::string fallback = "handoff";   // bot_fallback: handoff | capture_lead | webhook
    std::string language = "en";        // default_language
};

enum class Outcome { answer, suggest, fallback };

struct Decision {
    Outcome outcome = Outcome::fallback;
    std::vector<Hit> hits;  // answer: the entry used; suggest: the suggestions; fallback: the best tries
};

// At most this many "Did you mean…" suggestions.
constexpr size_t kMaxSuggestions = 3;

// Answer when the best hit's confidence reaches the answer threshold; suggest the hits at or above the
// suggestion threshold when the best reaches it; otherwise fall back.
Decision decide(const std::vector<Hit>& hits, const WidgetPolicy& policy);

// The action for the core (JSON text): a reply with `confidence` and `meta` for an answer, a reply with
// quick replies and `meta.kb_suggestions` (no confidence) for suggestions, or the fallback's action.
std::string actionJson(const Decision& decision, const WidgetPolicy& policy);

// The outcome's name as the API and the content-gaps report show it.
const char* outcomeName(Outcome outcome);

// A JSON string literal (quotes and escapes `text`).
std::string jsonQuote(const std::string& text);

}  // namespace parley::knowledge_base

namespace parley::knowledge_base {

// The content-gap group of a question: its distinct terms, sorted (so "card lost" and "lost my card" group
// together); the folded text when it has no terms.
std::string gapKey(const std::string& question, const std::string& language);

}  // namespace parley::knowledge_base

// A knowledge-base entry as retrieval and the admin API see it: plain data, no SDK or database types.
#pragma once

#include <string>
#include <vector>

namespace parley::knowledge_base {

struct Link {
    std::string label, url;
};

struct Entry {
    std::string id;                        // UUID
    std::string question;                  // the canonical question
    std::vector<std::string> phrasings;    // alternative ways visitors ask it
    std::string answer;                    // text shown to the visitor
    std::vector<std::string> quick_replies;
    std::vector<Link> links;
    std::vector<std::string> keywords;
    std::vector<std::string> tags;
    std::string language;                  // "" = the widget's default language
    bool enabled = true;
    long long times_used = 0, helpful_count = 0, not_helpful_count = 0;
    long long created_at = 0, updated_at = 0;  // ms since the epoch, UTC
};

}  // namespace parley::knowledge_base

// Entries in and out: JSON for the API, CSV and JSON for bulk import and export, each input validated with a
// reason a person can act on.
#pragma once

#include "entry.hpp"

#include <Poco/JSON/Object.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace parley::knowledge_base {

// A field that is missing or out of bounds; the API answers 422 invalid_field with what().
class InvalidEntry : public std::invalid_argument {
public:
    InvalidEntry(const std::string& field, const std::string& message)
        : std::invalid_argument(field + " " + message), field_(field) {}
    const std::string& field() const { return field_; }

private:
    std::string field_;
};

// Limits on one entry (documented in the plugin's README).
constexpr size_t kMaxQuestion = 500, kMaxAnswer = 4000, kMaxPhrasings = 200, kMaxQuickReplies = 10,
                 kMaxKeywords = 50, kMaxTags = 20, kMaxLinks = 10, kMaxImportRows = 5000;

// Reads an entry from a JSON object. With `base` (PATCH) absent fields keep its values; without, `question`
// and `answer` are required. Throws InvalidEntry.
Entry entryFromJson(const Poco::JSON::Object::Ptr& object, const Entry* base = nullptr);
Poco::JSON::Object::Ptr entryToJson(const Entry& entry);

struct Rejection {
    size_t row = 0;  // 1-based: the CSV line (the header is line 1) or the position in the JSON list
    std::string reason;
};
struct ImportBatch {
    std::vector<Entry> entries;  // valid rows, ids not yet assigned
    std::vector<Rejection> rejected;
};

// A JSON import: {"entries": [entry, ...]} or a bare array. A malformed document throws InvalidEntry
// (nothing is imported); a bad entry is rejected with its reason and the others are kept.
ImportBatch importJson(std::string_view body);
// A CSV import with a header row naming its columns: question and answer are required; phrasings,
// quick_replies, keywords and tags hold "|"-separated items; links "label=url" items; language; enabled
// (true/false/1/0/yes/no). Unknown columns refuse the whole file (a typo would lose data silently).
ImportBatch importCsv(std::string_view body);

std::string exportCsv(const std::vector<Entry>& entries);
std::string exportJson(const std::vector<Entry>& entries);

}  // namespace parley::knowledge_base

// Validation lives here once: the API, the JSON import and the CSV import all read entries through it.
#include "entry_codec.hpp"

#include "csv.hpp"

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

namespace parley::knowledge_base {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::string trim(const std::string& s) {
    size_t a = s.find_first_not_of(" \t\r\n"), b = s.find_last_not_of(" \t\r\n");
    return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// UTF-8 characters, not bytes: limits are about what people type.
size_t characters(const std::string& s) {
    return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string checkText(const std::string& field, const std::string& value, size_t max, bool required) {
    std::string t = trim(value);
    if (required && t.empty()) throw InvalidEntry(field, "is required and must not be blank");
    if (characters(t) > max) throw InvalidEntry(field, "is longer than " + std::to_string(max) + " characters");
    return t;
}

std::vector<std::string> checkList(const std::string& field, std::vector<std::string> items, size_t max_items,
                                   size_t max_length) {
    std::vector<std::string> out;
    for (auto& item : items) {
        std::string t = checkText(field + " item", item, max_length, false);
        if (!t.empty() && std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
    }
    if (out.size() > max_items) throw InvalidEntry(field, "has more than " + std::to_string(max_items) + " items");
    return out;
}

Link checkLink(const std::string& label, const std::string& url) {
    std::string u = trim(url);
    if (!(u.rfind("https://", 0) == 0 || u.rfind("http://", 0) == 0) || u.size() > 2000 ||
        u.find_first_of(" \t\r\n\"<>") != std::string::npos)
        throw InvalidEntry("links", "item '" + u + "' is not an http:// or https:// URL");
    return {checkText("links label", label, 100, false), u};
}

std::string checkLanguage(const std::string& value) {
    std::string l = trim(value);
    bool ok = l.empty() || ((l.size() == 2 || l.size() == 3) && std::all_of(l.begin(), l.end(), [](char c) { return c >= 'a' && c <= 'z'; }));
    if (!ok) throw InvalidEntry("language", "must be a two- or three-letter lower-case code such as 'en' (got '" + l + "')");
    return l;
}

std::vector<std::string> stringsOf(const Object::Ptr& o, const std::string& field) {
    if (!o->has(field) || o->isNull(field)) return {};
    Array::Ptr a = o->getArray(field);
    if (!a) throw InvalidEntry(field, "must be an array of strings");
    std::vector<std::string> out;
    for (size_t i = 0; i < a->size(); ++i) {
        auto v = a->get(static_cast<unsigned>(i));
        if (!v.isString()) throw InvalidEntry(field, "must be an array of strings");
        out.push_back(v.extract<std::string>());
    }
    return out;
}

std::string stringOf(const Object::Ptr& o, const std::string& field) {
    auto v = o->get(field);
    if (!v.isString()) throw InvalidEntry(field, "must be a string");
    return v.extract<std::string>();
}

Array::Ptr toArray(const std::vector<std::string>& items) {
    Array::Ptr a = new Array;
    for (const auto& i : items) a->add(i);
    return a;
}

std::vector<std::string> splitItems(const std::string& cell) {
    std::vector<std::string> out;
    std::stringstream in(cell);
    for (std::string item; std::getline(in, item, '|');) out.push_back(item);
    return out;
}

std::string joinItems(const std::vector<std::string>& items) {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) out += (i ? " | " : "") + items[i];
    return out;
}

bool parseBool(const std::string& value) {
    std::string v = trim(value);
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (v.empty() || v == "true" || v == "1" || v == "yes") return true;
    if (v == "false" || v == "0" || v == "no") return false;
    throw InvalidEntry("enabled", "must be true or false (got '" + value + "')");
}

}  // namespace

Entry entryFromJson(const Object::Ptr& o, const Entry* base) {
    if (!o) throw InvalidEntry("entry", "must be a JSON object");
    static const std::set<std::string> known = {"question", "phrasings", "answer", "quick_replies", "links", "keywords",
                                                "tags", "language", "enabled", "id", "times_used", "helpful_count",
                                                "not_helpful_count", "created_at", "updated_at"};
    for (const auto& name : o->getNames())
        if (!known.count(name)) throw InvalidEntry(name, "is not a field of an entry");
    Entry e = base ? *base : Entry{};
    if (o->has("question") || !base) e.question = checkText("question", o->has("question") ? stringOf(o, "question") : "", kMaxQuestion, true);
    if (o->has("answer") || !base) e.answer = checkText("answer", o->has("answer") ? stringOf(o, "answer") : "", kMaxAnswer, true);
    if (o->has("phrasings")) e.phrasings = checkList("phrasings", stringsOf(o, "phrasings"), kMaxPhrasings, kMaxQuestion);
    if (o->has("quick_replies")) e.quick_replies = checkList("quick_replies", stringsOf(o, "quick_replies"), kMaxQuickReplies, 100);
    if (o->has("keywords")) e.keywords = checkList("keywords", stringsOf(o, "keywords"), kMaxKeywords, 100);
    if (o->has("tags")) e.tags = checkList("tags", stringsOf(o, "tags"), kMaxTags, 50);
    if (o->has("language")) e.language = checkLanguage(o->isNull("language") ? "" : stringOf(o, "language"));
    if (o->has("enabled")) {
        auto v = o->get("enabled");
        if (!v.isBoolean()) throw InvalidEntry("enabled", "must be true or false");
        e.enabled = v.extract<bool>();
    }
    if (o->has("links")) {
        Array::Ptr links = o->has("links") && !o->isNull("links") ? o->getArray("links") : nullptr;
        if (o->has("links") && !o->isNull("links") && !links) throw InvalidEntry("links", "must be an array of {label, url}");
        e.links.clear();
        for (size_t i = 0; links && i < links->size(); ++i) {
            Object::Ptr l = links->getObject(static_cast<unsigned>(i));
            if (!l || !l->has("url")) throw InvalidEntry("links", "items must be objects with a url (and a label)");
            e.links.push_back(checkLink(l->has("label") ? stringOf(l, "label") : "", stringOf(l, "url")));
        }
        if (e.links.size() > kMaxLinks) throw InvalidEntry("links", "has more than " + std::to_string(kMaxLinks) + " items");
    }
    return e;
}

Object::Ptr entryToJson(const Entry& e) {
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("id", e.id);
    o->set("question", e.question);
    o->set("phrasings", toArray(e.phrasings));
    o->set("answer", e.answer);
    o->set("quick_replies", toArray(e.quick_replies));
    Array::Ptr links = new Array;
    for (const auto& l : e.links) {
        Object::Ptr lo = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        lo->set("label", l.label);
        lo->set("url", l.url);
        links->add(lo);
    }
    o->set("links", links);
    o->set("keywords", toArray(e.keywords));
    o->set("tags", toArray(e.tags));
    o->set("language", e.language);
    o->set("enabled", e.enabled);
    o->set("times_used", e.times_used);
    o->set("helpful_count", e.helpful_count);
    o->set("not_helpful_count", e.not_helpful_count);
    o->set("created_at", e.created_at);
    o->set("updated_at", e.updated_at);
    return o;
}

ImportBatch importJson(std::string_view body) {
    Poco::Dynamic::Var parsed;
    try {
        parsed = Poco::JSON::Parser().parse(std::string(body));
    } catch (const std::exception& e) {
        throw InvalidEntry("body", std::string("is not valid JSON: ") + e.what());
    }
    Array::Ptr list;
    if (parsed.type() == typeid(Array::Ptr)) list = parsed.extract<Array::Ptr>();
    else if (parsed.type() == typeid(Object::Ptr)) list = parsed.extract<Object::Ptr>()->getArray("entries");
    if (!list) throw InvalidEntry("entries", "is required: send {\"entries\": [...]} or a JSON array of entries");
    if (list->size() > kMaxImportRows)
        throw InvalidEntry("entries", "has more than " + std::to_string(kMaxImportRows) + " items; split the import");
    ImportBatch batch;
    for (size_t i = 0; i < list->size(); ++i) {
        try {
            batch.entries.push_back(entryFromJson(list->getObject(static_cast<unsigned>(i))));
        } catch (const InvalidEntry& e) {
            batch.rejected.push_back({i + 1, e.what()});
        }
    }
    return batch;
}

ImportBatch importCsv(std::string_view body) {
    std::vector<CsvRow> rows;
    try {
        rows = parseCsv(body);
    } catch (const std::invalid_argument& e) {
        throw InvalidEntry("body", std::string("is not valid CSV: ") + e.what());
    }
    if (rows.empty()) throw InvalidEntry("body", "is empty: send a header row (question,answer,...) and one row per entry");
    static const std::set<std::string> known = {"id", "question", "phrasings", "answer", "quick_replies", "links",
                                                "keywords", "tags", "language", "enabled", "times_used",
                                                "helpful_count", "not_helpful_count"};
    std::map<std::string, size_t> column;
    for (size_t i = 0; i < rows[0].fields.size(); ++i) {
        std::string name = trim(rows[0].fields[i]);
        if (!known.count(name)) throw InvalidEntry("header", "has an unknown column '" + name + "'");
        column[name] = i;
    }
    if (!column.count("question") || !column.count("answer"))
        throw InvalidEntry("header", "must name the columns 'question' and 'answer'");
    if (rows.size() - 1 > kMaxImportRows)
        throw InvalidEntry("body", "has more than " + std::to_string(kMaxImportRows) + " rows; split the import");
    ImportBatch batch;
    for (size_t r = 1; r < rows.size(); ++r) {
        const auto& f = rows[r].fields;
        if (f.size() == 1 && trim(f[0]).empty()) continue;  // a blank line
        try {
            if (f.size() != rows[0].fields.size())
                throw InvalidEntry("row", "has " + std::to_string(f.size()) + " fields; the header has " +
                                              std::to_string(rows[0].fields.size()));
            auto cell = [&](const std::string& name) { return column.count(name) ? f[column[name]] : std::string(); };
            Entry e;
            e.question = checkText("question", cell("question"), kMaxQuestion, true);
            e.answer = checkText("answer", cell("answer"), kMaxAnswer, true);
            e.phrasings = checkList("phrasings", splitItems(cell("phrasings")), kMaxPhrasings, kMaxQuestion);
            e.quick_replies = checkList("quick_replies", splitItems(cell("quick_replies")), kMaxQuickReplies, 100);
            e.keywords = checkList("keywords", splitItems(cell("keywords")), kMaxKeywords, 100);
            e.tags = checkList("tags", splitItems(cell("tags")), kMaxTags, 50);
            for (const auto& item : splitItems(cell("links"))) {
                if (trim(item).empty()) continue;
                auto eq = item.find('=');
                if (eq == std::string::npos) throw InvalidEntry("links", "items must be label=url (got '" + trim(item) + "')");
                e.links.push_back(checkLink(item.substr(0, eq), item.substr(eq + 1)));
            }
            if (e.links.size() > kMaxLinks) throw InvalidEntry("links", "has more than " + std::to_string(kMaxLinks) + " items");
            e.language = checkLanguage(cell("language"));
            e.enabled = parseBool(cell("enabled"));
            batch.entries.push_back(std::move(e));
        } catch (const InvalidEntry& e) {
            batch.rejected.push_back({rows[r].line, e.what()});
        }
    }
    return batch;
}

std::string exportCsv(const std::vector<Entry>& entries) {
    std::string out = "id,question,phrasings,answer,quick_replies,links,keywords,tags,language,enabled,times_used,"
                      "helpful_count,not_helpful_count\r\n";
    for (const auto& e : entries) {
        std::vector<std::string> links;
        for (const auto& l : e.links) links.push_back(l.label + "=" + l.url);
        out += csvField(e.id) + "," + csvField(e.question) + "," + csvField(joinItems(e.phrasings)) + "," +
               csvField(e.answer) + "," + csvField(joinItems(e.quick_replies)) + "," + csvField(joinItems(links)) + "," +
               csvField(joinItems(e.keywords)) + "," + csvField(joinItems(e.tags)) + "," + csvField(e.language) + "," +
               (e.enabled ? "true" : "false") + "," + std::to_string(e.times_used) + "," +
               std::to_string(e.helpful_count) + "," + std::to_string(e.not_helpful_count) + "\r\n";
    }
    return out;
}

std::string exportJson(const std::vector<Entry>& entries) {
    Object::Ptr o = new Object;
    Array::Ptr list = new Array;
    for (const auto& e : entries) list->add(entryToJson(e));
    o->set("entries", list);
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(o, out);
    return out.str();
}

}  // namespace parley::knowledge_base

// SQL for the knowledge base; JSON columns travel as text (jsonb on PostgreSQL, TEXT on SQLite).
#include "store.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/UUIDGenerator.h>

#include <chrono>
#include <sstream>

namespace parley::knowledge_base {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

const char* kColumns =
    "id, question, phrasings, answer, quick_replies, links, keywords, tags, language, enabled, times_used, "
    "helpful_count, not_helpful_count, created_at, updated_at";

std::string text(const Poco::Dynamic::Var& v) {
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(v, out);
    return out.str();
}

std::string stringsJson(const std::vector<std::string>& items) {
    Array::Ptr a = new Array;
    for (const auto& i : items) a->add(i);
    return text(a);
}

std::vector<std::string> stringsFrom(const std::string& json) {
    std::vector<std::string> out;
    Array::Ptr a = Poco::JSON::Parser().parse(json.empty() ? "[]" : json).extract<Array::Ptr>();
    for (size_t i = 0; i < a->size(); ++i) out.push_back(a->getElement<std::string>(static_cast<unsigned>(i)));
    return out;
}

long long integer(const Object::Ptr& row, const std::string& name) {
    auto v = row->get(name);
    return v.isEmpty() ? 0 : v.convert<long long>();
}

Entry entryFrom(const Object::Ptr& row) {
    Entry e;
    e.id = row->getValue<std::string>("id");
    e.question = row->getValue<std::string>("question");
    e.phrasings = stringsFrom(row->getValue<std::string>("phrasings"));
    e.answer = row->getValue<std::string>("answer");
    e.quick_replies = stringsFrom(row->getValue<std::string>("quick_replies"));
    Array::Ptr links = Poco::JSON::Parser().parse(row->getValue<std::string>("links")).extract<Array::Ptr>();
    for (size_t i = 0; i < links->size(); ++i) {
        Object::Ptr l = links->getObject(static_cast<unsigned>(i));
        e.links.push_back({l->optValue<std::string>("label", ""), l->optValue<std::string>("url", "")});
    }
    e.keywords = stringsFrom(row->getValue<std::string>("keywords"));
    e.tags = stringsFrom(row->getValue<std::string>("tags"));
    e.language = row->getValue<std::string>("language");
    e.enabled = integer(row, "enabled") != 0;
    e.times_used = integer(row, "times_used");
    e.helpful_count = integer(row, "helpful_count");
    e.not_helpful_count = integer(row, "not_helpful_count");
    e.created_at = integer(row, "created_at");
    e.updated_at = integer(row, "updated_at");
    return e;
}

std::string linksJson(const std::vector<Link>& links) {
    Array::Ptr a = new Array;
    for (const auto& l : links) {
        Object::Ptr o = new Object;
        o->set("label", l.label);
        o->set("url", l.url);
        a->add(o);
    }
    return text(a);
}

}  // namespace

std::string newUuid() { return Poco::UUIDGenerator::defaultGenerator().createRandom().toString(); }

bool isUuid(const std::string& s) {
    if (s.size() != 36) return false;
    for (size_t i = 0; i < s.size(); ++i) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
    }
    return true;
}

long long nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Array::Ptr Store::query(const std::string& statement, const std::vector<Poco::Dynamic::Var>& params) const {
    Array::Ptr p = new Array;
    for (const auto& v : params) p->add(v);
    std::string rows = plugin_.sql(statement, text(p));
    return Poco::JSON::Parser().parse(rows).extract<Array::Ptr>();
}

std::optional<std::string> Store::widgetTenant(const std::string& widget_id) const {
    if (!isUuid(widget_id)) return std::nullopt;
    // The core's widgets table: the one read outside the plugin's own tables (ownership, for tenant isolation).
    auto rows = query("SELECT tenant_id FROM widgets WHERE id = :1", {widget_id});
    if (rows->size() == 0) return std::nullopt;
    return rows->getObject(0)->getValue<std::string>("tenant_id");
}

std::vector<Entry> Store::entries(const std::string& tenant, const std::string& widget, bool enabled_only) const {
    auto rows = query(std::string("SELECT ") + kColumns +
                          " FROM knowledge_base_entries WHERE tenant_id = :1 AND widget_id = :2" +
                          (enabled_only ? " AND enabled = 1" : "") + " ORDER BY created_at, id",
                      {tenant, widget});
    std::vector<Entry> out;
    out.reserve(rows->size());
    for (size_t i = 0; i < rows->size(); ++i) out.push_back(entryFrom(rows->getObject(static_cast<unsigned>(i))));
    return out;
}

std::optional<Entry> Store::entry(const std::string& tenant, const std::string& widget, const std::string& id) const {
    if (!isUuid(id)) return std::nullopt;
    auto rows = query(std::string("SELECT ") + kColumns +
                          " FROM knowledge_base_entries WHERE tenant_id = :1 AND widget_id = :2 AND id = :3",
                      {tenant, widget, id});
    if (rows->size() == 0) return std::nullopt;
    return entryFrom(rows->getObject(0));
}

void Store::insert(const std::string& tenant, const std::string& widget, Entry& e) const {
    e.id = newUuid();
    e.created_at = e.updated_at = nowMs();
    query("INSERT INTO knowledge_base_entries (id, tenant_id, widget_id, question, phrasings, answer, quick_replies, "
          "links, keywords, tags, language, enabled, times_used, helpful_count, not_helpful_count, created_at, "
          "updated_at) VALUES (:1, :2, :3, :4, :5, :6, :7, :8, :9, :10, :11, :12, 0, 0, 0, :13, :14)",
          {e.id, tenant, widget, e.question, stringsJson(e.phrasings), e.answer, stringsJson(e.quick_replies),
           linksJson(e.links), stringsJson(e.keywords), stringsJson(e.tags), e.language, e.enabled ? 1 : 0,
           e.created_at, e.updated_at});
}

void Store::update(const std::string& tenant, const std::string& widget, Entry& e) const {
    e.updated_at = nowMs();
    query("UPDATE knowledge_base_entries SET question = :1, phrasings = :2, answer = :3, quick_replies = :4, "
          "links = :5, keywords = :6, tags = :7, language = :8, enabled = :9, updated_at = :10 "
          "WHERE tenant_id = :11 AND widget_id = :12 AND id = :13",
          {e.question, stringsJson(e.phrasings), e.answer, stringsJson(e.quick_replies), linksJson(e.links),
           stringsJson(e.keywords), stringsJson(e.tags), e.language, e.enabled ? 1 : 0, e.updated_at, tenant, widget,
           e.id});
}

bool Store::erase(const std::string& tenant, const std::string& widget, const std::string& id) const {
    if (!isUuid(id)) return false;
    auto rows = query("DELETE FROM knowledge_base_entries WHERE tenant_id = :1 AND widget_id = :2 AND id = :3 "
                      "RETURNING id",
                      {tenant, widget, id});
    return rows->size() > 0;
}

size_t Store::deleteAll(const std::string& tenant, const std::string& widget) const {
    return query("DELETE FROM knowledge_base_entries WHERE tenant_id = :1 AND widget_id = :2 RETURNING id",
                 {tenant, widget})
        ->size();
}

size_t Store::count(const std::string& tenant, const std::string& widget) const {
    auto rows = query("SELECT COUNT(*) AS n FROM knowledge_base_entries WHERE tenant_id = :1 AND widget_id = :2",
                      {tenant, widget});
    return static_cast<size_t>(integer(rows->getObject(0), "n"));
}

WidgetSettings Store::settings(const std::string& tenant, const std::string& widget) const {
    WidgetSettings s;
    auto rows = query("SELECT synonyms, version FROM knowledge_base_settings WHERE tenant_id = :1 AND widget_id = :2",
                      {tenant, widget});
    if (rows->size() == 0) return s;
    Object::Ptr row = rows->getObject(0);
    s.version = integer(row, "version");
    Array::Ptr groups = Poco::JSON::Parser().parse(row->getValue<std::string>("synonyms")).extract<Array::Ptr>();
    for (size_t i = 0; i < groups->size(); ++i) {
        std::vector<std::string> group;
        Array::Ptr g = groups->getArray(static_cast<unsigned>(i));
        for (size_t j = 0; g && j < g->size(); ++j) group.push_back(g->getElement<std::string>(static_cast<unsigned>(j)));
        s.synonyms.push_back(std::move(group));
    }
    return s;
}

void Store::saveSynonyms(const std::string& tenant, const std::string& widget,
                         const std::vector<std::vector<std::string>>& synonyms) const {
    Array::Ptr groups = new Array;
    for (const auto& g : synonyms) {
        Array::Ptr a = new Array;
        for (const auto& w : g) a->add(w);
        groups->add(a);
    }
    query("INSERT INTO knowledge_base_settings (widget_id, tenant_id, synonyms, version, updated_at) "
          "VALUES (:1, :2, :3, 1, :4) ON CONFLICT (widget_id) DO UPDATE SET synonyms = excluded.synonyms, "
          "version = knowledge_base_settings.version + 1, updated_at = excluded.updated_at",
          {widget, tenant, text(groups), nowMs()});
}

long long Store::bumpVersion(const std::string& tenant, const std::string& widget) const {
    auto rows = query("INSERT INTO knowledge_base_settings (widget_id, tenant_id, synonyms, version, updated_at) "
                      "VALUES (:1, :2, '[]', 1, :3) ON CONFLICT (widget_id) DO UPDATE SET "
                      "version = knowledge_base_settings.version + 1, updated_at = excluded.updated_at RETURNING version",
                      {widget, tenant, nowMs()});
    return integer(rows->getObject(0), "version");
}

void Store::countUse(const std::string& tenant, const std::string& widget, const std::string& entry_id) const {
    query("UPDATE knowledge_base_entries SET times_used = times_used + 1 WHERE tenant_id = :1 AND widget_id = :2 "
          "AND id = :3",
          {tenant, widget, entry_id});
}

void Store::countFeedback(const std::string& tenant, const std::string& widget, const std::string& entry_id,
                          int helpful, int not_helpful) const {
    if (!isUuid(entry_id)) return;
    query("UPDATE knowledge_base_entries SET helpful_count = CASE WHEN helpful_count + :1 < 0 THEN 0 ELSE "
          "helpful_count + :2 END, not_helpful_count = CASE WHEN not_helpful_count + :3 < 0 THEN 0 ELSE "
          "not_helpful_count + :4 END WHERE tenant_id = :5 AND widget_id = :6 AND id = :7",
          {helpful, helpful, not_helpful, not_helpful, tenant, widget, entry_id});
}

void Store::recordGap(const std::string& tenant, const std::string& widget, const std::string& group_key,
                      const std::string& example, const std::string& outcome, const std::string& best_entry_id,
                      double best_confidence) const {
    long long now = nowMs();
    query("INSERT INTO knowledge_base_gaps (id, tenant_id, widget_id, group_key, example, outcome, asked, "
          "best_entry_id, best_confidence, first_asked_at, last_asked_at) VALUES (:1, :2, :3, :4, :5, :6, 1, :7, :8, "
          ":9, :10) ON CONFLICT (widget_id, group_key) DO UPDATE SET asked = knowledge_base_gaps.asked + 1, "
          "example = excluded.example, outcome = excluded.outcome, best_entry_id = excluded.best_entry_id, "
          "best_confidence = excluded.best_confidence, last_asked_at = excluded.last_asked_at",
          {newUuid(), tenant, widget, group_key, example, outcome,
           best_entry_id.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(best_entry_id), best_confidence, now, now});
}

Array::Ptr Store::gaps(const std::string& tenant, const std::string& widget, int limit) const {
    return query("SELECT id, example, outcome, asked, best_entry_id, best_confidence, first_asked_at, last_asked_at "
                 "FROM knowledge_base_gaps WHERE tenant_id = :1 AND widget_id = :2 "
                 "ORDER BY asked DESC, last_asked_at DESC LIMIT :3",
                 {tenant, widget, limit});
}

bool Store::deleteGap(const std::string& tenant, const std::string& widget, const std::string& id) const {
    if (!isUuid(id)) return false;
    return query("DELETE FROM knowledge_base_gaps WHERE tenant_id = :1 AND widget_id = :2 AND id = :3 RETURNING id",
                 {tenant, widget, id})
        ->size() > 0;
}

}  // namespace parley::knowledge_base

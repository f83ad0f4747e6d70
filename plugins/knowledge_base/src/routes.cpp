// Admin routes: tenant-scoped (X-Parley-Tenant), widget checked against the tenant (404 otherwise), writes for
// super_admin and client_admin only; every bad input answers {"error":{"code","message"}}.
#include "routes.hpp"

#include "bot.hpp"
#include "entry_codec.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>

namespace parley::knowledge_base {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr size_t kMaxEntriesPerWidget = 20000;

struct Scope {
    std::string tenant, widget, entry;  // entry: the path's {entry_id} or {gap_id}, when there is one
};

std::string text(const Poco::Dynamic::Var& v) {
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(v, out);
    return out.str();
}

// Checks who may do what on which widget; answers the error itself and returns nothing when refused.
std::optional<Scope> admit(const parley::Request& r, parley::Response& w, const Store& store, bool write) {
    Scope s;
    s.tenant = r.tenantId();
    if (s.tenant.empty()) {
        w.error(400, "tenant_required", "name the tenant in the X-Parley-Tenant header (or ?tenant=)");
        return std::nullopt;
    }
    // The path is /widgets/{widget_id}/<resource>[/{id}].
    std::vector<std::string> parts;
    std::stringstream path(r.path());
    for (std::string part; std::getline(path, part, '/');)
        if (!part.empty()) parts.push_back(part);
    s.widget = parts.size() > 1 ? parts[1] : "";
    if (parts.size() > 3) s.entry = parts[3];
    auto owner = store.widgetTenant(s.widget);
    if (!owner || *owner != s.tenant) {
        w.error(404, "widget_not_found", "widget '" + s.widget + "' not found in this tenant");
        return std::nullopt;
    }
    if (write && r.role() != "super_admin" && r.role() != "client_admin") {
        w.error(403, "forbidden", "the knowledge base can be changed by client admins only (your role: " + r.role() + ")");
        return std::nullopt;
    }
    return s;
}

Object::Ptr bodyObject(const parley::Request& r, parley::Response& w) {
    try {
        auto v = Poco::JSON::Parser().parse(std::string(r.body()));
        if (v.type() == typeid(Object::Ptr)) return v.extract<Object::Ptr>();
    } catch (const std::exception&) {
    }
    w.error(400, "invalid_json", "the body must be a JSON object");
    return nullptr;
}

std::optional<int> intParam(const parley::Request& r, parley::Response& w, const std::string& name, int fallback,
                            int min, int max) {
    auto v = r.param(name);
    if (!v) return fallback;
    try {
        size_t used = 0;
        int n = std::stoi(*v, &used);
        if (used == v->size() && n >= min && n <= max) return n;
    } catch (const std::exception&) {
    }
    w.error(400, "invalid_query", name + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
    return std::nullopt;
}

void sendEntry(parley::Response& w, int status, const Entry& e) {
    Object::Ptr o = new Object;
    o->set("entry", entryToJson(e));
    w.json(status, text(o));
}

// Writes happen in one host transaction with the version bump; the cached index then follows incrementally.
void changed(IndexCache& cache, const Scope& s, long long version, const std::function<void(Index&)>& change) {
    cache.edited(s.widget, version, change);
}

}  // namespace

void registerAdminRoutes(parley::Plugin& p, Store store, IndexCache& cache) {
    parley::Plugin plugin = p;
    const std::string base = "/widgets/{widget_id}";

    p.route("GET", base + "/entries", parley::Admin, [store](const parley::Request& r, parley::Response& w) {
        auto s = admit(r, w, store, false);
        if (!s) return;
        auto limit = intParam(r, w, "limit", 100, 1, 1000);
        auto offset = limit ? intParam(r, w, "offset", 0, 0, 1000000) : std::nullopt;
        if (!offset) return;
        std::string tag = r.param("tag").value_or("");
        Array::Ptr list = new Array;
        size_t total = 0;
        for (const auto& e : store.entries(s->tenant, s->widget)) {
            if (!tag.empty() && std::find(e.tags.begin(), e.tags.end(), tag) == e.tags.end()) continue;
            if (total >= static_cast<size_t>(*offset) && list->size() < static_cast<size_t>(*limit)) list->add(entryToJson(e));
            ++total;
        }
        Object::Ptr o = new Object;
        o->set("entries", list);
        o->set("total", total);
        w.json(200, text(o));
    });

    p.route("POST", base + "/entries", parley::Admin, [plugin, store, &cache](const parley::Request& r, parley::Response& w) {
        auto s = admit(r, w, store, true);
        if (!s) return;
        Object::Ptr body = bodyObject(r, w);
        if (!body) return;
        Entry e;
        try {
            e = entryFromJson(body);
        } catch (const InvalidEntry& x) {
            return w.error(422, "invalid_field", x.what());
        }
        if (store.count(s->tenant, s->widget) >= kMaxEntriesPerWidget)
            return w.error(409, "limit_reached", "a widget holds at most " + std::to_string(kMaxEntriesPerWidget) + " entries");
        long long version = 0;
        plugin.transaction([&] {
            store.insert(s->tenant, s->widget, e);
            version = store.bumpVersion(s->tenant, s->widget);
        });
        changed(cache, *s, version, [&](Index& index) { index.upsert(e); });
        sendEntry(w, 201, e);
    });

    p.route("GET", base + "/entries/{entry_id}", parley::Admin, [store](const parley::Request& r, parley::Response& w) {
        auto s = admit(r, w, store, false);
        if (!s) return;
        auto e = store.entry(s->tenant, s->widget, s->entry);
        if (!e) return w.error(404, "entry_not_found", "entry '" + s->entry + "' not found in this widget");
        sendEntry(w, 200, *e);
    });

    p.route("PATCH", base + "/entries/{entry_id}", parley::Admin,
            [plugin, store, &cache](const parley::Request& r, parley::Response& w) {
        auto s = admit(r, w, store, true);
        if (!s) return;
        Object::Ptr body = bodyObject(r, w);
        if (!body) return;
        auto current = store.entry(s->tenant, s->widget, s->entry);
        if (!current) return w.error(404, "entry_not_found", "entry '" + s->entry + "' not found in this widget");
        Entry e;
        try {
            e = entryFromJson(body, &*current);
        } catch (const InvalidEntry& x) {
            return w.error(422, "invalid_field", x.what());
        }
        long long version = 0;
        plugin.transaction([&] {
            store.update(s->tenant, s->widget, e);
            version = store.bumpVersion(s->tenant, s->widget);
        });
        changed(cache, *s, version, [&](Index& index) { index.upsert(e); });
        sendEntry(w, 200, e);
    });

    p.route("DELETE", base + "/entries/{entry_id}", parley::Admin,
            [plugin, store, &cache](const parley::Request& r, parley::Response& w) {
        auto s = admit(r, w, store, true);
        if (!s) return;
        bool found = false;
        long long version = 0;
        plugin.transaction([&] {
            found = store.erase(s->tenant, s->widget, s->entry);
            if (found) version = store.bumpVersion(s->tenant, s->widget);
        });
        if (!found) return w.error(404, "entry_not_found", "entry '" + s->entry + "' not found in this widget");
        changed(cache, *s, version, [&](Index& index) { index.remove(s->entry); });
        w.send(204, "application/json", "");
    });

    p.route("POST", base + "/import", parley::Admin, [plugin, store, &cache](const parley::Request& r, parley::Response& w) {
        auto s = admit(r, w, store, true);
        if (!s) return;
        std::string format = r.param("format").value_or("");
        if (format.empty()) {
            std::string type = r.header("Content-Type").value_or("");
            format = type.find("csv") != std::string::npos ? "csv" : "json";
        }
        std::string mode = r.param("mode").value_or("append");
        if (format != "csv" && format != "json")
            return w.error(400, "invalid_query", "format must be csv or json (got '" + format + "')");
        if (mode != "append" && mode != "replace")
            return w.error(400, "invalid_query", "mode must be append or replace (got '" + mode + "')");
        ImportBatch batch;
        try {
            batch = format == "csv" ? importCsv(r.body()) : importJson(r.body());
        } catch (const InvalidEntry& x) {
            return w.error(422, "invalid_import", x.what());
        }
        size_t existing = mode == "replace" ? 0 : store.count(s->tenant, s->widget);
        if (existing + batch.entries.size() > kMaxEntriesPerWidget)
            return w.error(409, "limit_reached", "a widget holds at most " + std::to_string(kMaxEntriesPerWidget) +
                                                     " entries (it has " + std::to_string(existing) + ")");
        long long version = 0;
        plugin.transaction([&] {
            if (mode == "replace") store.deleteAll(s->tenant, s->widget);
            for (auto& e : batch.entries) store.insert(s->tenant, s->widget, e);
            version = store.bumpVersion(s->tenant, s->widget);
        });
        if (mode == "replace") cache.drop(s->widget);
        else changed(cache, *s, version, [&](Index& index) {
            for (const auto& e : batch.entries) index.upsert(e);
        });
        Array::Ptr rejected = new Array;
        for (const auto& x : batch.rejected) {
            Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
            o->set("row", x.row);
            o->set("reason", x.reason);
            rejected->add(o);
        }
        Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        o->set("imported", batch.entries.size());
        o->set("rejected", rejected);
        w.json(batch.entries.empty() && !batch.rejected.empty() ? 422 : 200, text(o));
    });

    p.route("GET", base + "/export", parley::Admin, [store](const parley::Request& r, parley::Response& w) {
        auto s = admit(r, w, store, false);
        if (!s) return;
        std::string format = r.param("format").value_or("json");
        if (format != "csv" && format != "json")
            return w.error(400, "invalid_query", "format must be csv or json (got '" + format + "')");
        auto entries = store.entries(s->tenant, s->widget);
        if (format == "csv") {
            w.header("Content-Disposition", "attachment; filename=\"knowledge_base.csv\"");
            return w.send(200, "text/csv; charset=utf-8", exportCsv(entries));
        }
        w.json(200, exportJson(entries));
    });

    p.route("GET", base + "/gaps", parley::Admin, [store](const parley::Request& r, parley::Response& w) {
        auto s = admit(r, w, store, false);
        if (!s) return;
        auto limit = intParam(r, w, "limit", 50, 1, 500);
        if (!limit) return;
        Object::Ptr o = new Object;
        o->set("gaps", store.gaps(s->tenant, s->widget, *limit));
        w.json(200, text(o));
    });

    p.route("DELETE", base + "/gaps/{gap_id}", parley::Admin, [store](const parley::Request& r, parley::Response& w) {
        auto s = admit(r, w, store, true);
        if (!s) return;
        if (!store.deleteGap(s->tenant, s->widget, s->entry))
            return w.error(404, "gap_not_found", "content gap '" + s->entry + "' not found in this widget");
        w.send(204, "application/json", "");
    });

    // What the bot would do with a question, for testing a knowledge base before visitors ask.
    p.route("POST", base + "/search", parley::Admin, [store, &cache](const parley::Request& r, parley::Response& w) {
        auto s = admit(r, w, store, false);
        if (!s) return;
        Object::Ptr body = bodyObject(r, w);
        if (!body) return;
        auto question = body->get("text");
        if (!question.isString() || question.extract<std::string>().find_first_not_of(" \t\r\n") == std::string::npos)
            return w.error(422, "invalid_field", "text is required (the question to try)");
        WidgetPolicy policy;
        policy.answer_threshold = body->optValue<double>("answer_threshold", policy.answer_threshold);
        policy.suggestion_threshold = body->optValue<double>("suggestion_threshold", policy.suggestion_threshold);
        int limit = body->optValue<int>("limit", 3);
        if (limit < 1 || limit > 20) return w.error(422, "invalid_field", "limit must be between 1 and 20");
        if (policy.answer_threshold < 0 || policy.answer_threshold > 1 || policy.suggestion_threshold < 0 ||
            policy.suggestion_threshold > policy.answer_threshold)
            return w.error(422, "invalid_field", "thresholds must satisfy 0 <= suggestion_threshold <= answer_threshold <= 1");
        Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        std::string language = cache.language(s->widget);
        cache.read(s->tenant, s->widget, language, [&](const Index& index) {
            auto hits = index.search(question.extract<std::string>(), static_cast<size_t>(limit));
            Array::Ptr list = new Array;
            for (const auto& h : hits) {
                Object::Ptr hit = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
                hit->set("entry_id", h.entry->id);
                hit->set("question", h.entry->question);
                hit->set("score", h.score);
                hit->set("confidence", h.confidence);
                hit->set("probability", h.probability);  // the widget's classifier's (0 until it has one)
                list->add(hit);
            }
            o->set("decision", outcomeName(decide(hits, policy).outcome));
            o->set("hits", list);
        });
        w.json(200, text(o));
    });

    p.route("GET", base + "/settings", parley::Admin, [store](const parley::Request& r, parley::Response& w) {
        auto s = admit(r, w, store, false);
        if (!s) return;
        WidgetSettings settings = store.settings(s->tenant, s->widget);
        Array::Ptr groups = new Array;
        for (const auto& g : settings.synonyms) {
            Array::Ptr a = new Array;
            for (const auto& word : g) a->add(word);
            groups->add(a);
        }
        Object::Ptr o = new Object;
        o->set("synonyms", groups);
        w.json(200, text(o));
    });

    p.route("PUT", base + "/settings", parley::Admin, [store, &cache](const parley::Request& r, parley::Response& w) {
        auto s = admit(r, w, store, true);
        if (!s) return;
        Object::Ptr body = bodyObject(r, w);
        if (!body) return;
        Array::Ptr groups = body->getArray("synonyms");
        if (!groups) return w.error(422, "invalid_field", "synonyms is required: an array of word groups");
        if (groups->size() > 500) return w.error(422, "invalid_field", "synonyms has more than 500 groups");
        std::vector<std::vector<std::string>> synonyms;
        for (size_t i = 0; i < groups->size(); ++i) {
            Array::Ptr g = groups->getArray(static_cast<unsigned>(i));
            if (!g || g->size() < 2 || g->size() > 20)
                return w.error(422, "invalid_field", "synonyms[" + std::to_string(i) + "] must be an array of 2 to 20 words");
            std::vector<std::string> group;
            for (size_t j = 0; j < g->size(); ++j) {
                auto v = g->get(static_cast<unsigned>(j));
                if (!v.isString() || v.extract<std::string>().empty() || v.extract<std::string>().size() > 100)
                    return w.error(422, "invalid_field", "synonyms[" + std::to_string(i) + "] must hold words of 1 to 100 characters");
                group.push_back(v.extract<std::string>());
            }
            synonyms.push_back(std::move(group));
        }
        store.saveSynonyms(s->tenant, s->widget, synonyms);
        cache.drop(s->widget);
        w.json(200, text(body));
    });
}

}  // namespace parley::knowledge_base

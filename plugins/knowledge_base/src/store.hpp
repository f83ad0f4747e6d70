// The plugin's tables through the host's SQL: entries, per-widget settings and content gaps, every statement
// scoped by tenant and widget.
#pragma once

#include "entry.hpp"

#include <parley/sdk.hpp>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>

#include <optional>
#include <string>
#include <vector>

namespace parley::knowledge_base {

struct WidgetSettings {
    std::vector<std::vector<std::string>> synonyms;
    long long version = 0;  // bumped on every change to the widget's entries or settings
};

class Store {
public:
    explicit Store(parley::Plugin plugin) : plugin_(plugin) {}

    // The tenant owning `widget_id` (a UUID), or nothing for an unknown widget.
    std::optional<std::string> widgetTenant(const std::string& widget_id) const;

    std::vector<Entry> entries(const std::string& tenant, const std::string& widget, bool enabled_only = false) const;
    std::optional<Entry> entry(const std::string& tenant, const std::string& widget, const std::string& id) const;
    // Stores a new entry: sets its id and times.
    void insert(const std::string& tenant, const std::string& widget, Entry& entry) const;
    void update(const std::string& tenant, const std::string& widget, Entry& entry) const;
    bool erase(const std::string& tenant, const std::string& widget, const std::string& id) const;
    size_t deleteAll(const std::string& tenant, const std::string& widget) const;
    size_t count(const std::string& tenant, const std::string& widget) const;

    WidgetSettings settings(const std::string& tenant, const std::string& widget) const;
    void saveSynonyms(const std::string& tenant, const std::string& widget,
                      const std::vector<std::vector<std::string>>& synonyms) const;
    // Marks the widget's knowledge base changed; returns the new version (other nodes rebuild when they see it).
    long long bumpVersion(const std::string& tenant, const std::string& widget) const;

    void countUse(const std::string& tenant, const std::string& widget, const std::string& entry_id) const;
    // Adds `helpful` and `not_helpful` (each -1, 0 or +1) to an entry's counts, never below zero.
    void countFeedback(const std::string& tenant, const std::string& widget, const std::string& entry_id,
                       int helpful, int not_helpful) const;

    void recordGap(const std::string& tenant, const std::string& widget, const std::string& group_key,
                   const std::string& example, const std::string& outcome, const std::string& best_entry_id,
                   double best_confidence) const;
    Poco::JSON::Array::Ptr gaps(const std::string& tenant, const std::string& widget, int limit) const;
    bool deleteGap(const std::string& tenant, const std::string& widget, const std::string& id) const;

private:
    Poco::JSON::Array::Ptr query(const std::string& statement, const std::vector<Poco::Dynamic::Var>& params) const;
    parley::Plugin plugin_;
};

// A random (version 4) UUID; whether `text` is one (PostgreSQL refuses anything else in a uuid column).
std::string newUuid();
bool isUuid(const std::string& text);
long long nowMs();

}  // namespace parley::knowledge_base

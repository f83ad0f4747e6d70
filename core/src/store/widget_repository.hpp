// Widgets: keys, sealed secret, JSON config, domain lists, version; and the domains they were seen on.
#pragma once

#include "http/json.hpp"

#include <soci/soci.h>

#include <optional>
#include <string>
#include <vector>

namespace parley::core {

struct Widget {
    std::string id;
    std::string tenant_id;
    std::string name;
    std::string site_id;  // optional slug for seed 000's ChatWidget.setup({siteId}); "" when unset
    std::string public_key;
    std::string secret_ciphertext;
    std::string secret_hint;  // masked secret, e.g. "ws_••••9f2a"
    JsonObject config;
    std::vector<std::string> allowed_domains;
    std::vector<std::string> blocked_domains;
    bool is_active = true;
    long long version = 1;
    std::string created_by;
    long long created_at = 0;
    long long updated_at = 0;

    // The admin view: everything but the secret, which shows only as `secret_hint`.
    JsonObject toJson() const;
};

struct Installation {
    std::string domain;
    long long first_seen_at = 0;
    long long last_seen_at = 0;
};

class WidgetRepository {
public:
    explicit WidgetRepository(soci::session& sql) : sql_(sql) {}

    std::optional<Widget> find(const std::string& tenant_id, const std::string& id);
    std::optional<Widget> findByPublicKey(const std::string& public_key);
    std::optional<Widget> findBySiteId(const std::string& site_id);
    std::vector<Widget> listForTenant(const std::string& tenant_id);
    // The widget's version and its tenant's updated_at, for cache checks on the public hot path.
    std::optional<std::pair<long long, long long>> freshnessOf(const std::string& public_key);
    void insert(const Widget& widget);
    // Writes every field and sets version = widget.version; the caller increments it.
    void update(const Widget& widget);
    void remove(const std::string& tenant_id, const std::string& id);

    // Records a domain the widget was loaded from; true when it is new.
    bool recordInstallation(const Widget& widget, const std::string& domain, long long now);
    std::vector<Installation> installations(const std::string& tenant_id, const std::string& widget_id);

private:
    std::vector<Widget> query(const std::string& where, const std::vector<std::string>& args);
    soci::session& sql_;
};

}  // namespace parley::core

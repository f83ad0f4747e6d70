// Tenants (the seeds' "clients") and their plan limits.
#pragma once

#include "http/json.hpp"

#include <soci/soci.h>

#include <optional>
#include <string>
#include <vector>

namespace parley::core {

// A plan tier and the limits it gives a new tenant (seed 003); 0 means unlimited.
struct Plan {
    std::string name;
    int max_widgets;
    int max_agents;
    int rate_limit_per_minute;
};

const std::vector<Plan>& plans();
const Plan* findPlan(const std::string& name);

struct Tenant {
    std::string id;
    std::string name;
    std::string slug;
    std::string plan;
    int max_widgets = 0;
    int max_agents = 0;
    int rate_limit_per_minute = 0;
    bool is_active = true;
    long long created_at = 0;
    long long updated_at = 0;

    JsonObject toJson() const;
};

class TenantRepository {
public:
    explicit TenantRepository(soci::session& sql) : sql_(sql) {}

    std::optional<Tenant> find(const std::string& id);
    std::optional<Tenant> findBySlug(const std::string& slug);
    std::vector<Tenant> listAll();
    // Tenants the user belongs to.
    std::vector<Tenant> listForUser(const std::string& user_id);
    void insert(const Tenant& tenant);
    void update(const Tenant& tenant);
    // Deletes the tenant and, by cascade, its memberships, widgets and installations.
    void remove(const std::string& id);

    int countWidgets(const std::string& tenant_id);
    int countAgents(const std::string& tenant_id);

private:
    std::vector<Tenant> query(const std::string& where, const std::string& arg);
    soci::session& sql_;
};

}  // namespace parley::core

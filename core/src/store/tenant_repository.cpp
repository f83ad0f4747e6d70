// SQL for tenants; every other tenant-owned table hangs off tenants.id.
#include "store/tenant_repository.hpp"

#include "store/row.hpp"

namespace parley::core {

const std::vector<Plan>& plans() {
    static const std::vector<Plan> all = {
        {"free", 1, 2, 300},
        {"starter", 3, 5, 1200},
        {"business", 10, 25, 6000},
        {"enterprise", 100, 250, 60000},
        {"unlimited", 0, 0, 0},
    };
    return all;
}

const Plan* findPlan(const std::string& name) {
    for (const auto& p : plans())
        if (p.name == name) return &p;
    return nullptr;
}

JsonObject Tenant::toJson() const {
    JsonObject o = jsonObject();
    o->set("id", id);
    o->set("name", name);
    o->set("slug", slug);
    o->set("plan", plan);
    JsonObject limits = jsonObject();
    limits->set("max_widgets", max_widgets);
    limits->set("max_agents", max_agents);
    limits->set("rate_limit_per_minute", rate_limit_per_minute);
    o->set("limits", limits);
    o->set("is_active", is_active);
    o->set("created_at", static_cast<Poco::Int64>(created_at));
    o->set("updated_at", static_cast<Poco::Int64>(updated_at));
    return o;
}

namespace {
const char* kColumns =
    "SELECT t.id, t.name, t.slug, t.plan, t.max_widgets, t.max_agents, t.rate_limit_per_minute, t.is_active, "
    "t.created_at, t.updated_at FROM tenants t ";

Tenant fromRow(const soci::row& r) {
    Tenant t;
    t.id = rowText(r, 0);
    t.name = rowText(r, 1);
    t.slug = rowText(r, 2);
    t.plan = rowText(r, 3);
    t.max_widgets = static_cast<int>(rowInt(r, 4));
    t.max_agents = static_cast<int>(rowInt(r, 5));
    t.rate_limit_per_minute = static_cast<int>(rowInt(r, 6));
    t.is_active = rowInt(r, 7) != 0;
    t.created_at = rowInt(r, 8);
    t.updated_at = rowInt(r, 9);
    return t;
}
}  // namespace

std::vector<Tenant> TenantRepository::query(const std::string& where, const std::string& arg) {
    std::vector<Tenant> out;
    if (arg.empty()) {
        soci::rowset<soci::row> rows = (sql_.prepare << std::string(kColumns) + where);
        for (const auto& r : rows) out.push_back(fromRow(r));
    } else {
        soci::rowset<soci::row> rows = (sql_.prepare << std::string(kColumns) + where, soci::use(arg));
        for (const auto& r : rows) out.push_back(fromRow(r));
    }
    return out;
}

std::optional<Tenant> TenantRepository::find(const std::string& id) {
    auto found = query("WHERE t.id = :id", id);
    if (found.empty()) return std::nullopt;
    return found.front();
}

std::optional<Tenant> TenantRepository::findBySlug(const std::string& slug) {
    auto found = query("WHERE t.slug = :slug", slug);
    if (found.empty()) return std::nullopt;
    return found.front();
}

std::vector<Tenant> TenantRepository::listAll() { return query("ORDER BY t.name", ""); }

std::vector<Tenant> TenantRepository::listForUser(const std::string& user_id) {
    return query("JOIN memberships m ON m.tenant_id = t.id WHERE m.user_id = :u ORDER BY t.name", user_id);
}

void TenantRepository::insert(const Tenant& t) {
    int active = t.is_active ? 1 : 0;
    sql_ << "INSERT INTO tenants (id, name, slug, plan, max_widgets, max_agents, rate_limit_per_minute, "
            "is_active, created_at, updated_at) VALUES (:id, :name, :slug, :plan, :mw, :ma, :rl, :act, :c, :u)",
        soci::use(t.id), soci::use(t.name), soci::use(t.slug), soci::use(t.plan), soci::use(t.max_widgets),
        soci::use(t.max_agents), soci::use(t.rate_limit_per_minute), soci::use(active), soci::use(t.created_at),
        soci::use(t.updated_at);
}

void TenantRepository::update(const Tenant& t) {
    int active = t.is_active ? 1 : 0;
    sql_ << "UPDATE tenants SET name = :name, slug = :slug, plan = :plan, max_widgets = :mw, max_agents = :ma, "
            "rate_limit_per_minute = :rl, is_active = :act, updated_at = :u WHERE id = :id",
        soci::use(t.name), soci::use(t.slug), soci::use(t.plan), soci::use(t.max_widgets), soci::use(t.max_agents),
        soci::use(t.rate_limit_per_minute), soci::use(active), soci::use(t.updated_at), soci::use(t.id);
}

void TenantRepository::remove(const std::string& id) { sql_ << "DELETE FROM tenants WHERE id = :id", soci::use(id); }

int TenantRepository::countWidgets(const std::string& tenant_id) {
    int n = 0;
    sql_ << "SELECT COUNT(*) FROM widgets WHERE tenant_id = :t", soci::use(tenant_id), soci::into(n);
    return n;
}

int TenantRepository::countAgents(const std::string& tenant_id) {
    int n = 0;
    sql_ << "SELECT COUNT(*) FROM memberships WHERE tenant_id = :t AND role = 'agent'", soci::use(tenant_id),
        soci::into(n);
    return n;
}

}  // namespace parley::core

// SQL for audit_log.
#include "store/audit_repository.hpp"

#include "store/row.hpp"

namespace parley::core {

JsonObject AuditEntry::toJson() const {
    JsonObject o = jsonObject();
    o->set("id", id);
    o->set("tenant_id", tenant_id.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(tenant_id));
    o->set("actor_user_id", actor_user_id.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(actor_user_id));
    o->set("action", action);
    o->set("resource_type", resource_type);
    o->set("resource_id", resource_id);
    o->set("before", before ? Poco::Dynamic::Var(before) : Poco::Dynamic::Var());
    o->set("after", after ? Poco::Dynamic::Var(after) : Poco::Dynamic::Var());
    o->set("ip_hash", ip_hash);
    o->set("created_at", static_cast<Poco::Int64>(created_at));
    return o;
}

void AuditRepository::append(const AuditEntry& e) {
    std::string before = e.before ? toJson(e.before) : "", after = e.after ? toJson(e.after) : "";
    soci::indicator t_ind = e.tenant_id.empty() ? soci::i_null : soci::i_ok;
    soci::indicator a_ind = e.actor_user_id.empty() ? soci::i_null : soci::i_ok;
    soci::indicator b_ind = e.before ? soci::i_ok : soci::i_null;
    soci::indicator af_ind = e.after ? soci::i_ok : soci::i_null;
    sql_ << "INSERT INTO audit_log (id, tenant_id, actor_user_id, action, resource_type, resource_id, before_state, "
            "after_state, ip_hash, created_at) VALUES (:id, :t, :a, :ac, :rt, :ri, :b, :af, :ip, :c)",
        soci::use(e.id), soci::use(e.tenant_id, t_ind), soci::use(e.actor_user_id, a_ind), soci::use(e.action),
        soci::use(e.resource_type), soci::use(e.resource_id), soci::use(before, b_ind), soci::use(after, af_ind),
        soci::use(e.ip_hash), soci::use(e.created_at);
}

std::vector<AuditEntry> AuditRepository::list(const std::string& tenant_id, long long before_ms, int limit) {
    if (before_ms <= 0) before_ms = 1LL << 62;
    std::vector<AuditEntry> out;
    soci::rowset<soci::row> rows =
        (sql_.prepare << "SELECT id, tenant_id, actor_user_id, action, resource_type, resource_id, before_state, "
                         "after_state, ip_hash, created_at FROM audit_log WHERE tenant_id = :t AND created_at < :b "
                         "ORDER BY created_at DESC LIMIT " + std::to_string(limit),
         soci::use(tenant_id), soci::use(before_ms));
    for (const auto& r : rows) {
        AuditEntry e;
        e.id = rowText(r, 0);
        e.tenant_id = rowText(r, 1);
        e.actor_user_id = rowText(r, 2);
        e.action = rowText(r, 3);
        e.resource_type = rowText(r, 4);
        e.resource_id = rowText(r, 5);
        if (!rowIsNull(r, 6)) e.before = storedObject(rowText(r, 6));
        if (!rowIsNull(r, 7)) e.after = storedObject(rowText(r, 7));
        e.ip_hash = rowText(r, 8);
        e.created_at = rowInt(r, 9);
        out.push_back(std::move(e));
    }
    return out;
}

}  // namespace parley::core

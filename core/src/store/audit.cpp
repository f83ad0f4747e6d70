// The actor and hashed IP come from the request, so handlers only say what changed.
#include "store/audit.hpp"

#include "http/request_context.hpp"
#include "store/audit_repository.hpp"
#include "store/database.hpp"

namespace parley::core {

void audit(RequestContext& ctx, soci::session& sql, const std::string& tenant_id, const std::string& action,
           const std::string& resource_type, const std::string& resource_id, const JsonObject& before,
           const JsonObject& after) {
    AuditEntry e;
    e.id = newUuid();
    e.tenant_id = tenant_id;
    e.actor_user_id = ctx.principal_ ? ctx.principal().user_id : "";
    e.action = action;
    e.resource_type = resource_type;
    e.resource_id = resource_id;
    e.before = before;
    e.after = after;
    e.ip_hash = ctx.ipHash();
    e.created_at = nowMs();
    AuditRepository(sql).append(e);
}

}  // namespace parley::core

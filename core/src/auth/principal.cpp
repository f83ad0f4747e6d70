// Role checks for tenant-scoped routes, in one place so every route answers 403/404 the same way.
#include "auth/principal.hpp"

#include "app/errors.hpp"

namespace parley::core {

const char* roleName(Role role) {
    switch (role) {
        case Role::client_admin: return "client_admin";
        case Role::client_user: return "client_user";
        case Role::agent: return "agent";
    }
    return "unknown";
}

std::optional<Role> parseRole(const std::string& name) {
    if (name == "client_admin") return Role::client_admin;
    if (name == "client_user") return Role::client_user;
    if (name == "agent") return Role::agent;
    return std::nullopt;
}

std::optional<Role> Principal::roleIn(const std::string& tenant_id) const {
    auto it = roles.find(tenant_id);
    if (it == roles.end()) return std::nullopt;
    return it->second;
}

void requireAccess(const Principal& who, const std::string& tenant_id, Access access) {
    if (who.is_super_admin) return;
    auto role = who.roleIn(tenant_id);
    if (!role) throw notFound("tenant '" + tenant_id + "' not found");
    switch (access) {
        case Access::read:
            return;
        case Access::read_people:
            if (*role == Role::agent)
                throw forbidden("role 'agent' cannot read this; it needs client_admin or client_user");
            return;
        case Access::manage:
            if (*role != Role::client_admin)
                throw forbidden(std::string("role '") + roleName(*role) +
                                "' is read-only here; this change needs client_admin");
            return;
    }
}

void requireSuperAdmin(const Principal& who) {
    if (!who.is_super_admin) throw forbidden("only a super_admin can do this");
}

}  // namespace parley::core

// Who is calling: the signed-in user, their global flag and their role in each tenant.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace parley::core {

// Roles inside one tenant. super_admin is global, held as a flag on the user, not as a membership.
enum class Role { client_admin, client_user, agent };

const char* roleName(Role role);
std::optional<Role> parseRole(const std::string& name);

// What a route needs from the caller in the tenant it addresses.
enum class Access {
    read,         // any member: client_admin, client_user, agent
    read_people,  // reading users and the audit log: client_admin, client_user
    manage,       // changing the tenant's settings, widgets and users: client_admin
};

struct Principal {
    std::string user_id;
    std::string email;
    std::string name;
    bool is_super_admin = false;
    bool must_change_password = false;
    std::string session_id;
    std::string csrf_token;
    bool via_cookie = false;  // cookie sessions need a CSRF token on writes; bearer tokens do not
    std::map<std::string, Role> roles;  // tenant id -> role

    std::optional<Role> roleIn(const std::string& tenant_id) const;
};

// Checks the caller may do `access` in `tenant_id`. Not a member: ApiError 404 (a foreign tenant's
// existence is not revealed). A member whose role is too weak: ApiError 403 naming the role needed.
void requireAccess(const Principal& who, const std::string& tenant_id, Access access);

// Only super admins pass; others get 403.
void requireSuperAdmin(const Principal& who);

}  // namespace parley::core

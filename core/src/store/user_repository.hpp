// Users, their memberships in tenants, and login lockout counters.
#pragma once

#include "auth/principal.hpp"
#include "http/json.hpp"

#include <soci/soci.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace parley::core {

struct User {
    std::string id;
    std::string email;  // stored lower-case
    std::string name;
    std::string password_hash;
    bool is_super_admin = false;
    bool must_change_password = false;
    int failed_logins = 0;
    long long locked_until = 0;
    long long created_at = 0;
    long long updated_at = 0;

    JsonObject toJson() const;  // never includes the hash
};

struct Member {
    User user;
    Role role;
    JsonObject toJson() const;
};

class UserRepository {
public:
    explicit UserRepository(soci::session& sql) : sql_(sql) {}

    std::optional<User> find(const std::string& id);
    std::optional<User> findByEmail(const std::string& email);
    void insert(const User& user);
    void updateProfile(const User& user);
    void setPassword(const std::string& user_id, const std::string& hash, bool must_change);
    // Records a failed login; locks the account until `lock_until` when failures reach `max_failures`.
    void recordFailedLogin(const std::string& user_id, int max_failures, long long lock_until);
    void clearFailedLogins(const std::string& user_id);
    void remove(const std::string& id);

    std::map<std::string, Role> rolesOf(const std::string& user_id);
    std::vector<Member> members(const std::string& tenant_id);
    std::optional<Member> member(const std::string& tenant_id, const std::string& user_id);
    void addMembership(const std::string& tenant_id, const std::string& user_id, Role role);
    void setRole(const std::string& tenant_id, const std::string& user_id, Role role);
    void removeMembership(const std::string& tenant_id, const std::string& user_id);

private:
    soci::session& sql_;
};

// Lower-cases and trims an email; throws ApiError 422 when it does not look like one.
std::string normalizeEmail(const std::string& field, const std::string& email);

}  // namespace parley::core

// SQL for users and memberships.
#include "store/user_repository.hpp"

#include "app/errors.hpp"
#include "store/database.hpp"
#include "store/row.hpp"

#include <Poco/String.h>

namespace parley::core {

JsonObject User::toJson() const {
    JsonObject o = jsonObject();
    o->set("id", id);
    o->set("email", email);
    o->set("name", name);
    o->set("is_super_admin", is_super_admin);
    o->set("must_change_password", must_change_password);
    o->set("created_at", static_cast<Poco::Int64>(created_at));
    return o;
}

JsonObject Member::toJson() const {
    JsonObject o = user.toJson();
    o->set("role", roleName(role));
    return o;
}

namespace {
const char* kUserColumns =
    "SELECT u.id, u.email, u.name, u.password_hash, u.is_super_admin, u.must_change_password, u.failed_logins, "
    "u.locked_until, u.created_at, u.updated_at";

User userFromRow(const soci::row& r) {
    User u;
    u.id = rowText(r, 0);
    u.email = rowText(r, 1);
    u.name = rowText(r, 2);
    u.password_hash = rowText(r, 3);
    u.is_super_admin = rowInt(r, 4) != 0;
    u.must_change_password = rowInt(r, 5) != 0;
    u.failed_logins = static_cast<int>(rowInt(r, 6));
    u.locked_until = rowInt(r, 7);
    u.created_at = rowInt(r, 8);
    u.updated_at = rowInt(r, 9);
    return u;
}
}  // namespace

std::string normalizeEmail(const std::string& field, const std::string& email) {
    std::string e = Poco::toLower(Poco::trim(email));
    auto at = e.find('@');
    if (at == std::string::npos || at == 0 || at == e.size() - 1 || e.find(' ') != std::string::npos ||
        e.size() > 254)
        throw invalidField(field, "must be an email address like name@example.com");
    return e;
}

std::optional<User> UserRepository::find(const std::string& id) {
    return queryOne(sql_, std::string(kUserColumns) + " FROM users u WHERE u.id = :id", userFromRow, id);
}

std::optional<User> UserRepository::findByEmail(const std::string& email) {
    return queryOne(sql_, std::string(kUserColumns) + " FROM users u WHERE u.email = :e", userFromRow, email);
}

void UserRepository::insert(const User& u) {
    int super = u.is_super_admin ? 1 : 0, must = u.must_change_password ? 1 : 0;
    sql_ << "INSERT INTO users (id, email, name, password_hash, is_super_admin, must_change_password, "
            "failed_logins, locked_until, created_at, updated_at) "
            "VALUES (:id, :e, :n, :h, :s, :m, 0, 0, :c, :u)",
        soci::use(u.id), soci::use(u.email), soci::use(u.name), soci::use(u.password_hash), soci::use(super),
        soci::use(must), soci::use(u.created_at), soci::use(u.updated_at);
}

void UserRepository::updateProfile(const User& u) {
    sql_ << "UPDATE users SET email = :e, name = :n, updated_at = :u WHERE id = :id", soci::use(u.email),
        soci::use(u.name), soci::use(u.updated_at), soci::use(u.id);
}

void UserRepository::setPassword(const std::string& user_id, const std::string& hash, bool must_change) {
    int must = must_change ? 1 : 0;
    long long now = nowMs();
    sql_ << "UPDATE users SET password_hash = :h, must_change_password = :m, failed_logins = 0, locked_until = 0, "
            "updated_at = :u WHERE id = :id",
        soci::use(hash), soci::use(must), soci::use(now), soci::use(user_id);
}

void UserRepository::recordFailedLogin(const std::string& user_id, int max_failures, long long lock_until) {
    if (max_failures <= 0) return;  // lockout disabled
    sql_ << "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = :id", soci::use(user_id);
    sql_ << "UPDATE users SET locked_until = :l, failed_logins = 0 WHERE id = :id AND failed_logins >= :m",
        soci::use(lock_until), soci::use(user_id), soci::use(max_failures);
}

void UserRepository::clearFailedLogins(const std::string& user_id) {
    sql_ << "UPDATE users SET failed_logins = 0, locked_until = 0 WHERE id = :id", soci::use(user_id);
}

void UserRepository::remove(const std::string& id) { sql_ << "DELETE FROM users WHERE id = :id", soci::use(id); }

std::map<std::string, Role> UserRepository::rolesOf(const std::string& user_id) {
    std::map<std::string, Role> roles;
    soci::rowset<soci::row> rows =
        (sql_.prepare << "SELECT tenant_id, role FROM memberships WHERE user_id = :u", soci::use(user_id));
    for (const auto& r : rows)
        if (auto role = parseRole(rowText(r, 1))) roles[rowText(r, 0)] = *role;
    return roles;
}

std::vector<Member> UserRepository::members(const std::string& tenant_id) {
    std::vector<Member> out;
    soci::rowset<soci::row> rows =
        (sql_.prepare << std::string(kUserColumns) +
                             ", m.role FROM users u JOIN memberships m ON m.user_id = u.id "
                             "WHERE m.tenant_id = :t ORDER BY u.email",
         soci::use(tenant_id));
    for (const auto& r : rows) out.push_back({userFromRow(r), parseRole(rowText(r, 10)).value_or(Role::client_user)});
    return out;
}

std::optional<Member> UserRepository::member(const std::string& tenant_id, const std::string& user_id) {
    soci::rowset<soci::row> rows =
        (sql_.prepare << std::string(kUserColumns) +
                             ", m.role FROM users u JOIN memberships m ON m.user_id = u.id "
                             "WHERE m.tenant_id = :t AND u.id = :u",
         soci::use(tenant_id), soci::use(user_id));
    for (const auto& r : rows) return Member{userFromRow(r), parseRole(rowText(r, 10)).value_or(Role::client_user)};
    return std::nullopt;
}

void UserRepository::addMembership(const std::string& tenant_id, const std::string& user_id, Role role) {
    std::string name = roleName(role);
    long long now = nowMs();
    sql_ << "INSERT INTO memberships (tenant_id, user_id, role, created_at) VALUES (:t, :u, :r, :c)",
        soci::use(tenant_id), soci::use(user_id), soci::use(name), soci::use(now);
}

void UserRepository::setRole(const std::string& tenant_id, const std::string& user_id, Role role) {
    std::string name = roleName(role);
    sql_ << "UPDATE memberships SET role = :r WHERE tenant_id = :t AND user_id = :u", soci::use(name),
        soci::use(tenant_id), soci::use(user_id);
}

void UserRepository::removeMembership(const std::string& tenant_id, const std::string& user_id) {
    sql_ << "DELETE FROM memberships WHERE tenant_id = :t AND user_id = :u", soci::use(tenant_id),
        soci::use(user_id);
}

}  // namespace parley::core

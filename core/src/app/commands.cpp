// Operator commands run against the same App as the server, so they share its config and database.
#include "app/commands.hpp"

#include "app/errors.hpp"
#include "auth/password.hpp"
#include "auth/secret_box.hpp"
#include "auth/crypto.hpp"
#include "plugin/plugin_host.hpp"
#include "store/database.hpp"
#include "store/migrator.hpp"
#include "store/row.hpp"
#include "store/tenant_repository.hpp"
#include "store/user_repository.hpp"
#include "store/widget_repository.hpp"
#include "widgets/widget_config.hpp"

namespace parley::core {
namespace {

PasswordPolicy policyOf(const App& app) {
    return {app.config.security.argon2_memory_kib, app.config.security.argon2_iterations,
            app.config.security.min_password_length};
}

}  // namespace

int runMigrations(App& app, std::ostream& out) {
    auto migrations = selectMigrations(coreMigrationFiles(), app.db->backend());
    int applied = applyMigrations(*app.db, "core", migrations, [&](const std::string& line) { out << line << "\n"; });
    out << "core schema is at version " << (migrations.empty() ? 0 : migrations.back().version) << " ("
        << applied << " migration" << (applied == 1 ? "" : "s") << " applied, " << app.db->backendName() << ")\n";
    return applied;
}

void createAdmin(App& app, const std::string& email_in, const std::string& name, const std::string& password,
                 std::ostream& out) {
    std::string email = normalizeEmail("--email", email_in);
    PasswordPolicy policy = policyOf(app);
    std::string chosen = password.empty() ? generatePassword() : password;
    if (!password.empty()) checkPasswordStrength("--password", password, policy);
    std::string hash = hashPassword(chosen, policy);
    bool created = app.db->write([&](soci::session& sql) {
        UserRepository users(sql);
        if (auto existing = users.findByEmail(email)) {
            sql << "UPDATE users SET is_super_admin = 1 WHERE id = :id", soci::use(existing->id);
            if (!password.empty()) users.setPassword(existing->id, hash, false);
            return false;
        }
        User u;
        u.id = newUuid();
        u.email = email;
        u.name = name.empty() ? email.substr(0, email.find('@')) : name;
        u.password_hash = hash;
        u.is_super_admin = true;
        u.must_change_password = password.empty();
        u.created_at = u.updated_at = nowMs();
        users.insert(u);
        return true;
    });
    if (created) {
        out << "created super admin " << email << "\n";
        if (password.empty()) out << "one-time password: " << chosen << "  (change it at first sign-in)\n";
    } else {
        out << "user " << email << " exists; made super admin" << (password.empty() ? "" : " and set the password")
            << "\n";
    }
}

void resetPassword(App& app, const std::string& email_in, std::ostream& out) {
    std::string email = normalizeEmail("--email", email_in);
    std::string chosen = generatePassword();
    std::string hash = hashPassword(chosen, policyOf(app));
    app.db->write([&](soci::session& sql) {
        UserRepository users(sql);
        auto user = users.findByEmail(email);
        if (!user) throw ConfigError("no user has the email " + email);
        users.setPassword(user->id, hash, true);
        sql << "DELETE FROM sessions WHERE user_id = :u", soci::use(user->id);
    });
    out << "one-time password for " << email << ": " << chosen << "  (change it at first sign-in)\n";
}

void seedDemo(App& app, std::ostream& out) {
    const std::string email = "admin@demo.local";
    std::string password = generatePassword();
    std::string hash = hashPassword(password, policyOf(app));
    std::string widget_secret = randomToken(32, "ws_");
    bool created = app.db->write([&](soci::session& sql) {
        TenantRepository tenants(sql);
        if (tenants.findBySlug("demo")) return false;
        const Plan* plan = findPlan("business");
        Tenant t{newUuid(), "Demo Company", "demo", plan->name, plan->max_widgets, plan->max_agents,
                 plan->rate_limit_per_minute, true, nowMs(), nowMs()};
        tenants.insert(t);
        UserRepository users(sql);
        auto user = users.findByEmail(email);
        if (!user) {
            User u;
            u.id = newUuid();
            u.email = email;
            u.name = "Demo Admin";
            u.password_hash = hash;
            u.is_super_admin = true;
            u.must_change_password = true;
            u.created_at = u.updated_at = nowMs();
            users.insert(u);
            user = u;
        } else {
            users.setPassword(user->id, hash, true);
        }
        users.addMembership(t.id, user->id, Role::client_admin);
        Widget w;
        w.id = newUuid();
        w.tenant_id = t.id;
        w.name = "Demo site";
        w.site_id = "demo";
        w.public_key = randomToken(18, "pk_");
        w.secret_ciphertext = app.secrets->seal(widget_secret, "widget:" + w.id);
        w.secret_hint = maskSecret(widget_secret);
        w.config = defaultWidgetConfig();
        w.allowed_domains = {"localhost", "127.0.0.1"};
        w.created_by = user->id;
        w.created_at = w.updated_at = nowMs();
        WidgetRepository(sql).insert(w);
        out << "demo widget key: " << w.public_key << " (site id 'demo')\n";
        return true;
    });
    if (created) {
        out << "demo admin: " << email << "\n"
            << "one-time password: " << password << "  (you will be asked to change it at first sign-in)\n";
    } else {
        out << "demo already seeded; admin is " << email
            << " (new one-time password: parleyd reset-password --email=" << email << ")\n";
    }
}

void printPluginStatus(App& app, std::ostream& out) {
    auto list = app.plugins->status();
    if (list.empty()) {
        out << "no plugins enabled (plugins.enabled in the config)\n";
        return;
    }
    for (const auto& s : list) {
        out << s.id << " " << (s.version.empty() ? "?" : s.version) << "  " << s.state;
        if (s.state == "loaded") out << "  (" << s.hooks << " hooks, " << s.routes << " routes)";
        else out << ": " << s.reason;
        out << "\n";
    }
}

void rewrapSecrets(App& app, std::ostream& out) {
    int rewrapped = 0, current = 0;
    app.db->write([&](soci::session& sql) {
        std::vector<std::pair<std::string, std::string>> rows;
        soci::rowset<soci::row> rs = (sql.prepare << "SELECT id, secret_ciphertext FROM widgets");
        for (const auto& r : rs) rows.emplace_back(rowText(r, 0), rowText(r, 1));
        for (const auto& [id, sealed] : rows) {
            if (app.secrets->isCurrent(sealed)) {
                current++;
                continue;
            }
            std::string fresh = app.secrets->seal(app.secrets->open(sealed, "widget:" + id), "widget:" + id);
            sql << "UPDATE widgets SET secret_ciphertext = :s WHERE id = :id", soci::use(fresh), soci::use(id);
            rewrapped++;
        }
    });
    out << "widget secrets: " << rewrapped << " re-sealed with the current master key, " << current
        << " already current\n";
    if (!app.config.security.previous_master_keys.empty())
        out << "every secret now uses the current key; you may remove security.previous_master_keys\n";
}

}  // namespace parley::core

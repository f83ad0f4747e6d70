// Session tokens are random and stored only as SHA-256 hashes; lockout counters live in the users table.
#include "auth/auth_service.hpp"

#include "app/app.hpp"
#include "app/errors.hpp"
#include "auth/crypto.hpp"
#include "auth/password.hpp"
#include "store/database.hpp"
#include "store/session_repository.hpp"
#include "store/user_repository.hpp"

#include <Poco/Net/NameValueCollection.h>

#include <mutex>
#include <unordered_map>

namespace parley::core {
namespace {

PasswordPolicy policyOf(const App& app) {
    return {app.config.security.argon2_memory_kib, app.config.security.argon2_iterations,
            app.config.security.min_password_length};
}

std::string tokenFrom(const RequestContext& ctx, bool& via_cookie) {
    via_cookie = false;
    const auto& req = ctx.request;
    if (req.has("Authorization")) {
        std::string auth = req.get("Authorization");
        if (Poco::icompare(auth.substr(0, 7), "Bearer ") == 0) return Poco::trim(auth.substr(7));
        throw unauthorized("Authorization header must be 'Bearer <token>'");
    }
    Poco::Net::NameValueCollection cookies;
    req.getCookies(cookies);
    if (cookies.has(kSessionCookie)) {
        via_cookie = true;
        return cookies.get(kSessionCookie);
    }
    return "";
}

// Failed sign-ins for emails that have no account, counted like real accounts' so that a lockout
// does not reveal which emails exist. In memory: a restart forgets them, as it should.
class UnknownEmailThrottle {
public:
    long long lockedUntil(const std::string& email, long long now) {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(email);
        return it != entries_.end() && it->second.locked_until > now ? it->second.locked_until : 0;
    }
    void fail(const std::string& email, int max_failures, long long lock_until) {
        if (max_failures <= 0) return;
        std::lock_guard lock(mutex_);
        if (entries_.size() > 100'000) entries_.clear();
        Entry& e = entries_[email];
        if (++e.failures >= max_failures) {
            e.failures = 0;
            e.locked_until = lock_until;
        }
    }

private:
    struct Entry {
        int failures = 0;
        long long locked_until = 0;
    };
    std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
};

UnknownEmailThrottle& unknownEmails() {
    static UnknownEmailThrottle throttle;
    return throttle;
}

}  // namespace

void authenticate(RequestContext& ctx, bool allow_must_change) {
    bool via_cookie = false;
    std::string token = tokenFrom(ctx, via_cookie);
    if (token.empty()) throw unauthorized("sign in first: send the session cookie or 'Authorization: Bearer <token>'");
    App& app = ctx.app;
    long long now = nowMs();
    const long long idle_ms = app.config.security.session_idle_minutes * 60'000LL;
    Principal who = app.db->read([&](soci::session& sql) {
        SessionRepository sessions(sql);
        auto session = sessions.findByTokenHash(sha256Hex(token));
        if (!session) throw unauthorized("the session token is unknown or was signed out; sign in again");
        if (session->expires_at < now || session->last_seen_at + idle_ms < now) {
            sessions.remove(session->id);
            throw ApiError(401, "session_expired", "the session has expired; sign in again");
        }
        // Refresh last-seen at most once a minute, so reads stay reads.
        if (now - session->last_seen_at > 60'000) sessions.touch(session->id, now);
        UserRepository users(sql);
        auto user = users.find(session->user_id);
        if (!user) throw unauthorized("the user of this session no longer exists");
        Principal p;
        p.user_id = user->id;
        p.email = user->email;
        p.name = user->name;
        p.is_super_admin = user->is_super_admin;
        p.must_change_password = user->must_change_password;
        p.session_id = session->id;
        p.csrf_token = session->csrf_token;
        p.via_cookie = session->kind == "cookie" && via_cookie;
        p.roles = users.rolesOf(user->id);
        return p;
    });
    const std::string& method = ctx.request.getMethod();
    bool writes = method != "GET" && method != "HEAD" && method != "OPTIONS";
    if (who.via_cookie && writes) {
        std::string sent = ctx.request.get(kCsrfHeader, "");
        if (sent.empty() || !constantTimeEquals(sent, who.csrf_token))
            throw ApiError(403, "csrf_failed",
                           "missing or wrong X-CSRF-Token header: echo the csrf_token from sign-in on every write");
    }
    if (who.must_change_password && !allow_must_change)
        throw ApiError(403, "password_change_required",
                       "change your one-time password first: POST /api/v1/auth/password");
    ctx.principal_ = std::move(who);
}

LoginResult login(App& app, const std::string& email, const std::string& password, const std::string& kind,
                  const std::string& ip_hash, const std::string& user_agent) {
    const auto& sec = app.config.security;
    long long now = nowMs();
    auto user = app.db->read([&](soci::session& sql) { return UserRepository(sql).findByEmail(email); });
    long long locked_until = user ? user->locked_until : unknownEmails().lockedUntil(email, now);
    if (locked_until > now) {
        int wait = static_cast<int>((locked_until - now + 999) / 1000);
        throw tooManyRequests("login_locked",
                              "too many failed sign-ins for this account; it is locked for " + std::to_string(wait) +
                                  " more seconds",
                              wait);
    }
    // Hash even for an unknown email, so response time does not reveal which emails exist.
    static const std::string dummy = hashPassword("parley-timing-equaliser", policyOf(app));
    bool ok = verifyPassword(password, user ? user->password_hash : dummy) && user.has_value();
    if (!ok) {
        long long lock_until = now + sec.login_lockout_minutes * 60'000LL;
        if (user) {
            app.db->write([&](soci::session& sql) {
                UserRepository(sql).recordFailedLogin(user->id, sec.login_max_failures, lock_until);
            });
        } else {
            unknownEmails().fail(email, sec.login_max_failures, lock_until);
        }
        throw ApiError(401, "invalid_credentials", "email or password is wrong");
    }
    LoginResult result;
    result.token = randomToken(32, "ps_");
    result.csrf_token = randomToken(24);
    result.expires_at = now + sec.session_absolute_hours * 3'600'000LL;
    Session s{newUuid(), user->id, sha256Hex(result.token), result.csrf_token, kind, now, now, result.expires_at,
              ip_hash, user_agent.substr(0, 300)};
    app.db->write([&](soci::session& sql) {
        UserRepository users(sql);
        users.clearFailedLogins(user->id);
        SessionRepository(sql).insert(s);
        result.principal.roles = users.rolesOf(user->id);
    });
    result.principal.user_id = user->id;
    result.principal.email = user->email;
    result.principal.name = user->name;
    result.principal.is_super_admin = user->is_super_admin;
    result.principal.must_change_password = user->must_change_password;
    result.principal.session_id = s.id;
    result.principal.csrf_token = s.csrf_token;
    return result;
}

void logout(App& app, const Principal& who) {
    app.db->write([&](soci::session& sql) { SessionRepository(sql).remove(who.session_id); });
}

void changePassword(App& app, const Principal& who, const std::string& current, const std::string& next) {
    PasswordPolicy policy = policyOf(app);
    checkPasswordStrength("new_password", next, policy);
    auto user = app.db->read([&](soci::session& sql) { return UserRepository(sql).find(who.user_id); });
    if (!user || !verifyPassword(current, user->password_hash))
        throw invalidField("current_password", "is wrong");
    if (current == next) throw invalidField("new_password", "must differ from the current password");
    std::string hash = hashPassword(next, policy);
    app.db->write([&](soci::session& sql) {
        UserRepository(sql).setPassword(who.user_id, hash, false);
        SessionRepository(sql).removeOthers(who.user_id, who.session_id);
    });
}

}  // namespace parley::core

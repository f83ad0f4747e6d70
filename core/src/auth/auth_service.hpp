// Sign-in, sessions and the checks every signed-in route runs (session, expiry, CSRF, password change).
#pragma once

#include "auth/principal.hpp"
#include "http/request_context.hpp"

#include <string>

namespace parley::core {

inline constexpr const char* kSessionCookie = "parley_session";
inline constexpr const char* kCsrfCookie = "parley_csrf";
inline constexpr const char* kCsrfHeader = "X-CSRF-Token";

// Resolves the caller from `Authorization: Bearer <token>` or the session cookie and stores it in
// ctx.principal_. Throws 401 (no or unknown token: `unauthorized`; expired: `session_expired`), 403
// `csrf_failed` for a cookie session writing without the matching X-CSRF-Token header, and 403
// `password_change_required` while the user must change their password (unless `allow_must_change`).
void authenticate(RequestContext& ctx, bool allow_must_change);

struct LoginResult {
    std::string token;       // the session token (cookie value or bearer token); shown once
    std::string csrf_token;  // echo in X-CSRF-Token on writes (cookie sessions)
    Principal principal;
    long long expires_at = 0;
};

// Checks email and password; counts failures and locks the account after security.login_max_failures.
// Throws 401 `invalid_credentials` (same message for unknown email and wrong password) or 429 `login_locked`.
LoginResult login(App& app, const std::string& email, const std::string& password, const std::string& kind,
                  const std::string& ip_hash, const std::string& user_agent);

// Ends the caller's session.
void logout(App& app, const Principal& who);

// Verifies the current password, stores the new hash, ends the user's other sessions.
void changePassword(App& app, const Principal& who, const std::string& current, const std::string& next);

}  // namespace parley::core

// Login sessions: random tokens stored only as SHA-256 hashes, with CSRF tokens and expiry.
#pragma once

#include <soci/soci.h>

#include <optional>
#include <string>

namespace parley::core {

struct Session {
    std::string id;
    std::string user_id;
    std::string token_hash;
    std::string csrf_token;
    std::string kind;  // "cookie" or "bearer"
    long long created_at = 0;
    long long last_seen_at = 0;
    long long expires_at = 0;
    std::string ip_hash;
    std::string user_agent;
};

class SessionRepository {
public:
    explicit SessionRepository(soci::session& sql) : sql_(sql) {}

    void insert(const Session& session);
    std::optional<Session> findByTokenHash(const std::string& token_hash);
    void touch(const std::string& id, long long now);
    void remove(const std::string& id);
    // Ends every session of a user but `keep_id` (after a password change).
    void removeOthers(const std::string& user_id, const std::string& keep_id);
    int removeExpired(long long now);

private:
    soci::session& sql_;
};

}  // namespace parley::core

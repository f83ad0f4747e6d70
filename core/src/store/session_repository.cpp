// SQL for sessions.
#include "store/session_repository.hpp"

#include "store/row.hpp"

namespace parley::core {

void SessionRepository::insert(const Session& s) {
    sql_ << "INSERT INTO sessions (id, user_id, token_hash, csrf_token, kind, created_at, last_seen_at, expires_at, "
            "ip_hash, user_agent) VALUES (:id, :u, :t, :c, :k, :ca, :ls, :ex, :ip, :ua)",
        soci::use(s.id), soci::use(s.user_id), soci::use(s.token_hash), soci::use(s.csrf_token), soci::use(s.kind),
        soci::use(s.created_at), soci::use(s.last_seen_at), soci::use(s.expires_at), soci::use(s.ip_hash),
        soci::use(s.user_agent);
}

std::optional<Session> SessionRepository::findByTokenHash(const std::string& token_hash) {
    soci::rowset<soci::row> rows =
        (sql_.prepare << "SELECT id, user_id, token_hash, csrf_token, kind, created_at, last_seen_at, expires_at, "
                         "ip_hash, user_agent FROM sessions WHERE token_hash = :t",
         soci::use(token_hash));
    for (const auto& r : rows) {
        Session s;
        s.id = rowText(r, 0);
        s.user_id = rowText(r, 1);
        s.token_hash = rowText(r, 2);
        s.csrf_token = rowText(r, 3);
        s.kind = rowText(r, 4);
        s.created_at = rowInt(r, 5);
        s.last_seen_at = rowInt(r, 6);
        s.expires_at = rowInt(r, 7);
        s.ip_hash = rowText(r, 8);
        s.user_agent = rowText(r, 9);
        return s;
    }
    return std::nullopt;
}

void SessionRepository::touch(const std::string& id, long long now) {
    sql_ << "UPDATE sessions SET last_seen_at = :n WHERE id = :id", soci::use(now), soci::use(id);
}

void SessionRepository::remove(const std::string& id) { sql_ << "DELETE FROM sessions WHERE id = :id", soci::use(id); }

void SessionRepository::removeOthers(const std::string& user_id, const std::string& keep_id) {
    sql_ << "DELETE FROM sessions WHERE user_id = :u AND id <> :k", soci::use(user_id), soci::use(keep_id);
}

int SessionRepository::removeExpired(long long now) {
    soci::statement st = (sql_.prepare << "DELETE FROM sessions WHERE expires_at < :n", soci::use(now));
    st.execute(true);
    return static_cast<int>(st.get_affected_rows());
}

}  // namespace parley::core

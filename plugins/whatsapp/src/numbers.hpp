// The WhatsApp numbers tenants connect: stored with sealed secrets, cached opened in memory for the webhook's
// hot path (reloaded every few seconds, so other nodes' changes arrive), health kept per number.
#pragma once

#include "db.hpp"

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace parley::whatsapp {

struct Number {
    std::string phone_number_id, tenant_id, widget_id, business_account_id, display_number, graph_version;
    std::string verify_token, app_secret, access_token;  // opened
    Object::Ptr window_template;                          // {"name","language","parameters":[...]} or empty
    std::string token_state;                              // "ok" or "expired"
};

class Numbers {
public:
    explicit Numbers(Db db) : db_(db) {}

    std::optional<Number> find(const std::string& phone_number_id);
    std::vector<Number> all();
    // Forgets the cache (after an admin change on this node).
    void invalidate();

    // Error 190: the number's sends stop until its token is replaced.
    void markTokenExpired(const std::string& phone_number_id, const std::string& error_json);
    void touch(const std::string& phone_number_id, const char* column);  // last_webhook_at / last_send_at

    std::string seal(const std::string& value, const std::string& phone_number_id, const std::string& field) const {
        return db_.plugin().seal(value, "number:" + phone_number_id + ":" + field);
    }

private:
    void reloadIfStale();
    Db db_;
    std::mutex mutex_;
    std::map<std::string, Number> cache_;
    long long loaded_at_ = 0;
};

long long nowMs();
std::string newUuid();

}  // namespace parley::whatsapp

// Numbers: the cache and the health columns.
#include "numbers.hpp"

#include <Poco/UUIDGenerator.h>

#include <chrono>

namespace parley::whatsapp {

long long nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string newUuid() { return Poco::UUIDGenerator::defaultGenerator().createRandom().toString(); }

void Numbers::reloadIfStale() {
    long long now = nowMs();
    if (loaded_at_ && now - loaded_at_ < 2000) return;
    std::map<std::string, Number> fresh;
    Array::Ptr rows = db_.rows("SELECT * FROM whatsapp_numbers");
    for (size_t i = 0; i < rows->size(); ++i) {
        Object::Ptr r = rows->getObject(i);
        Number n;
        n.phone_number_id = col(r, "phone_number_id");
        n.tenant_id = col(r, "tenant_id");
        n.widget_id = col(r, "widget_id");
        n.business_account_id = col(r, "business_account_id");
        n.display_number = col(r, "display_number");
        n.graph_version = col(r, "graph_version");
        n.token_state = col(r, "token_state");
        auto open = [&](const char* field) {
            return db_.plugin().open(col(r, std::string(field) + "_sealed"), "number:" + n.phone_number_id + ":" + field);
        };
        try {
            n.verify_token = open("verify_token");
            n.app_secret = open("app_secret");
            n.access_token = open("access_token");
        } catch (const std::exception& e) {
            db_.plugin().error("number " + n.phone_number_id + ": its secrets do not open (" + e.what() + "); skipped");
            continue;
        }
        std::string tpl = col(r, "window_template");
        n.window_template = tpl.empty() ? newObject() : parseObject(tpl);
        fresh[n.phone_number_id] = n;
    }
    cache_.swap(fresh);
    loaded_at_ = now;
}

std::optional<Number> Numbers::find(const std::string& id) {
    std::lock_guard lock(mutex_);
    reloadIfStale();
    auto it = cache_.find(id);
    if (it == cache_.end()) return std::nullopt;
    return it->second;
}

std::vector<Number> Numbers::all() {
    std::lock_guard lock(mutex_);
    reloadIfStale();
    std::vector<Number> out;
    for (const auto& [id, n] : cache_) out.push_back(n);
    return out;
}

void Numbers::invalidate() {
    std::lock_guard lock(mutex_);
    loaded_at_ = 0;
}

void Numbers::markTokenExpired(const std::string& id, const std::string& error_json) {
    db_.exec("UPDATE whatsapp_numbers SET token_state = 'expired', token_error = :1, updated_at = :2 WHERE phone_number_id = :3",
             error_json, nowMs(), id);
    db_.plugin().error("number " + id + ": the access token was refused (error 190); its sends are held until it is replaced");
    db_.plugin().count("token_expired");
    invalidate();
}

void Numbers::touch(const std::string& id, const char* column) {
    db_.exec(std::string("UPDATE whatsapp_numbers SET ") + column + " = :1 WHERE phone_number_id = :2", nowMs(), id);
}

}  // namespace parley::whatsapp

// SQL for kv_store (an upsert both SQLite and PostgreSQL understand) and the in-memory store.
#include "store/kv_repository.hpp"

#include <stdexcept>

#include "store/database.hpp"

namespace parley::core {

void checkKvSizes(const std::string& key, const std::string& value_json) {
    if (key.empty()) throw std::length_error("kv key must not be empty");
    if (key.size() > kKvMaxKeyBytes)
        throw std::length_error("kv key is " + std::to_string(key.size()) + " bytes long; the limit is " +
                                std::to_string(kKvMaxKeyBytes));
    if (value_json.size() > kKvMaxValueBytes)
        throw std::length_error("kv value is " + std::to_string(value_json.size()) +
                                " bytes as JSON; the limit is " + std::to_string(kKvMaxValueBytes));
}

std::optional<std::string> KvRepository::get(const std::string& owner, const std::string& key) {
    std::string value;
    soci::indicator ind = soci::i_null;
    sql_ << "SELECT value FROM kv_store WHERE owner = :o AND key = :k", soci::use(owner), soci::use(key),
        soci::into(value, ind);
    if (!sql_.got_data() || ind != soci::i_ok) return std::nullopt;
    return value;
}

void KvRepository::set(const std::string& owner, const std::string& key, const std::string& value_json,
                       long long now_ms) {
    sql_ << "INSERT INTO kv_store (owner, key, value, updated_at) VALUES (:o, :k, :v, :t) "
            "ON CONFLICT (owner, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        soci::use(owner), soci::use(key), soci::use(value_json), soci::use(now_ms);
}

void KvRepository::remove(const std::string& owner, const std::string& key) {
    sql_ << "DELETE FROM kv_store WHERE owner = :o AND key = :k", soci::use(owner), soci::use(key);
}

std::optional<std::string> DatabaseKvStore::get(const std::string& owner, const std::string& key) {
    return db_.read([&](soci::session& sql) { return KvRepository(sql).get(owner, key); });
}

void DatabaseKvStore::set(const std::string& owner, const std::string& key, const std::string& value_json) {
    checkKvSizes(key, value_json);
    long long now = nowMs();
    db_.write([&](soci::session& sql) { KvRepository(sql).set(owner, key, value_json, now); });
}

void DatabaseKvStore::remove(const std::string& owner, const std::string& key) {
    db_.write([&](soci::session& sql) { KvRepository(sql).remove(owner, key); });
}

std::optional<std::string> MemoryKvStore::get(const std::string& owner, const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = values_.find({owner, key});
    if (it == values_.end()) return std::nullopt;
    return it->second;
}

void MemoryKvStore::set(const std::string& owner, const std::string& key, const std::string& value_json) {
    checkKvSizes(key, value_json);
    std::lock_guard lock(mutex_);
    values_[{owner, key}] = value_json;
}

void MemoryKvStore::remove(const std::string& owner, const std::string& key) {
    std::lock_guard lock(mutex_);
    values_.erase({owner, key});
}

}  // namespace parley::core

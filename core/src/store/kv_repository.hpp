// Key-value pairs per owner (a Lua file, later a plugin): the KvStore interface, its table and an in-memory
// twin.
#pragma once

#include <soci/soci.h>

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace parley::core {

class Database;

constexpr size_t kKvMaxKeyBytes = 200;
constexpr size_t kKvMaxValueBytes = 64 * 1024;

// Throws std::length_error naming the limit when a key is empty or too long, or a value too large.
void checkKvSizes(const std::string& key, const std::string& value_json);

// Where parley.kv keeps its values. Values are JSON text. Implementations are safe to call from any thread.
class KvStore {
public:
    virtual ~KvStore() = default;
    // The JSON text stored under (owner, key), or nullopt when there is none.
    virtual std::optional<std::string> get(const std::string& owner, const std::string& key) = 0;
    // Stores or replaces the value; throws std::length_error above the size caps.
    virtual void set(const std::string& owner, const std::string& key, const std::string& value_json) = 0;
    // Removes the key; removing a missing key is not an error.
    virtual void remove(const std::string& owner, const std::string& key) = 0;
};

// SQL on kv_store, inside the caller's session (and transaction, if any).
class KvRepository {
public:
    explicit KvRepository(soci::session& sql) : sql_(sql) {}
    std::optional<std::string> get(const std::string& owner, const std::string& key);
    void set(const std::string& owner, const std::string& key, const std::string& value_json,
             long long now_ms);
    void remove(const std::string& owner, const std::string& key);

private:
    soci::session& sql_;
};

// The server's KvStore: one short transaction per call on the shared pool.
class DatabaseKvStore : public KvStore {
public:
    explicit DatabaseKvStore(Database& db) : db_(db) {}
    std::optional<std::string> get(const std::string& owner, const std::string& key) override;
    void set(const std::string& owner, const std::string& key, const std::string& value_json) override;
    void remove(const std::string& owner, const std::string& key) override;

private:
    Database& db_;
};

// A KvStore in memory, for `parleyd script test` and unit tests: no database needed.
class MemoryKvStore : public KvStore {
public:
    std::optional<std::string> get(const std::string& owner, const std::string& key) override;
    void set(const std::string& owner, const std::string& key, const std::string& value_json) override;
    void remove(const std::string& owner, const std::string& key) override;

private:
    std::mutex mutex_;
    std::map<std::pair<std::string, std::string>, std::string> values_;
};

}  // namespace parley::core

// The outbox dispatcher tests' fixture: a real database with the core schema, events committed like the core
// commits them, and subscribers that record what they were given.
#pragma once

#include "pipeline/outbox_dispatcher.hpp"
#include "store/conversation_repository.hpp"
#include "store/database.hpp"
#include "store/migrator.hpp"

#include <parley/plugin.h>

#include <Poco/File.h>
#include <Poco/TemporaryFile.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace parley::core::testing {

// A dispatcher's database: SQLite in a temporary directory, the core's migrations, and a `seen` table that
// subscribers write to inside the delivery transaction (so a rolled-back delivery leaves no trace there).

struct Outbox {
    std::string dir = Poco::TemporaryFile::tempName();
    std::unique_ptr<Database> db;
    OutboxOptions options;
    Outbox() {
        Poco::File(dir).createDirectories();
        DatabaseConfig cfg;
        cfg.url = "sqlite:" + dir + "/outbox.db";
        cfg.pool_size = 4;
        db = std::make_unique<Database>(cfg);
        applyMigrations(*db, "core", selectMigrations(coreMigrationFiles(), db->backend()));
        db->write([](soci::session& sql) { sql << "CREATE TABLE seen (subscription TEXT, event_id TEXT, name TEXT)"; });
        options.retry_base_ms = 1000;
        options.retry_max_ms = 8000;
    }
    ~Outbox() { Poco::File(dir).remove(true); }

    // Commits one event about `conversation` (empty: none), its payload `payload` (may be null) plus the
    // conversation_id; returns its id.
    std::string commit(const std::string& name, const std::string& conversation, JsonObject payload = nullptr) {
        db->write([&](soci::session& sql) {
            if (!payload) payload = jsonObject();
            if (!conversation.empty()) payload->set("conversation_id", conversation);
            appendOutboxEvent(sql, "00000000-0000-4000-8000-000000000001", name, payload);
        });
        return db->read([&](soci::session& sql) {
            std::string id;
            sql << "SELECT id FROM outbox_events ORDER BY rowid DESC LIMIT 1", soci::into(id);
            return id;
        });
    }

    // A subscriber that records each event in `seen` (inside the delivery transaction) unless `fail` says no.
    OutboxSubscriber recorder(const std::string& name, const std::string& events,
                              std::function<bool(const std::string& event_json)> fail = {}) {
        OutboxSubscriber s;
        s.name = "test:" + name;
        s.owner = "test";
        s.events = events;
        s.deliver = [name = s.name, fail](soci::session& sql, const std::string& event, std::string& error) {
            JsonObject e = storedObject(event);
            std::string id = e->getValue<std::string>("id"), ename = e->getValue<std::string>("name");
            sql << "INSERT INTO seen (subscription, event_id, name) VALUES (:s, :e, :n)", soci::use(name), soci::use(id),
                soci::use(ename);
            if (fail && fail(event)) {
                error = "receiver said no";
                return static_cast<int>(PARLEY_ERR_UNAVAILABLE);
            }
            return static_cast<int>(PARLEY_OK);
        };
        return s;
    }

    std::vector<std::string> seen(const std::string& subscription) {
        return db->read([&](soci::session& sql) {
            std::vector<std::string> out;
            soci::rowset<std::string> rows =
                (sql.prepare << "SELECT event_id FROM seen WHERE subscription = :s ORDER BY rowid", soci::use(subscription));
            for (const auto& id : rows) out.push_back(id);
            return out;
        });
    }
    std::string text(const std::string& query) {
        return db->read([&](soci::session& sql) {
            std::string out;
            sql << query, soci::into(out);
            return out;
        });
    }
    long long count(const std::string& query) {
        return db->read([&](soci::session& sql) {
            long long n = 0;
            sql << query, soci::into(n);
            return n;
        });
    }
};

inline const std::string kA = "11111111-1111-4111-8111-111111111111", kB = "22222222-2222-4222-8222-222222222222";

}  // namespace parley::core::testing

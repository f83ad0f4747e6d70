// The SOCI connection pool and transactions, for SQLite (embedded default) and PostgreSQL (production).
#pragma once

#include "app/config.hpp"

#include <soci/soci.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace parley::core {

class PreparedStatements;

enum class DbBackend { sqlite, postgresql };

// 64-bit integers as SOCI exchanges them (it knows `long long`, not `long`).
using DbInt = long long;

class Database {
public:
    // Opens `config.pool_size` connections to `config.url`; throws ConfigError when it cannot.
    explicit Database(const DatabaseConfig& config);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    DbBackend backend() const { return backend_; }
    bool isPostgres() const { return backend_ == DbBackend::postgresql; }
    const char* backendName() const { return isPostgres() ? "postgresql" : "sqlite"; }

    // A connection borrowed from the pool; given back when destroyed.
    class Lease {
    public:
        Lease(Database& db, size_t index) : db_(&db), index_(index) {}
        Lease(Lease&& other) noexcept : db_(other.db_), index_(other.index_) { other.db_ = nullptr; }
        Lease(const Lease&) = delete;
        ~Lease();
        soci::session& operator*() const;
        soci::session* operator->() const { return &**this; }

    private:
        Database* db_;
        size_t index_;
    };

    // Borrows a connection, waiting up to the pool timeout; throws ApiError 503 when none frees up.
    Lease lease();

    // Runs `fn(session)` in a transaction that writes (BEGIN IMMEDIATE on SQLite, so writers queue at the
    // start instead of failing at the first write). Commits when fn returns, rolls back when it throws.
    // On SQLite this process's writers take turns first, in arrival order (WriterTurn), instead of polling
    // SQLite's lock with the busy handler's sleeps; a background writer (BackgroundWriter) goes before the
    // queue, but never twice in a row while others wait.
    template <typename Fn>
    auto write(Fn&& fn) {
        WriterTurn turn(*this);
        Lease conn = lease();
        begin(*conn, true);
        try {
            if constexpr (std::is_void_v<decltype(fn(*conn))>) {
                fn(*conn);
                (*conn).commit();
                committed();
            } else {
                auto result = fn(*conn);
                (*conn).commit();
                committed();
                return result;
            }
        } catch (...) {
            rollbackQuietly(*conn);
            throw;
        }
    }

    // Called with the transaction that writes an outbox row (appendOutboxEvent), on its thread: when that
    // transaction commits, the outbox listener runs (on the committing thread, after the commit).
    static void noteOutboxWrite();
    // Marks this thread's writes, while it lives, as batched background work (the outbox dispatcher, plugins'
    // delivery bookkeeping): on SQLite they alternate with the queue of request writers instead of waiting at
    // its end, so one transaction that settles many deliveries does not wait behind dozens of single messages.
    class BackgroundWriter {
    public:
        BackgroundWriter();
        ~BackgroundWriter();
        BackgroundWriter(const BackgroundWriter&) = delete;
        BackgroundWriter& operator=(const BackgroundWriter&) = delete;

    private:
        bool previous_;
    };

    // Set once before serving: what to run after a commit that wrote outbox rows (wakes the dispatcher).
    void onOutboxCommit(std::function<void()> listener) { outbox_listener_ = std::move(listener); }
    // For an autocommit statement that wrote outbox rows (store/message_commit.cpp): runs the listener now.
    void outboxCommitted() {
        if (outbox_listener_) outbox_listener_();
    }

    // Runs `fn(session)` on a pooled connection without an explicit transaction (single reads).
    template <typename Fn>
    auto read(Fn&& fn) {
        Lease conn = lease();
        return fn(*conn);
    }
    // Runs `fn(session)` in autocommit: each statement is a transaction of its own. For a write that is one
    // statement (saves BEGIN and COMMIT, two round trips on PostgreSQL).
    template <typename Fn>
    auto autocommit(Fn&& fn) {
        Lease conn = lease();
        return fn(*conn);
    }

    // True when a trivial query succeeds within the pool timeout.
    bool ping();

    size_t poolSize() const { return sessions_.size(); }
    size_t inUse() const { return in_use_.load(); }

private:
    // This process's SQLite writers in arrival order, each woken alone when its turn comes (waking every waiter
    // at each commit cost more CPU than the commits); nothing on PostgreSQL, and nothing for a write nested in
    // another on the same thread (SQLite's own lock and busy timeout decide that one).
    class WriterTurn {
    public:
        explicit WriterTurn(Database& db);
        ~WriterTurn();
        WriterTurn(const WriterTurn&) = delete;
        WriterTurn& operator=(const WriterTurn&) = delete;

    private:
        Database* db_ = nullptr;
        bool background_ = false;
    };

    void begin(soci::session& sql, bool for_write);
    void committed();
    void rollbackQuietly(soci::session& sql);
    void giveBack(size_t index);
    Lease revived(size_t index);  // the lease of a free slot, its connection checked (without the mutex)
    void prepareSession(soci::session& sql);

    DatabaseConfig config_;
    DbBackend backend_;
    void openOne();  // under mutex_ (or in the constructor)
    size_t max_size_ = 1;
    std::vector<std::unique_ptr<soci::session>> sessions_;
    std::vector<bool> free_;
    std::vector<std::unique_ptr<PreparedStatements>> prepared_;  // per slot (PostgreSQL), see store/prepared.hpp
    std::vector<std::chrono::steady_clock::time_point> last_used_;  // per slot, for the idle check
    std::mutex mutex_;
    std::condition_variable available_;
    std::atomic<size_t> in_use_{0};
    struct WriterWaiter {
        std::condition_variable turn;
        bool admitted = false;
    };
    void admitNextWriter();  // under writers_mutex_
    std::mutex writers_mutex_;
    std::deque<WriterWaiter*> request_writers_, background_writers_;  // waiting, in arrival order
    bool writer_busy_ = false, last_was_background_ = false;
    std::function<void()> outbox_listener_;
};

// Turns postgresql://user:password@host:port/dbname?sslmode=require into libpq's keyword form
// (SOCI 4.0 mangles URIs). Throws ConfigError on a malformed URL.
std::string postgresKeywords(const std::string& url);

// Milliseconds since the Unix epoch, UTC: every stored time.
long long nowMs();

// A new random (version 4) UUID in its canonical text form.
std::string newUuid();

// True when `text` is a canonical UUID (so it may be bound to a UUID column without a database error).
bool isUuid(const std::string& text);

}  // namespace parley::core

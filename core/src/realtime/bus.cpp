// LISTEN/NOTIFY through libpq (SOCI does not expose notifications): one dedicated listening connection per node,
// with reconnects; NOTIFY goes out from one publisher thread on a connection of its own, in batches.
#include "realtime/bus.hpp"

#include "app/app.hpp"
#include "store/database.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace parley::core::realtime {
namespace {

constexpr const char* kChannel = "parley_realtime";

// Notes travel several to a NOTIFY, one per line (a note is compact JSON: it never holds a raw newline), each
// NOTIFY under PostgreSQL's 8000-byte payload limit: one statement for a batch instead of one per message.
constexpr std::size_t kMaxPayload = 7000;

std::vector<std::string> packNotes(const std::vector<std::string>& notes) {
    std::vector<std::string> out;
    std::string current;
    for (const auto& note : notes) {
        if (!current.empty() && current.size() + 1 + note.size() > kMaxPayload) {
            out.push_back(std::move(current));
            current.clear();
        }
        if (!current.empty()) current += '\n';
        current += note;
    }
    if (!current.empty()) out.push_back(std::move(current));
    return out;
}

std::vector<std::string> unpackNotes(const std::string& packed) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= packed.size()) {
        std::size_t end = packed.find('\n', start);
        if (end == std::string::npos) end = packed.size();
        if (end > start) out.push_back(packed.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

class LocalBus final : public Bus {
public:
    void publish(const std::string&) override {}
    void start(Receiver) override {}
    void stop() override {}
    bool clustered() const override { return false; }
};

class PostgresBus final : public Bus {
public:
    explicit PostgresBus(App& app) : app_(app), conninfo_(postgresKeywords(app.config.database.url)) {}
    ~PostgresBus() override { stop(); }

    // Queues the payload for the publisher thread and returns at once. A NOTIFY is a transaction of its own,
    // and PostgreSQL serializes every notifying transaction through commit (one lock for the whole database),
    // so sending it from the message path made every message wait for a second WAL flush behind every other.
    void publish(const std::string& payload) override {
        {
            std::lock_guard lock(queue_mutex_);
            queue_.push_back(payload);
        }
        queue_wake_.notify_one();
    }

    void start(Receiver receiver) override {
        receiver_ = std::move(receiver);
        running_ = true;
        thread_ = std::thread([this] { run(); });
        publisher_ = std::thread([this] { publishQueued(); });
    }

    void stop() override {
        {
            std::lock_guard lock(queue_mutex_);  // so the publisher cannot miss the wake-up
            running_ = false;
        }
        queue_wake_.notify_all();
        if (publisher_.joinable()) publisher_.join();
        if (thread_.joinable()) thread_.join();
    }

    bool clustered() const override { return true; }

private:
    // The publisher thread: whatever queued meanwhile goes out on the publisher's own connection, whose commits
    // do not wait for their WAL flush (synchronous_commit off: a notification is a hint, the messages themselves
    // are committed durably, and a node that misses one catches up by seq). One statement for a usual batch,
    // a transaction when it needs several. Order is kept: one thread, batches in queue order.
    void publishQueued() {
        std::vector<std::string> batch;
        PGconn* conn = nullptr;
        for (;;) {
            {
                std::unique_lock lock(queue_mutex_);
                queue_wake_.wait(lock, [this] { return !queue_.empty() || !running_; });
                if (queue_.empty()) break;  // stopping and drained
                while (!queue_.empty() && batch.size() < kMaxBatch) {
                    batch.push_back(std::move(queue_.front()));
                    queue_.pop_front();
                }
            }
            std::string error;
            if (!conn) conn = connectPublisher(error);
            if (conn && !notifyAll(conn, packNotes(batch), error)) {
                PQfinish(conn);
                conn = nullptr;
            }
            if (!error.empty()) app_.log->warning("realtime: NOTIFY failed (other nodes catch up later): " + error);
            batch.clear();
        }
        if (conn) PQfinish(conn);
    }

    PGconn* connectPublisher(std::string& error) {
        PGconn* conn = PQconnectdb(conninfo_.c_str());
        if (PQstatus(conn) == CONNECTION_OK && exec(conn, "SET synchronous_commit = off", PGRES_COMMAND_OK, error))
            return conn;
        if (error.empty()) error = PQerrorMessage(conn);
        PQfinish(conn);
        return nullptr;
    }

    static bool exec(PGconn* conn, const char* statement, ExecStatusType expected, std::string& error) {
        PGresult* r = PQexec(conn, statement);
        bool ok = PQresultStatus(r) == expected;
        if (!ok) error = PQerrorMessage(conn);
        PQclear(r);
        return ok;
    }

    static bool notifyAll(PGconn* conn, const std::vector<std::string>& packs, std::string& error) {
        bool several = packs.size() > 1;
        if (several && !exec(conn, "BEGIN", PGRES_COMMAND_OK, error)) return false;
        for (const auto& packed : packs) {
            const char* values[2] = {kChannel, packed.c_str()};
            PGresult* r = PQexecParams(conn, "SELECT pg_notify($1, $2)", 2, nullptr, values, nullptr, nullptr, 0);
            bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
            if (!ok) error = PQerrorMessage(conn);
            PQclear(r);
            if (!ok) return false;
        }
        return !several || exec(conn, "COMMIT", PGRES_COMMAND_OK, error);
    }

    PGconn* connect() {
        PGconn* conn = PQconnectdb(conninfo_.c_str());
        if (PQstatus(conn) != CONNECTION_OK) {
            app_.log->warning(std::string("realtime: LISTEN connection failed: ") + PQerrorMessage(conn));
            PQfinish(conn);
            return nullptr;
        }
        PGresult* r = PQexec(conn, (std::string("LISTEN ") + kChannel).c_str());
        bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (!ok) {
            PQfinish(conn);
            return nullptr;
        }
        return conn;
    }

    void run() {
        PGconn* conn = nullptr;
        bool was_connected = false;
        int backoff_ms = 100;
        while (running_) {
            if (!conn) {
                conn = connect();
                if (!conn) {
                    for (int waited = 0; running_ && waited < backoff_ms; waited += 50)
                        std::this_thread::sleep_for(std::chrono::milliseconds(50));
                    backoff_ms = std::min(backoff_ms * 2, 5000);
                    continue;
                }
                backoff_ms = 100;
                if (was_connected) receiver_(kResync);  // notifications may have been missed meanwhile
                was_connected = true;
            }
            pollfd fd{PQsocket(conn), POLLIN, 0};
            int ready = ::poll(&fd, 1, 200);  // wakes regularly to notice stop()
            if (ready < 0) continue;
            if (ready > 0 && !PQconsumeInput(conn)) {
                app_.log->warning(std::string("realtime: LISTEN connection lost: ") + PQerrorMessage(conn));
                PQfinish(conn);
                conn = nullptr;
                continue;
            }
            while (PGnotify* n = PQnotifies(conn)) {
                std::string packed = n->extra ? n->extra : "";
                PQfreemem(n);
                for (const auto& payload : unpackNotes(packed)) {
                    try {
                        receiver_(payload);
                    } catch (const std::exception& e) {
                        app_.log->warning(std::string("realtime: notification not handled: ") + e.what());
                    }
                }
            }
        }
        if (conn) PQfinish(conn);
    }

    App& app_;
    std::string conninfo_;
    Receiver receiver_;
    std::atomic<bool> running_{false};
    std::thread thread_;
    static constexpr std::size_t kMaxBatch = 256;
    std::mutex queue_mutex_;
    std::condition_variable queue_wake_;
    std::deque<std::string> queue_;
    std::thread publisher_;
};

}  // namespace

std::unique_ptr<Bus> makeBus(App& app) {
    if (app.db->isPostgres()) return std::make_unique<PostgresBus>(app);
    return std::make_unique<LocalBus>();
}

}  // namespace parley::core::realtime

// LISTEN/NOTIFY through libpq (SOCI does not expose notifications): one dedicated listening connection per node,
// with reconnects; NOTIFY goes through the ordinary pool.
#include "realtime/bus.hpp"

#include "app/app.hpp"
#include "store/database.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <atomic>
#include <thread>

namespace parley::core::realtime {
namespace {

constexpr const char* kChannel = "parley_realtime";

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

    void publish(const std::string& payload) override {
        try {
            app_.db->read([&](soci::session& sql) {
                std::string channel = kChannel;
                sql << "SELECT pg_notify(:c, :p)", soci::use(channel), soci::use(payload);
            });
        } catch (const std::exception& e) {
            app_.log->warning(std::string("realtime: NOTIFY failed (other nodes catch up later): ") + e.what());
        }
    }

    void start(Receiver receiver) override {
        receiver_ = std::move(receiver);
        running_ = true;
        thread_ = std::thread([this] { run(); });
    }

    void stop() override {
        running_ = false;
        if (thread_.joinable()) thread_.join();
    }

    bool clustered() const override { return true; }

private:
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
                std::string payload = n->extra ? n->extra : "";
                PQfreemem(n);
                try {
                    receiver_(payload);
                } catch (const std::exception& e) {
                    app_.log->warning(std::string("realtime: notification not handled: ") + e.what());
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
};

}  // namespace

std::unique_ptr<Bus> makeBus(App& app) {
    if (app.db->isPostgres()) return std::make_unique<PostgresBus>(app);
    return std::make_unique<LocalBus>();
}

}  // namespace parley::core::realtime

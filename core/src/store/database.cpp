// Opens and lends database connections; maps "no connection free" to a clear 503.
#include "store/database.hpp"

#include "app/errors.hpp"
#include "store/prepared.hpp"

#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/URI.h>

#include <libpq-fe.h>
#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>

namespace parley::core {
namespace {

constexpr auto kLeaseTimeout = std::chrono::seconds(10);
// A PostgreSQL connection idle longer than this is pinged before it is lent (a server or proxy may have
// dropped it quietly); a busy one is checked locally, without a round trip.
constexpr auto kIdleCheck = std::chrono::seconds(5);

thread_local bool t_outbox_written = false;  // this thread's open write transaction wrote an outbox row
thread_local int t_writer_turns = 0;         // WriterTurns held by this thread (nested writes skip the queue)
thread_local bool t_background_writer = false;

std::string sqlitePath(const std::string& url) {
    std::string path = url.substr(std::string("sqlite:").size());
    if (path.rfind("//", 0) == 0) path = path.substr(2);
    return path;
}

}  // namespace

Database::Database(const DatabaseConfig& config) : config_(config) {
    const std::string& url = config.url;
    if (url.rfind("sqlite:", 0) == 0) {
        backend_ = DbBackend::sqlite;
    } else if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) {
        backend_ = DbBackend::postgresql;
    } else {
        throw ConfigError("database.url '" + url +
                          "' is not supported: use sqlite:<path> or postgresql://user:password@host/db");
    }
    size_t size = std::max(1, config.pool_size);
    if (backend_ == DbBackend::sqlite) {
        std::string path = sqlitePath(url);
        Poco::Path parent = Poco::Path(path).parent();
        if (!parent.toString().empty()) Poco::File(parent).createDirectories();
    }
    // Connections open as they are needed, up to the pool size: a command opens one, a busy server grows to the
    // limit. The vector never reallocates (leases index into it without the lock).
    max_size_ = size;
    sessions_.reserve(size);
    prepared_.reserve(size);
    free_.reserve(size);
    last_used_.reserve(size);
    openOne();  // at once: a wrong URL or password fails the start, not the first request
}

void Database::openOne() {
    auto sql = std::make_unique<soci::session>();
    try {
        if (backend_ == DbBackend::sqlite)
            sql->open(soci::sqlite3, "db=" + sqlitePath(config_.url));
        else
            sql->open(soci::postgresql, postgresKeywords(config_.url));
        prepareSession(*sql);
    } catch (const std::exception& e) {
        throw ConfigError(std::string("cannot open database ") + backendName() + ": " + e.what());
    }
    if (backend_ == DbBackend::postgresql) {
        prepared_.push_back(std::make_unique<PreparedStatements>(*sql));
        registerPrepared(*sql, prepared_.back().get());
    } else {
        prepared_.push_back(nullptr);
    }
    sessions_.push_back(std::move(sql));
    free_.push_back(true);
    last_used_.push_back(std::chrono::steady_clock::now());
}

Database::~Database() {
    // Statements go before their connections.
    for (size_t i = 0; i < sessions_.size(); ++i) {
        if (prepared_[i]) unregisterPrepared(*sessions_[i]);
        prepared_[i].reset();
    }
}

void Database::prepareSession(soci::session& sql) {
    if (backend_ == DbBackend::sqlite) {
        sql << "PRAGMA busy_timeout = " + std::to_string(config_.busy_timeout_ms);
        std::string mode;
        sql << "PRAGMA journal_mode = WAL", soci::into(mode);
        sql << "PRAGMA synchronous = FULL";
        sql << "PRAGMA foreign_keys = ON";
        // Each connection keeps its own page cache (SQLite's default: 2 MiB), so a full pool of 20 held 40 MiB of
        // copies of the same pages; 512 KiB each keeps the hot ones, and the OS page cache holds the file anyway.
        sql << "PRAGMA cache_size = -512";
    } else {
        sql << "SET TIME ZONE 'UTC'";
    }
}

Database::Lease Database::lease() {
    std::unique_lock lock(mutex_);
    for (;;) {
        for (size_t i = 0; i < free_.size(); ++i) {
            if (free_[i]) {
                free_[i] = false;
                in_use_++;
                lock.unlock();
                return revived(i);
            }
        }
        if (sessions_.size() < max_size_) {
            try {
                openOne();
            } catch (const ConfigError& e) {
                throw ApiError(503, "database_unavailable", std::string("the database did not accept a new connection: ") + e.what())
                    .withRetryAfter(1);
            }
            free_.back() = false;
            in_use_++;
            return Lease(*this, sessions_.size() - 1);  // just opened: nothing to check
        }
        if (available_.wait_for(lock, kLeaseTimeout) == std::cv_status::timeout)
            throw ApiError(503, "database_busy",
                           "all " + std::to_string(max_size_) +
                               " database connections are busy; retry shortly or raise database.pool_size")
                .withRetryAfter(1);
    }
}

void Database::giveBack(size_t index) {
    {
        std::lock_guard lock(mutex_);
        free_[index] = true;
        in_use_--;
    }
    available_.notify_one();
}

Database::Lease::~Lease() {
    if (db_) db_->giveBack(index_);
}

soci::session& Database::Lease::operator*() const { return *db_->sessions_[index_]; }

// A PostgreSQL server restart breaks pooled connections: libpq marks a connection bad once a statement on it
// failed, and a long-idle one may have been dropped without a word, so those are checked (SOCI's is_connected
// is a round trip) and reconnected before use. One check per lease, not per statement.
Database::Lease Database::revived(size_t index) {
    Lease conn(*this, index);
    if (!isPostgres()) return conn;
    soci::session& sql = *sessions_[index];
    auto now = std::chrono::steady_clock::now();
    auto* backend = static_cast<soci::postgresql_session_backend*>(sql.get_backend());
    bool bad = backend == nullptr || backend->conn_ == nullptr || PQstatus(backend->conn_) != CONNECTION_OK;
    if (!bad && now - last_used_[index] > kIdleCheck) bad = !sql.is_connected();
    if (bad) {
        // Prepared statements die with the connection: forget them first (they are prepared again on use).
        unregisterPrepared(sql);
        prepared_[index] = std::make_unique<PreparedStatements>(sql);
        sql.reconnect();
        prepareSession(sql);
        registerPrepared(sql, prepared_[index].get());
    }
    last_used_[index] = now;  // only this lease's holder touches its slot
    return conn;
}

Database::BackgroundWriter::BackgroundWriter() : previous_(t_background_writer) { t_background_writer = true; }
Database::BackgroundWriter::~BackgroundWriter() { t_background_writer = previous_; }

Database::WriterTurn::WriterTurn(Database& db) {
    if (db.backend_ != DbBackend::sqlite || t_writer_turns > 0) return;
    std::unique_lock lock(db.writers_mutex_);
    WriterWaiter me;
    background_ = t_background_writer;
    (background_ ? db.background_writers_ : db.request_writers_).push_back(&me);
    db.admitNextWriter();
    me.turn.wait(lock, [&] { return me.admitted; });
    db_ = &db;
    t_writer_turns++;
}

Database::WriterTurn::~WriterTurn() {
    if (!db_) return;
    t_writer_turns--;
    std::lock_guard lock(db_->writers_mutex_);
    db_->writer_busy_ = false;
    db_->admitNextWriter();
}

// The next writer: a background one goes ahead of the request queue, unless the last turn was a background one
// and requests wait (they alternate); otherwise the oldest request. Only the chosen waiter is woken.
void Database::admitNextWriter() {
    if (writer_busy_) return;
    WriterWaiter* next = nullptr;
    bool background = !background_writers_.empty() && (!last_was_background_ || request_writers_.empty());
    if (background) {
        next = background_writers_.front();
        background_writers_.pop_front();
    } else if (!request_writers_.empty()) {
        next = request_writers_.front();
        request_writers_.pop_front();
    } else {
        return;
    }
    writer_busy_ = true;
    last_was_background_ = background;
    next->admitted = true;
    next->turn.notify_one();
}

void Database::noteOutboxWrite() { t_outbox_written = true; }

void Database::committed() {
    if (!t_outbox_written) return;
    t_outbox_written = false;
    if (outbox_listener_) outbox_listener_();
}

void Database::begin(soci::session& sql, bool for_write) {
    if (for_write) t_outbox_written = false;
    if (backend_ == DbBackend::sqlite && for_write)
        sql << "BEGIN IMMEDIATE";
    else
        sql.begin();
}

void Database::rollbackQuietly(soci::session& sql) {
    t_outbox_written = false;
    try {
        sql.rollback();
    } catch (...) {
        // The connection may be gone; the next lease reconnects it.
    }
}

bool Database::ping() {
    try {
        int one = 0;
        read([&](soci::session& sql) { sql << "SELECT 1", soci::into(one); });
        return one == 1;
    } catch (...) {
        return false;
    }
}

std::string postgresKeywords(const std::string& url) {
    auto scheme = url.find("://");
    if (scheme == std::string::npos) throw ConfigError("database.url '" + url + "' is not a postgresql:// URL");
    std::string rest = url.substr(scheme + 3), query;
    auto q = rest.find('?');
    if (q != std::string::npos) {
        query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }
    std::string dbname;
    auto slash = rest.find('/');
    if (slash != std::string::npos) {
        dbname = rest.substr(slash + 1);
        rest = rest.substr(0, slash);
    }
    std::string user, password, hostport = rest;
    auto at = rest.rfind('@');
    if (at != std::string::npos) {
        std::string userinfo = rest.substr(0, at);
        hostport = rest.substr(at + 1);
        auto colon = userinfo.find(':');
        user = userinfo.substr(0, colon);
        if (colon != std::string::npos) password = userinfo.substr(colon + 1);
    }
    std::string host = hostport, port;
    auto colon = hostport.rfind(':');
    if (colon != std::string::npos && hostport.find(']') == std::string::npos) {
        host = hostport.substr(0, colon);
        port = hostport.substr(colon + 1);
    }
    auto quote = [](const std::string& raw) {
        std::string v;
        try {
            Poco::URI::decode(raw, v);
        } catch (const Poco::Exception&) {
            throw ConfigError("database.url has malformed percent-encoding");
        }
        std::string out = "'";
        for (char c : v) {
            if (c == '\\' || c == '\'') out.push_back('\\');
            out.push_back(c);
        }
        return out + "'";
    };
    std::string out;
    auto add = [&](const std::string& key, const std::string& value) {
        if (!value.empty()) out += (out.empty() ? "" : " ") + key + "=" + quote(value);
    };
    add("host", host);
    add("port", port);
    add("dbname", dbname);
    add("user", user);
    add("password", password);
    size_t start = 0;
    while (!query.empty() && start <= query.size()) {
        size_t amp = query.find('&', start);
        std::string pair = query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
        auto eq = pair.find('=');
        if (eq != std::string::npos) add(pair.substr(0, eq), pair.substr(eq + 1));
        if (amp == std::string::npos) break;
        start = amp + 1;
    }
    return out;
}

long long nowMs() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// From the kernel's CSPRNG through a small per-thread buffer: one getrandom() per 32 ids, where Poco's
// generator opens, reads and closes /dev/urandom under a global mutex for each one.
std::string newUuid() {
    thread_local unsigned char pool[512];
    thread_local std::size_t used = sizeof pool;
    if (used == sizeof pool) {
        std::size_t got = 0;
        while (got < sizeof pool) {
            ssize_t n = ::getrandom(pool + got, sizeof pool - got, 0);
            if (n < 0) {
                if (errno == EINTR) continue;
                throw std::runtime_error("getrandom failed");
            }
            got += static_cast<std::size_t>(n);
        }
        used = 0;
    }
    unsigned char b[16];
    std::memcpy(b, pool + used, 16);
    std::memset(pool + used, 0, 16);  // an id's bytes do not linger
    used += 16;
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
    static const char* hex = "0123456789abcdef";
    std::string out(36, '-');
    std::size_t o = 0;
    for (int i = 0; i < 16; ++i) {
        if (o == 8 || o == 13 || o == 18 || o == 23) ++o;
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 0x0f];
    }
    return out;
}

bool isUuid(const std::string& text) {
    if (text.size() != 36) return false;
    for (size_t i = 0; i < 36; ++i) {
        char c = text[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
            return false;
        }
    }
    return true;
}

}  // namespace parley::core

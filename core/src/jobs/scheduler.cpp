// The claim is a conditional UPDATE (due and not locked): portable to SQLite and PostgreSQL, and exactly one
// node's UPDATE matches. A node that dies mid-run loses its lease after kLease and another node runs it.
#include "jobs/scheduler.hpp"

#include "store/database.hpp"

#include <Poco/Logger.h>

namespace parley::core {
namespace {
constexpr long long kLeaseMs = 5 * 60'000;
}

Scheduler::Scheduler(Database& db, std::string node_id) : db_(db), node_id_(std::move(node_id)) {}

Scheduler::~Scheduler() { stop(); }

void Scheduler::add(const std::string& name, int interval_seconds, std::function<void()> fn) {
    interval_seconds = std::max(1, interval_seconds);
    long long now = nowMs();
    db_.write([&](soci::session& sql) {
        sql << "INSERT INTO scheduled_jobs (name, interval_seconds, next_run_at, locked_until) "
               "VALUES (:n, :i, :t, 0) ON CONFLICT (name) DO UPDATE SET interval_seconds = excluded.interval_seconds",
            soci::use(name), soci::use(interval_seconds), soci::use(now);
    });
    std::lock_guard lock(mutex_);
    jobs_.push_back({name, interval_seconds, std::move(fn)});
}

int Scheduler::runDue(long long now_ms) {
    std::vector<Job> jobs;
    {
        std::lock_guard lock(mutex_);
        jobs = jobs_;
    }
    int ran = 0;
    for (const auto& job : jobs) {
        long long lease = now_ms + kLeaseMs;
        bool claimed = db_.write([&](soci::session& sql) {
            soci::statement st = (sql.prepare << "UPDATE scheduled_jobs SET locked_until = :l, locked_by = :b "
                                                 "WHERE name = :n AND next_run_at <= :t AND locked_until < :t2",
                                  soci::use(lease), soci::use(node_id_), soci::use(job.name), soci::use(now_ms),
                                  soci::use(now_ms));
            st.execute(true);
            return st.get_affected_rows() == 1;
        });
        if (!claimed) continue;
        std::string error;
        try {
            job.fn();
        } catch (const std::exception& e) {
            error = e.what();
        } catch (...) {
            error = "unknown error";
        }
        if (!error.empty()) Poco::Logger::get("parleyd").error("job " + job.name + " failed: " + error);
        long long next = now_ms + job.interval_seconds * 1000LL, finished = nowMs();
        soci::indicator err_ind = error.empty() ? soci::i_null : soci::i_ok;
        db_.write([&](soci::session& sql) {
            sql << "UPDATE scheduled_jobs SET next_run_at = :x, locked_until = 0, last_run_at = :r, last_error = :e "
                   "WHERE name = :n",
                soci::use(next), soci::use(finished), soci::use(error, err_ind), soci::use(job.name);
        });
        ran++;
    }
    return ran;
}

void Scheduler::start() {
    thread_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            lock.unlock();
            try {
                runDue(nowMs());
            } catch (const std::exception& e) {
                Poco::Logger::get("parleyd").error(std::string("scheduler: ") + e.what());
            }
            lock.lock();
            wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
        }
    });
}

void Scheduler::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

}  // namespace parley::core

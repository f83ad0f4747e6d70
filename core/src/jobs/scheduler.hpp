// Periodic jobs that run once per cluster, however many nodes share the database.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace parley::core {

class Database;

class Scheduler {
public:
    // `node_id` names this process in scheduled_jobs.locked_by.
    Scheduler(Database& db, std::string node_id);
    ~Scheduler();

    // Registers a job (name "<owner>:<job>"); the first registration in the cluster makes it due at once.
    void add(const std::string& name, int interval_seconds, std::function<void()> fn);

    // Runs every registered job that is due at `now_ms` and that this node manages to claim; returns how many
    // ran. A job that throws is recorded in last_error and runs again at its next time.
    int runDue(long long now_ms);

    // A background thread calling runDue() every second until stop().
    void start();
    void stop();

private:
    struct Job {
        std::string name;
        int interval_seconds;
        std::function<void()> fn;
    };
    Database& db_;
    std::string node_id_;
    std::vector<Job> jobs_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace parley::core

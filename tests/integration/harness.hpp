// Test harness: a fresh database (SQLite file or PostgreSQL database), a real parleyd process, an HTTP client.
#pragma once

#include "http/json.hpp"

#include <Poco/Process.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace parley::test {

using parley::core::JsonArray;
using parley::core::JsonObject;

// "sqlite" or "postgresql", from PARLEY_TEST_DB (default sqlite).
std::string backendUnderTest();

// A database of its own for one test: a file in a temporary folder, or a new PostgreSQL database created
// from PARLEY_TEST_PG_URL (and dropped at the end).
class TestDatabase {
public:
    TestDatabase();
    ~TestDatabase();
    const std::string& url() const { return url_; }
    const std::string& dataDir() const { return data_dir_; }

private:
    std::string url_, data_dir_, pg_admin_url_, pg_name_;
};

struct CommandResult {
    int exit_code = 0;
    std::string output;  // stdout and stderr together
};

// A parleyd process on a free loopback port, with its own data folder and database.
class Parleyd {
public:
    // `env` adds or overrides PARLEY_* variables for this server (and its commands).
    // `config_json` is written as the server's config file (plugin settings and the like).
    explicit Parleyd(const TestDatabase& db, std::map<std::string, std::string> env = {},
                     const std::string& config_json = "{}");
    ~Parleyd();

    // Starts `parleyd serve` and waits for its "listening" line (10 s at most; fails the test otherwise).
    void start();
    // Starts `parleyd serve` once and returns its output when it says it listens or exits (15 s at most); no
    // retry, no failure: the caller reads the output. A server that started runs until stop() or destruction.
    std::string startOnce();
    // SIGTERM, then waits for a clean exit; returns the exit code.
    int stop();
    // SIGKILL, no goodbye.
    void kill9();
    // Sends SIGTERM and returns at once (stop() then waits for the exit).
    void terminate();
    // Waits until the server's output contains `text`; false after `seconds`.
    bool waitForOutput(const std::string& text, int seconds = 10);
    bool running() const { return handle_ != nullptr; }

    // Runs a parleyd command (migrate, create-admin, ...) against the same config; waits for it.
    CommandResult command(const std::vector<std::string>& args, const std::string& input = "") const;

    int port() const { return port_; }
    std::string baseUrl() const { return "http://127.0.0.1:" + std::to_string(port_); }
    // Everything the server printed so far.
    std::string output() const;

    // Creates a super admin and returns its bearer token (fresh for each call).
    std::string superAdminToken();

private:
    void readOutput();
    const TestDatabase& db_;
    std::map<std::string, std::string> env_;
    int port_ = 0;
    bool own_port_ = true;  // chosen here (not by the test's env): may be chosen again when taken
    std::unique_ptr<Poco::ProcessHandle> handle_;
    std::unique_ptr<Poco::Pipe> out_pipe_;
    std::thread reader_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::string output_;
    bool eof_ = false;
};

struct Response {
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // lower-case names; Set-Cookie values joined by "\n"
    JsonObject json() const;                      // fails the test when the body is not a JSON object
    std::string errorCode() const;                // error.code of an error body, "" otherwise
    std::string header(const std::string& name) const;
};

// A small HTTP/1.1 client over a keep-alive connection to one server.
class Client {
public:
    explicit Client(int port);
    Client& bearer(const std::string& token);
    Client& header(const std::string& name, const std::string& value);  // sent with every request

    Response request(const std::string& method, const std::string& path, const std::string& body = "",
                     const std::map<std::string, std::string>& headers = {},
                     const std::string& content_type = "application/json");
    Response get(const std::string& path, const std::map<std::string, std::string>& headers = {});
    Response post(const std::string& path, const std::string& body, const std::map<std::string, std::string>& headers = {});
    Response patch(const std::string& path, const std::string& body, const std::map<std::string, std::string>& headers = {});
    Response put(const std::string& path, const std::string& body, const std::map<std::string, std::string>& headers = {});
    Response del(const std::string& path, const std::map<std::string, std::string>& headers = {});

private:
    int port_;
    std::map<std::string, std::string> headers_;
};

// Signs in and returns the bearer token; fails the test unless the login answers 200.
std::string login(int port, const std::string& email, const std::string& password);

// A unique suffix for names in one test run.
std::string uniqueName(const std::string& prefix);

// JSON text from an initializer-friendly object.
std::string json(const JsonObject& o);

}  // namespace parley::test

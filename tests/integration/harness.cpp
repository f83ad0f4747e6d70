// The harness runs the real parleyd binary: nothing of the server is mocked.
#include "harness.hpp"

#include "auth/crypto.hpp"
#include "store/database.hpp"

#include <boost/test/unit_test.hpp>

#include <Poco/File.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/PipeStream.h>
#include <Poco/StreamCopier.h>
#include <Poco/TemporaryFile.h>

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <chrono>
#include <fstream>
#include <csignal>
#include <cstdlib>
#include <sys/wait.h>

namespace parley::test {

std::string backendUnderTest() {
    const char* v = std::getenv("PARLEY_TEST_DB");
    return v && std::string(v) == "postgresql" ? "postgresql" : "sqlite";
}

std::string uniqueName(const std::string& prefix) {
    return prefix + parley::core::hexEncode(parley::core::randomBytes(4));
}

std::string json(const JsonObject& o) { return parley::core::toJson(o); }

TestDatabase::TestDatabase() {
    data_dir_ = Poco::TemporaryFile::tempName();
    Poco::File(data_dir_).createDirectories();
    if (backendUnderTest() == "sqlite") {
        url_ = "sqlite:" + data_dir_ + "/parley.db";
        return;
    }
    const char* admin = std::getenv("PARLEY_TEST_PG_URL");
    if (!admin || !*admin)
        BOOST_FAIL("PARLEY_TEST_PG_URL is not set: run the PostgreSQL tests through tests/run-all (make test)");
    pg_admin_url_ = admin;
    pg_name_ = uniqueName("parley_t_");
    soci::session sql(soci::postgresql, parley::core::postgresKeywords(pg_admin_url_));
    sql << "CREATE DATABASE " + pg_name_;
    auto slash = pg_admin_url_.rfind('/');
    url_ = pg_admin_url_.substr(0, slash + 1) + pg_name_;
}

TestDatabase::~TestDatabase() {
    try {
        if (!pg_name_.empty()) {
            soci::session sql(soci::postgresql, parley::core::postgresKeywords(pg_admin_url_));
            sql << "DROP DATABASE IF EXISTS " + pg_name_ + " WITH (FORCE)";
        }
        Poco::File(data_dir_).remove(true);
    } catch (...) {
    }
}

namespace {
int freePort() {
    Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
    return s.address().port();
}
}  // namespace

Parleyd::Parleyd(const TestDatabase& db, std::map<std::string, std::string> env, const std::string& config_json)
    : db_(db), env_(std::move(env)) {
    port_ = freePort();
    own_port_ = !env_.count("PARLEY_HTTP_PORT");
    std::map<std::string, std::string> defaults = {
        {"PARLEY_DATABASE_URL", db.url()},
        {"PARLEY_DATA_DIR", db.dataDir()},
        {"PARLEY_HTTP_HOST", "127.0.0.1"},
        {"PARLEY_HTTP_PORT", std::to_string(port_)},
        {"PARLEY_PUBLIC_DIR", std::string(PARLEY_SOURCE_DIR) + "/public"},
        {"PARLEY_ARGON2_MEMORY_KIB", "1024"},
        {"PARLEY_LOG_LEVEL", "warning"},
        {"PARLEY_ACCESS_LOG", "false"},
        // Loaded CI machines stretch wall clocks; the sandbox limits themselves are unit-tested with their own.
        {"PARLEY_LUA_TIME_LIMIT_MS", "2000"},
    };
    for (auto& [k, v] : defaults) env_.emplace(k, v);
    // A config file of the test's own, so the tests never read the developer's config/parley.json.
    std::ofstream(db.dataDir() + "/test-config.json") << config_json << "\n";
}

Parleyd::~Parleyd() {
    if (handle_) kill9();
}

void Parleyd::readOutput() {
    char buffer[4096];
    // readBytes returns as soon as some output is there (a stream read would wait for a full buffer).
    for (int n; (n = out_pipe_->readBytes(buffer, sizeof buffer)) > 0;) {
        std::lock_guard lock(mutex_);
        output_.append(buffer, static_cast<size_t>(n));
        changed_.notify_all();
    }
    std::lock_guard lock(mutex_);
    eof_ = true;
    changed_.notify_all();
}

void Parleyd::start() {
    BOOST_REQUIRE_MESSAGE(!handle_, "parleyd is already running");
    // The port came from the kernel's free ephemeral ports and was released for parleyd to bind: another
    // process (a parallel test binary, an outgoing connection) may take it first. Then parleyd says it cannot
    // listen there, and a port of our choosing is chosen again.
    for (int attempt = 1;; ++attempt) {
        std::string out = startOnce();
        if (out.find("parleyd listening on") != std::string::npos) return;
        kill9();
        if (own_port_ && attempt < 3 && out.find("cannot listen on") != std::string::npos) {
            port_ = freePort();
            env_["PARLEY_HTTP_PORT"] = std::to_string(port_);
            continue;
        }
        BOOST_FAIL("parleyd did not start:\n" + out);
    }
}

std::string Parleyd::startOnce() {
    {
        std::lock_guard lock(mutex_);
        output_.clear();
        eof_ = false;
    }
    out_pipe_ = std::make_unique<Poco::Pipe>();
    Poco::Process::Env env(env_.begin(), env_.end());
    // Unbuffered line reads need the child's stdout and stderr on one pipe.
    handle_ = std::make_unique<Poco::ProcessHandle>(
        Poco::Process::launch(PARLEYD_PATH, {"--config=" + db_.dataDir() + "/test-config.json", "serve"}, std::string(PARLEY_SOURCE_DIR),
                              nullptr, out_pipe_.get(), out_pipe_.get(), env));
    out_pipe_->close(Poco::Pipe::CLOSE_WRITE);
    reader_ = std::thread([this] { readOutput(); });
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(15), [this] {
        return output_.find("parleyd listening on") != std::string::npos || eof_;
    });
    return output_;
}

int Parleyd::stop() {
    if (!handle_) return 0;
    terminate();
    int code = handle_->wait();
    handle_.reset();
    if (reader_.joinable()) reader_.join();
    return code;
}

void Parleyd::kill9() {
    if (!handle_) return;
    ::kill(handle_->id(), SIGKILL);
    try {
        handle_->wait();
    } catch (...) {
    }
    handle_.reset();
    if (reader_.joinable()) reader_.join();
}

void Parleyd::terminate() {
    if (handle_) ::kill(handle_->id(), SIGTERM);
}

bool Parleyd::waitForOutput(const std::string& text, int seconds) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(seconds),
                             [&] { return output_.find(text) != std::string::npos || eof_; }) &&
           output_.find(text) != std::string::npos;
}

std::string Parleyd::output() const {
    std::lock_guard lock(mutex_);
    return output_;
}

CommandResult Parleyd::command(const std::vector<std::string>& args, const std::string& input) const {
    Poco::Pipe out, in_pipe;
    Poco::Process::Env env(env_.begin(), env_.end());
    std::vector<std::string> full = {"--config=" + db_.dataDir() + "/test-config.json"};
    full.insert(full.end(), args.begin(), args.end());
    Poco::ProcessHandle h =
        Poco::Process::launch(PARLEYD_PATH, full, std::string(PARLEY_SOURCE_DIR), &in_pipe, &out, &out, env);
    out.close(Poco::Pipe::CLOSE_WRITE);
    if (!input.empty()) in_pipe.writeBytes(input.data(), static_cast<int>(input.size()));
    in_pipe.close(Poco::Pipe::CLOSE_BOTH);
    Poco::PipeInputStream in(out);
    CommandResult result;
    Poco::StreamCopier::copyToString(in, result.output);
    result.exit_code = h.wait();
    return result;
}

std::string Parleyd::superAdminToken() {
    std::string email = uniqueName("root") + "@example.com";
    auto r = command({"create-admin", "--email=" + email, "--password=correct-horse-battery"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "create-admin failed: " + r.output);
    return login(port_, email, "correct-horse-battery");
}

JsonObject Response::json() const {
    try {
        return parley::core::parseJsonObject(body, 64);
    } catch (const std::exception& e) {
        BOOST_FAIL("response is not a JSON object (status " + std::to_string(status) + "): " + body);
    }
    return nullptr;
}

std::string Response::errorCode() const {
    try {
        auto o = parley::core::parseJsonObject(body, 64);
        auto err = o->getObject("error");
        return err ? err->getValue<std::string>("code") : "";
    } catch (...) {
        return "";
    }
}

std::string Response::header(const std::string& name) const {
    std::string lower = Poco::toLower(name);
    auto it = headers.find(lower);
    return it == headers.end() ? "" : it->second;
}

Client::Client(int port) : port_(port) {}

Client& Client::bearer(const std::string& token) {
    headers_["Authorization"] = "Bearer " + token;
    return *this;
}

Client& Client::header(const std::string& name, const std::string& value) {
    headers_[name] = value;
    return *this;
}

Response Client::request(const std::string& method, const std::string& path, const std::string& body,
                         const std::map<std::string, std::string>& headers, const std::string& content_type) {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port_));
    session.setTimeout(Poco::Timespan(20, 0));
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [k, v] : headers_) req.set(k, v);
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() || method == "POST" || method == "PATCH" || method == "PUT") {
        if (!content_type.empty()) req.setContentType(content_type);
        req.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    std::ostream& out = session.sendRequest(req);
    out << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session.receiveResponse(resp);
    Response r;
    r.status = resp.getStatus();
    Poco::StreamCopier::copyToString(in, r.body);
    for (const auto& [k, v] : resp) {
        std::string key = Poco::toLower(k);
        if (r.headers.count(key)) r.headers[key] += "\n" + v;
        else r.headers[key] = v;
    }
    return r;
}

Response Client::get(const std::string& path, const std::map<std::string, std::string>& headers) {
    return request("GET", path, "", headers, "");
}
Response Client::post(const std::string& path, const std::string& body, const std::map<std::string, std::string>& headers) {
    return request("POST", path, body, headers);
}
Response Client::patch(const std::string& path, const std::string& body, const std::map<std::string, std::string>& headers) {
    return request("PATCH", path, body, headers);
}
Response Client::put(const std::string& path, const std::string& body, const std::map<std::string, std::string>& headers) {
    return request("PUT", path, body, headers);
}
Response Client::del(const std::string& path, const std::map<std::string, std::string>& headers) {
    return request("DELETE", path, "", headers, "");
}

std::string login(int port, const std::string& email, const std::string& password) {
    Client c(port);
    auto body = parley::core::jsonObject();
    body->set("email", email);
    body->set("password", password);
    body->set("mode", std::string("bearer"));
    Response r = c.post("/api/v1/auth/login", json(body));
    BOOST_REQUIRE_MESSAGE(r.status == 200, "login of " + email + " failed: " + std::to_string(r.status) + " " + r.body);
    return r.json()->getValue<std::string>("token");
}

}  // namespace parley::test

// Poco 1.11's HTTPServer holds one pool thread per open connection, so the pool and the accept queue are
// sized for every expected keep-alive client (server.max_threads, server.max_queued) and idle connections
// are closed after server.keep_alive_timeout_seconds. Threads get small stacks so a thousand cost little.
#include "http/server.hpp"

#include "app/app.hpp"
#include "app/errors.hpp"
#include "http/router.hpp"

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>

#include <chrono>
#include <thread>

namespace parley::core {

namespace {
constexpr int kThreadStackBytes = 256 * 1024;
}

HttpServer::HttpServer(App& app, Poco::SharedPtr<Router> router) : app_(app) {
    const ServerConfig& cfg = app.config.server;
    Poco::Net::ServerSocket socket;
    try {
        // SO_REUSEADDR (a restart binds while the old connections linger) but not SO_REUSEPORT, which Poco's
        // two-argument bind also sets: with it a second parleyd (or anything else) on the same port would start
        // without a word and the kernel would share the connections between the two.
        socket.bind(Poco::Net::SocketAddress(cfg.host, static_cast<Poco::UInt16>(cfg.port)), true, false);
        socket.listen(1024);
    } catch (const Poco::Exception& e) {
        throw ConfigError("cannot listen on " + cfg.host + ":" + std::to_string(cfg.port) + ": " + e.displayText() +
                          " (set server.port or PARLEY_HTTP_PORT)");
    }
    port_ = socket.address().port();
    pool_ = std::make_unique<Poco::ThreadPool>(4, cfg.max_threads, 60, kThreadStackBytes);
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(cfg.max_threads);
    params->setMaxQueued(cfg.max_queued);
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(cfg.keep_alive_timeout_seconds, 0));
    params->setMaxKeepAliveRequests(cfg.max_keep_alive_requests);
    params->setTimeout(Poco::Timespan(30, 0));
    params->setServerName("parleyd");
    server_ = std::make_unique<Poco::Net::HTTPServer>(router, *pool_, socket, params);
}

HttpServer::~HttpServer() = default;

void HttpServer::start() { server_->start(); }

int HttpServer::port() const { return port_; }

void HttpServer::stop() {
    server_->stop();  // no new connections; open ones finish their current request
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(app_.config.server.shutdown_grace_seconds);
    // Waiting on a counter the handlers decrement: requests in flight finish, nothing new starts.
    while (app_.in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    server_->stopAll(true);  // close idle keep-alive connections
    pool_->joinAll();
}

}  // namespace parley::core

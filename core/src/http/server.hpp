// The HTTP server: Poco's HTTPServer sized so keep-alive browsers never starve, with a graceful stop.
#pragma once

#include <Poco/Net/HTTPServer.h>
#include <Poco/ThreadPool.h>

#include <memory>

namespace parley::core {

struct App;
class Router;

class HttpServer {
public:
    // Binds server.host:server.port (port 0 picks a free one); throws ConfigError when it cannot.
    HttpServer(App& app, Poco::SharedPtr<Router> router);
    ~HttpServer();

    void start();
    // The port actually bound.
    int port() const;
    // Stops accepting, lets in-flight requests finish for up to server.shutdown_grace_seconds, then closes
    // the idle keep-alive connections that remain.
    void stop();

private:
    App& app_;
    std::unique_ptr<Poco::ThreadPool> pool_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    int port_ = 0;
};

}  // namespace parley::core

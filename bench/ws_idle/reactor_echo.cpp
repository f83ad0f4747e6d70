// A standalone WebSocket echo server on the core's reactor, for the idle-capacity bench until parleyd serves
// /api/v1/realtime. Prints "port N" once listening; runs until SIGINT or SIGTERM.
//
// Usage: reactor_echo [PORT] [THREADS]   (port 0 picks a free one; 2 reactor threads by default)
#include "realtime/reactor.hpp"
#include "realtime/ws_upgrade.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>

#include <csignal>
#include <cstdlib>
#include <iostream>

namespace rt = parley::core::realtime;

namespace {

struct Echo : rt::Handler {
    void onOpen(const std::shared_ptr<rt::Connection>&) override {}
    void onMessage(const std::shared_ptr<rt::Connection>& c, std::string text) override { c->send(text); }
    void onClose(const std::shared_ptr<rt::Connection>&, std::uint16_t, std::string) override {}
};

struct Upgrader : Poco::Net::HTTPRequestHandler {
    rt::Reactor& reactor;
    std::shared_ptr<rt::Handler> handler;
    Upgrader(rt::Reactor& r, std::shared_ptr<rt::Handler> h) : reactor(r), handler(std::move(h)) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
        if (rt::upgradeProblem(request).empty())
            rt::upgrade(request, response, reactor, handler);
        else
            rt::refuseUpgrade(request, response);
    }
};

struct Factory : Poco::Net::HTTPRequestHandlerFactory {
    rt::Reactor& reactor;
    std::shared_ptr<rt::Handler> handler = std::make_shared<Echo>();
    explicit Factory(rt::Reactor& r) : reactor(r) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new Upgrader(reactor, handler);
    }
};

}  // namespace

int main(int argc, char** argv) {
    int port = argc > 1 ? std::atoi(argv[1]) : 0;
    rt::ReactorOptions options;
    options.threads = argc > 2 ? std::atoi(argv[2]) : 2;

    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // before any thread starts, so all inherit it

    rt::Reactor reactor(options);
    reactor.start();
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)), 4096);
    // Handshakes are short: a small pool (with small stacks) serves them all; no thread stays per connection.
    Poco::ThreadPool pool(2, 8, 60, 256 * 1024);
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxQueued(4096);
    params->setMaxThreads(8);
    Poco::Net::HTTPServer server(new Factory(reactor), pool, socket, params);
    server.start();
    std::cout << "port " << socket.address().port() << std::endl;

    int signal = 0;
    sigwait(&stop_signals, &signal);
    server.stopAll(true);
    reactor.stop();
    pool.joinAll();
    return 0;
}

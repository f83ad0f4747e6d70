// The Reactor: takes sockets out of Poco's hands and spreads them over its loops (one thread each).
#include "realtime/reactor.hpp"

#include "realtime/reactor_loop.hpp"
#include "realtime/ws_connection.hpp"

#include <Poco/Net/SocketImpl.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <stdexcept>
#include <vector>

namespace parley::core::realtime {

namespace {

// Poco's SocketImpl closes its descriptor when the last Socket that refers to it goes away, and Poco's server
// thread still holds one after detachSocket(). Emptying the impl (its protected reset(), reached through a
// derived class) makes the descriptor ours alone: Poco's copies then hold an invalid socket, so a late
// shutdown() from HTTPServer::stopAll() fails harmlessly instead of cutting a live WebSocket.
struct DescriptorTaker : Poco::Net::SocketImpl {
    static int take(Poco::Net::SocketImpl& impl) {
        int fd = impl.sockfd();
        (impl.*(&DescriptorTaker::reset))(POCO_INVALID_SOCKET);
        return fd;
    }
};

}  // namespace

struct Reactor::Impl {
    ReactorOptions options;
    std::atomic<std::size_t> open_count{0};
    std::atomic<std::uint64_t> next_id{1};
    std::vector<std::unique_ptr<ReactorLoop>> loops;
    std::mutex lifecycle;
    bool started = false;
    bool stopped = false;
};

Reactor::Reactor(ReactorOptions options) : impl_(std::make_unique<Impl>()) {
    if (options.threads < 1) options.threads = 1;
    impl_->options = options;
    for (int i = 0; i < options.threads; ++i)
        impl_->loops.push_back(std::make_unique<ReactorLoop>(impl_->options, impl_->open_count));
}

Reactor::~Reactor() { stop(); }

void Reactor::start() {
    std::lock_guard lock(impl_->lifecycle);
    if (impl_->started || impl_->stopped) return;
    impl_->started = true;
    for (auto& loop : impl_->loops) loop->start();
}

void Reactor::stop() {
    std::lock_guard lock(impl_->lifecycle);
    if (impl_->stopped) return;
    impl_->stopped = true;
    if (!impl_->started) {
        // Sockets adopted before start() are served just long enough to be closed like the others.
        impl_->started = true;
        for (auto& loop : impl_->loops) loop->start();
    }
    for (auto& loop : impl_->loops) loop->requestStop();
    for (auto& loop : impl_->loops) loop->join();
}

void Reactor::adopt(Poco::Net::StreamSocket socket, std::shared_ptr<Handler> handler, std::string pending) {
    if (!handler) throw std::invalid_argument("Reactor::adopt needs a handler");
    if (socket.impl()->sockfd() == POCO_INVALID_SOCKET) throw std::invalid_argument("Reactor::adopt: closed socket");
    std::string peer;
    try {
        peer = socket.peerAddress().toString();
    } catch (const Poco::Exception&) {
        // Already disconnected: the first read will say so and end the connection with 1006.
    }
    int fd = DescriptorTaker::take(*socket.impl());
    int flags = ::fcntl(fd, F_GETFL, 0);
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // small frames go out at once

    std::uint64_t id = impl_->next_id.fetch_add(1, std::memory_order_relaxed);
    ReactorLoop& loop = *impl_->loops[id % impl_->loops.size()];
    auto connection = std::make_shared<WsConnection>(id, fd, std::move(peer), std::move(handler), loop, impl_->options);
    if (!loop.adopt(std::move(connection), std::move(pending))) ::close(fd);  // stopping: refused, never opened
}

std::size_t Reactor::connections() const { return impl_->open_count.load(std::memory_order_relaxed); }

const ReactorOptions& Reactor::options() const { return impl_->options; }

}  // namespace parley::core::realtime

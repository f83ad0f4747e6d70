// Resolves first and checks every address, then connects to the checked address (plain HTTP), so a name
// cannot be re-pointed at a private address between the check and the connection. Connections are kept alive
// per calling thread and target, so a sender thread posting to one receiver reuses one connection.
#include "net/outbound_http.hpp"

#include <Poco/Net/Context.h>
#include <Poco/Net/DNS.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/NetException.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <thread>

namespace parley::core {

bool isPrivateAddress(const std::string& text) {
    Poco::Net::IPAddress ip;
    if (!Poco::Net::IPAddress::tryParse(text, ip)) return true;  // not an address: refuse
    if (ip.family() == Poco::Net::AddressFamily::IPv6 && (ip.isIPv4Mapped() || ip.isIPv4Compatible())) {
        std::string v4 = ip.toString();
        auto colon = v4.rfind(':');
        if (colon != std::string::npos && v4.find('.') != std::string::npos) return isPrivateAddress(v4.substr(colon + 1));
    }
    if (ip.isLoopback() || ip.isWildcard() || ip.isLinkLocal() || ip.isSiteLocal() || ip.isMulticast() ||
        ip.isBroadcast())
        return true;
    if (ip.family() == Poco::Net::AddressFamily::IPv4) {
        const auto* b = reinterpret_cast<const unsigned char*>(ip.addr());
        if (b[0] == 0 || b[0] == 10 || b[0] == 127) return true;
        if (b[0] == 100 && (b[1] & 0xC0) == 64) return true;  // 100.64.0.0/10 shared address space
        if (b[0] == 172 && (b[1] & 0xF0) == 16) return true;
        if (b[0] == 192 && b[1] == 168) return true;
        if (b[0] == 169 && b[1] == 254) return true;
        if (b[0] >= 224) return true;
        return false;
    }
    const auto* b = reinterpret_cast<const unsigned char*>(ip.addr());
    if ((b[0] & 0xFE) == 0xFC) return true;  // fc00::/7 unique local
    return false;
}

namespace {

struct Target {
    std::string scheme, host, path;
    unsigned short port = 0;
    std::string address;  // the checked IP to connect to
};

Target resolve(const OutboundRequest& request, const OutboundPolicy& policy) {
    Poco::URI uri;
    try {
        uri = Poco::URI(request.url);
    } catch (const Poco::Exception& e) {
        throw OutboundRefused(false, "malformed URL '" + request.url + "': " + e.message());
    }
    Target t;
    t.scheme = Poco::toLower(uri.getScheme());
    if (t.scheme != "http" && t.scheme != "https")
        throw OutboundRefused(false, "URL must be http:// or https:// (got '" + request.url + "')");
    t.host = uri.getHost();
    if (t.host.empty()) throw OutboundRefused(false, "URL has no host: '" + request.url + "'");
    t.port = uri.getPort();
    t.path = uri.getPathAndQuery();
    if (t.path.empty()) t.path = "/";
    bool allowed_by_name =
        std::find(policy.allowed_hosts.begin(), policy.allowed_hosts.end(), Poco::toLower(t.host)) != policy.allowed_hosts.end();
    std::vector<std::string> addresses;
    Poco::Net::IPAddress literal;
    if (Poco::Net::IPAddress::tryParse(t.host, literal)) {
        addresses.push_back(literal.toString());
    } else {
        try {
            Poco::Net::HostEntry entry = Poco::Net::DNS::hostByName(t.host);  // keep it alive through the loop
            for (const auto& a : entry.addresses()) addresses.push_back(a.toString());
        } catch (const Poco::Exception& e) {
            throw std::runtime_error("cannot resolve '" + t.host + "': " + e.message());
        }
    }
    if (addresses.empty()) throw std::runtime_error("'" + t.host + "' has no address");
    if (!policy.allow_private_targets && !allowed_by_name) {
        for (const auto& a : addresses)
            if (isPrivateAddress(a))
                throw OutboundRefused(true, "target '" + t.host + "' resolves to private address " + a +
                                                "; an operator may allow it with http.allow_private_targets or "
                                                "http.allowed_private_hosts");
    }
    t.address = addresses.front();
    return t;
}

constexpr int kIdleKeepAliveSeconds = 2;  // below common server idle timeouts (nginx 75 s, Node 5 s)
constexpr std::size_t kMaxIdleSessions = 32;  // per thread

using Session = std::unique_ptr<Poco::Net::HTTPClientSession>;

// This thread's idle kept-alive connections by target; a session is taken out while in use.
std::multimap<std::string, Session>& idleSessions() {
    thread_local std::multimap<std::string, Session> sessions;
    return sessions;
}

std::string sessionKey(const Target& t) {
    return t.scheme + "://" + t.host + "@" + t.address + ":" + std::to_string(t.port);
}

// Whether `fd` has something to read (or hung up) at once. poll(2) directly: Poco 1.11's Socket::poll opens and
// closes an epoll instance on every call, and this runs before every reused request.
bool readableNow(poco_socket_t fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) != 0;  // an error counts as readable: the session is not reused
}

// An idle session that still looks open (a socket readable while idle means the server closed it), or none.
Session takeIdle(const std::string& key) {
    auto& idle = idleSessions();
    auto it = idle.find(key);
    while (it != idle.end() && it->first == key) {
        Session s = std::move(it->second);
        it = idle.erase(it);
        try {
            if (s->connected() && !readableNow(s->socket().impl()->sockfd())) return s;
        } catch (const Poco::Exception&) {
        }
    }
    return nullptr;
}

Session newSession(const Target& t) {
    Session session;
    if (t.scheme == "https") {
        static Poco::Net::Context::Ptr context = new Poco::Net::Context(
            Poco::Net::Context::TLS_CLIENT_USE, "", "", "/etc/ssl/certs", Poco::Net::Context::VERIFY_RELAXED);
        session = std::make_unique<Poco::Net::HTTPSClientSession>(t.host, t.port, context);
    } else {
        // Connect to the address we checked, not to whatever the name resolves to now.
        session = std::make_unique<Poco::Net::HTTPClientSession>(Poco::Net::SocketAddress(t.address, t.port));
    }
    session->setKeepAlive(true);
    session->setKeepAliveTimeout(Poco::Timespan(kIdleKeepAliveSeconds, 0));
    return session;
}

OutboundResponse exchange(Poco::Net::HTTPClientSession& session, const OutboundRequest& request, const Target& t,
                          int timeout_ms, size_t max_bytes, bool& keep) {
    session.setTimeout(Poco::Timespan(static_cast<long>(timeout_ms) * 1000));
    Poco::Net::HTTPRequest req(request.method, t.path, Poco::Net::HTTPMessage::HTTP_1_1);
    req.setHost(t.host, t.port);
    req.set("User-Agent", "parleyd/" PARLEY_VERSION);
    for (const auto& [k, v] : request.headers) req.set(k, v);
    req.setKeepAlive(true);
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT" || request.method == "PATCH")
        req.setContentLength(static_cast<std::streamsize>(request.body.size()));
    std::ostream& out = session.sendRequest(req);
    // Poco sends the header and the body in two writes: without this, Nagle's algorithm may hold the body back
    // until the receiver acknowledges the header, which a receiver delaying its acknowledgements does late.
    session.socket().setNoDelay(true);
    out.write(request.body.data(), static_cast<std::streamsize>(request.body.size()));
    Poco::Net::HTTPResponse resp;
    std::istream& in = session.receiveResponse(resp);
    OutboundResponse r;
    r.status = resp.getStatus();
    for (const auto& [k, v] : resp) r.headers.emplace_back(k, v);
    char buffer[8192];
    while (in) {
        in.read(buffer, sizeof buffer);
        r.body.append(buffer, static_cast<size_t>(in.gcount()));
        if (r.body.size() > max_bytes)
            throw std::runtime_error("response body from '" + t.host + "' exceeds " + std::to_string(max_bytes) + " bytes");
    }
    keep = resp.getKeepAlive() && in.eof();
    return r;
}

// One attempt. A kept-alive connection the server closed meanwhile fails before any answer (NoMessageException,
// or a reset while writing): that case alone is tried once more on a new connection.
OutboundResponse attempt(const OutboundRequest& request, const Target& t, int timeout_ms, size_t max_bytes) {
    std::string key = sessionKey(t);
    Session session = takeIdle(key);
    bool reused = session != nullptr;
    if (!session) session = newSession(t);
    bool keep = false;
    OutboundResponse r;
    try {
        r = exchange(*session, request, t, timeout_ms, max_bytes, keep);
    } catch (const Poco::Net::NoMessageException&) {
        if (!reused) throw;
        session = newSession(t);
        r = exchange(*session, request, t, timeout_ms, max_bytes, keep);
    } catch (const Poco::Net::ConnectionResetException&) {
        if (!reused) throw;
        session = newSession(t);
        r = exchange(*session, request, t, timeout_ms, max_bytes, keep);
    }
    auto& idle = idleSessions();
    if (keep && idle.size() < kMaxIdleSessions) idle.emplace(key, std::move(session));
    return r;
}

}  // namespace

OutboundResponse sendOutbound(const OutboundRequest& request, const OutboundPolicy& policy) {
    Target t = resolve(request, policy);
    int timeout = std::clamp(request.timeout_ms, 100, policy.max_timeout_ms);
    size_t max_bytes = std::min(request.max_response_bytes, policy.max_response_bytes);
    int attempts = 1 + std::clamp(request.retries, 0, 5);
    std::string last_error;
    for (int i = 0; i < attempts; ++i) {
        if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100 << (i - 1)));  // back-off: 100, 200, 400 ms
        try {
            OutboundResponse r = attempt(request, t, timeout, max_bytes);
            r.attempts = i + 1;
            if ((r.status == 429 || r.status >= 500) && i + 1 < attempts) {
                last_error = "status " + std::to_string(r.status);
                continue;
            }
            return r;
        } catch (const Poco::Exception& e) {
            last_error = e.displayText();
        } catch (const std::runtime_error& e) {
            if (std::string(e.what()).find("exceeds") != std::string::npos) throw;  // a size cap is not transient
            last_error = e.what();
        }
    }
    throw std::runtime_error(request.method + " " + request.url + " failed after " + std::to_string(attempts) +
                             " attempt(s): " + last_error);
}

}  // namespace parley::core

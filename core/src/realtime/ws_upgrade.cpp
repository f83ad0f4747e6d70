// The WebSocket opening handshake inside a Poco request handler, then the socket's hand-off to the reactor.
#include "realtime/ws_upgrade.hpp"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Buffer.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/SHA1Engine.h>
#include <Poco/String.h>

#include <cctype>
#include <sstream>
#include <stdexcept>

namespace parley::core::realtime {

namespace {

const std::string kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";  // RFC 6455 section 1.3

struct Problem {
    int status = 0;  // 0: a valid upgrade
    std::string message;
};

// True when the comma-separated header value lists `token` (case-insensitive), as in "keep-alive, Upgrade".
bool hasToken(const std::string& value, const std::string& token) {
    std::istringstream items(value);
    std::string item;
    while (std::getline(items, item, ','))
        if (Poco::icompare(Poco::trim(item), token) == 0) return true;
    return false;
}

// The number of bytes `key` decodes to, or -1 when it is not base64.
long decodedSize(const std::string& key) {
    if (key.empty() || key.size() % 4 != 0) return -1;
    for (char c : key)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=')) return -1;
    try {
        std::istringstream in(key);
        Poco::Base64Decoder decoder(in);
        long n = 0;
        while (decoder.get() != std::char_traits<char>::eof()) ++n;
        return n;
    } catch (const Poco::Exception&) {
        return -1;
    }
}

Problem check(const Poco::Net::HTTPServerRequest& request) {
    if (request.getMethod() != Poco::Net::HTTPRequest::HTTP_GET)
        return {400, "a WebSocket upgrade must be a GET, not " + request.getMethod()};
    if (!hasToken(request.get("Upgrade", ""), "websocket"))
        return {400, "not a WebSocket upgrade: the request needs 'Upgrade: websocket'"};
    if (!hasToken(request.get("Connection", ""), "upgrade"))
        return {400, "not a WebSocket upgrade: the Connection header must list 'Upgrade'"};
    std::string version = Poco::trim(request.get("Sec-WebSocket-Version", ""));
    if (version != "13")
        return {426, version.empty() ? "missing Sec-WebSocket-Version (this server speaks 13)"
                                     : "Sec-WebSocket-Version " + version + " is not supported (use 13)"};
    if (decodedSize(Poco::trim(request.get("Sec-WebSocket-Key", ""))) != 16)
        return {400, "Sec-WebSocket-Key must be 16 bytes in base64"};
    return {};
}

}  // namespace

std::string acceptKey(const std::string& client_key) {
    Poco::SHA1Engine sha1;
    sha1.update(client_key + kGuid);
    const Poco::DigestEngine::Digest& digest = sha1.digest();
    std::ostringstream out;
    Poco::Base64Encoder base64(out);
    base64.write(reinterpret_cast<const char*>(digest.data()), static_cast<std::streamsize>(digest.size()));
    base64.close();
    return out.str();
}

std::string upgradeProblem(const Poco::Net::HTTPServerRequest& request) { return check(request).message; }

void refuseUpgrade(const Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
    Problem problem = check(request);
    if (problem.status == 0) problem = {400, "the request is a valid upgrade; refused by the caller"};
    response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(problem.status));
    if (problem.status == 426) response.set("Sec-WebSocket-Version", "13");
    response.setContentType("text/plain; charset=utf-8");
    response.setContentLength(static_cast<std::streamsize>(problem.message.size()));
    response.send() << problem.message;
}

void upgrade(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, Reactor& reactor,
             std::shared_ptr<Handler> handler) {
    if (check(request).status != 0) {
        refuseUpgrade(request, response);
        return;
    }
    auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request);
    if (!impl) throw std::logic_error("realtime::upgrade needs a request from Poco's HTTPServer");

    response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_SWITCHING_PROTOCOLS);
    response.set("Upgrade", "websocket");
    response.set("Connection", "Upgrade");
    response.set("Sec-WebSocket-Accept", acceptKey(Poco::trim(request.get("Sec-WebSocket-Key"))));
    // No Content-Length: a 1xx response has no body, and Poco writes just the headers for status < 200.
    response.send().flush();

    // The session's socket becomes an empty one, so Poco's connection loop finds no more requests and its
    // thread goes back to the pool as soon as this handler returns.
    Poco::Net::StreamSocket socket = impl->detachSocket();
    // A client may send its first frame right behind the handshake; Poco may have read it into its buffer.
    Poco::Buffer<char> buffered(0);
    impl->session().drainBuffer(buffered);
    reactor.adopt(std::move(socket), std::move(handler), std::string(buffered.begin(), buffered.size()));
}

}  // namespace parley::core::realtime

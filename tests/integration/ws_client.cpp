#include "ws_client.hpp"

#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/StreamSocket.h>

#include <boost/test/unit_test.hpp>

#include <Poco/Net/SocketAddress.h>
#include <Poco/String.h>

#include <chrono>
#include <sstream>

namespace parley::test {

using Poco::Net::WebSocket;

JsonObject frame(std::initializer_list<std::pair<const char*, std::string>> fields) {
    JsonObject o = parley::core::jsonObject();
    for (const auto& [k, v] : fields) o->set(k, v);
    return o;
}

WsClient::WsClient(int port, const std::string& target, const std::map<std::string, std::string>& headers) {
    session_ = std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", static_cast<Poco::UInt16>(port));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, target, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [k, v] : headers) request.set(k, v);
    Poco::Net::HTTPResponse response;
    try {
        ws_ = std::make_unique<WebSocket>(*session_, request, response);
    } catch (const Poco::Exception& e) {
        BOOST_FAIL("WebSocket upgrade to " + target + " failed: " + e.displayText() + " (HTTP " +
                   std::to_string(static_cast<int>(response.getStatus())) + ")");
    }
    ws_->setMaxPayloadSize(4 << 20);
}

WsClient::~WsClient() {
    try {
        if (ws_ && !closed_) ws_->shutdown();
    } catch (...) {
    }
}

// Raw bytes on a socket: Poco's HTTP client would rewrite the Connection header to keep-alive.
Response WsClient::refused(int port, const std::string& target, const std::map<std::string, std::string>& headers) {
    std::map<std::string, std::string> all = {{"Upgrade", "websocket"},
                                              {"Connection", "Upgrade"},
                                              {"Sec-WebSocket-Version", "13"},
                                              {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}};
    for (const auto& [k, v] : headers) all[k] = v;
    std::string text = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const auto& [k, v] : all) text += k + ": " + v + "\r\n";
    text += "\r\n";
    Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
    socket.setReceiveTimeout(Poco::Timespan(10, 0));
    socket.sendBytes(text.data(), static_cast<int>(text.size()));
    std::string raw;
    char buffer[4096];
    for (;;) {
        int n = socket.receiveBytes(buffer, sizeof buffer);
        if (n <= 0) break;
        raw.append(buffer, static_cast<size_t>(n));
        auto end = raw.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        auto length_at = Poco::toLower(raw.substr(0, end)).find("content-length:");
        size_t length = length_at == std::string::npos ? 0 : std::stoul(raw.substr(length_at + 15));
        if (raw.size() >= end + 4 + length) break;
    }
    Response r;
    auto end = raw.find("\r\n\r\n");
    BOOST_REQUIRE_MESSAGE(end != std::string::npos && raw.size() > 12, "no HTTP answer to the upgrade");
    r.status = std::stoi(raw.substr(9, 3));
    r.body = raw.substr(end + 4);
    std::istringstream lines(raw.substr(0, end));
    std::string line;
    std::getline(lines, line);
    while (std::getline(lines, line)) {
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string value = Poco::trim(line.substr(colon + 1));
        r.headers[Poco::toLower(line.substr(0, colon))] = value;
    }
    return r;
}

void WsClient::send(const std::string& text) {
    ws_->sendFrame(text.data(), static_cast<int>(text.size()), WebSocket::FRAME_TEXT);
}

void WsClient::sendBinary(const std::string& bytes) {
    ws_->sendFrame(bytes.data(), static_cast<int>(bytes.size()), WebSocket::FRAME_BINARY);
}

void WsClient::sendRawBytes(const std::string& bytes) {
    ws_->sendBytes(bytes.data(), static_cast<int>(bytes.size()));
}

bool WsClient::readFrame(int timeout_ms, JsonObject& out) {
    if (closed_) return false;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        ws_->setReceiveTimeout(Poco::Timespan(left.count() * 1000));
        Poco::Buffer<char> buffer(0);
        int flags = 0;
        int n = 0;
        try {
            n = ws_->receiveFrame(buffer, flags);
        } catch (const Poco::TimeoutException&) {
            return false;
        } catch (const Poco::Exception& e) {
            closed_ = true;
            close_code_ = 0;
            close_reason_ = e.displayText();
            return false;
        }
        int op = flags & WebSocket::FRAME_OP_BITMASK;
        if (n == 0 && flags == 0) {  // the peer shut down
            closed_ = true;
            close_code_ = 0;
            return false;
        }
        if (op == WebSocket::FRAME_OP_CLOSE) {
            closed_ = true;
            close_code_ = n >= 2 ? ((static_cast<unsigned char>(buffer[0]) << 8) | static_cast<unsigned char>(buffer[1])) : 1005;
            close_reason_ = n > 2 ? std::string(buffer.begin() + 2, n - 2) : "";
            return false;
        }
        if (op != WebSocket::FRAME_OP_TEXT) continue;  // pings are answered by Poco; nothing else is expected
        std::string text(buffer.begin(), static_cast<size_t>(n));
        Poco::Dynamic::Var v = parley::core::parseJson(text);
        out = v.extract<JsonObject>();
        return true;
    }
}

JsonObject WsClient::next(int timeout_ms) {
    if (!kept_.empty()) {
        JsonObject f = kept_.front();
        kept_.pop_front();
        return f;
    }
    JsonObject f;
    if (!readFrame(timeout_ms, f))
        BOOST_FAIL("no frame within " + std::to_string(timeout_ms) + " ms" + (closed_ ? " (socket closed: " + std::to_string(close_code_) + " " + close_reason_ + ")" : ""));
    return f;
}

JsonObject WsClient::nextOf(const std::string& type, int timeout_ms) {
    for (auto it = kept_.begin(); it != kept_.end(); ++it)
        if ((*it)->optValue<std::string>("type", "") == type) {
            JsonObject f = *it;
            kept_.erase(it);
            return f;
        }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        JsonObject f;
        if (left.count() <= 0 || !readFrame(static_cast<int>(left.count()), f))
            BOOST_FAIL("no '" + type + "' frame within " + std::to_string(timeout_ms) + " ms" +
                       (closed_ ? " (socket closed: " + std::to_string(close_code_) + " " + close_reason_ + ")" : ""));
        if (f->optValue<std::string>("type", "") == type) return f;
        kept_.push_back(f);
    }
}

bool WsClient::receivesOf(const std::string& type, int timeout_ms) {
    for (const auto& f : kept_)
        if (f->optValue<std::string>("type", "") == type) return true;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        JsonObject f;
        if (left.count() <= 0 || !readFrame(static_cast<int>(left.count()), f)) return false;
        kept_.push_back(f);
        if (f->optValue<std::string>("type", "") == type) return true;
    }
}

int WsClient::closeCode(int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!closed_) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return -1;
        JsonObject f;
        if (readFrame(static_cast<int>(left.count()), f)) kept_.push_back(f);
    }
    return close_code_;
}

}  // namespace parley::test

// A blocking WebSocket client for tests (Poco's client side), speaking Parley's realtime JSON frames.
#pragma once

#include "harness.hpp"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/WebSocket.h>

#include <deque>
#include <memory>
#include <string>

namespace parley::test {

class WsClient {
public:
    // Connects to ws://127.0.0.1:<port><target>; fails the test unless the upgrade succeeds.
    WsClient(int port, const std::string& target, const std::map<std::string, std::string>& headers = {});
    ~WsClient();

    void send(const std::string& text);
    void send(const JsonObject& frame) { send(json(frame)); }
    // The next text frame as JSON; fails the test after `timeout_ms` without one.
    JsonObject next(int timeout_ms = 5000);
    // The next frame of this type (earlier frames of other types are kept for later next() calls).
    JsonObject nextOf(const std::string& type, int timeout_ms = 5000);
    // True when a frame of this type arrives within `timeout_ms` (kept frames count).
    bool receivesOf(const std::string& type, int timeout_ms);
    // Waits for the server's close frame; returns its code (0 when the socket just dropped), -1 on timeout.
    int closeCode(int timeout_ms = 5000);
    std::string closeReason() const { return close_reason_; }
    // Sends raw bytes on the socket (for malformed-frame tests).
    void sendRawBytes(const std::string& bytes);
    void sendBinary(const std::string& bytes);

    // The result of an upgrade that must fail: status and body of the HTTP answer.
    static Response refused(int port, const std::string& target, const std::map<std::string, std::string>& headers = {});

private:
    bool readFrame(int timeout_ms, JsonObject& out);
    std::unique_ptr<Poco::Net::HTTPClientSession> session_;
    std::unique_ptr<Poco::Net::WebSocket> ws_;
    std::deque<JsonObject> kept_;
    bool closed_ = false;
    int close_code_ = -1;
    std::string close_reason_;
};

// Builds a frame: frame({{"type","hello"},...}) with string values.
JsonObject frame(std::initializer_list<std::pair<const char*, std::string>> fields);

}  // namespace parley::test

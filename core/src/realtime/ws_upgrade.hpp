// The WebSocket opening handshake (RFC 6455 section 4.2) inside Poco's HTTP server, then hand-off to the reactor.
#pragma once

#include "realtime/reactor.hpp"

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <string>

namespace parley::core::realtime {

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key.
std::string acceptKey(const std::string& client_key);

// Why a request is not a valid upgrade ("" when it is): missing or wrong Upgrade/Connection headers, a version
// other than 13, a key that is not 16 base64-encoded bytes.
std::string upgradeProblem(const Poco::Net::HTTPServerRequest& request);

// Answers 101 Switching Protocols, detaches the socket from Poco's server (its thread returns to the pool) and
// gives it to the reactor. Call only when upgradeProblem() is "".
void upgrade(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, Reactor& reactor,
             std::shared_ptr<Handler> handler);

}  // namespace parley::core::realtime

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

// Answers a request that is not a valid upgrade: 426 Upgrade Required with `Sec-WebSocket-Version: 13` when the
// version is wrong or missing, 400 otherwise; the body names the problem.
void refuseUpgrade(const Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

// Answers 101 Switching Protocols, detaches the socket from Poco's server (its thread returns to the pool) and
// gives it to the reactor, with any bytes Poco had read past the request. Call only when upgradeProblem() is
// ""; if it is not, the request is refused as refuseUpgrade() does and nothing is adopted.
void upgrade(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, Reactor& reactor,
             std::shared_ptr<Handler> handler);

}  // namespace parley::core::realtime

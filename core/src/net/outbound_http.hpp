// Outgoing HTTP for plugins and the core: timeouts, retries, size caps, and no private targets by default.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace parley::core {

struct OutboundRequest {
    std::string method = "GET";
    std::string url;  // http:// or https://
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    int timeout_ms = 10'000;               // per attempt, connect and each read
    size_t max_response_bytes = 1 << 20;   // larger bodies fail the request
    int retries = 0;                       // extra attempts on connection errors, 429 and 5xx
};

struct OutboundResponse {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    int attempts = 0;
};

struct OutboundPolicy {
    bool allow_private_targets = false;        // loopback, RFC 1918, link-local, CGNAT, ULA...
    std::vector<std::string> allowed_hosts;    // private hosts allowed by name even when the above is false
    int max_timeout_ms = 60'000;
    size_t max_response_bytes = 16 << 20;
};

// Why a request was not even attempted (bad URL, denied target): maps to PARLEY_ERR_INVALID_ARGUMENT/DENIED.
class OutboundRefused : public std::runtime_error {
public:
    OutboundRefused(bool denied, const std::string& message) : std::runtime_error(message), denied_(denied) {}
    bool denied() const { return denied_; }

private:
    bool denied_;
};

// True for addresses a server should not reach on a caller's behalf unless allowed: loopback, private,
// link-local, shared (100.64/10), unspecified, multicast, IPv6 ULA and IPv4-mapped forms of those.
bool isPrivateAddress(const std::string& ip);

// Sends the request. Throws OutboundRefused before any connection for a malformed URL or a denied target,
// std::runtime_error when every attempt failed (timeout, connection refused, oversize body).
OutboundResponse sendOutbound(const OutboundRequest& request, const OutboundPolicy& policy);

}  // namespace parley::core

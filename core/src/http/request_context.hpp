// One HTTP request as handlers see it: route parameters, the body with limits, the caller, the response.
#pragma once

#include "auth/principal.hpp"
#include "http/json.hpp"

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <map>
#include <optional>
#include <string>

namespace parley::core {

struct App;

class RequestContext {
public:
    RequestContext(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, App& app);

    Poco::Net::HTTPServerRequest& request;
    Poco::Net::HTTPServerResponse& response;
    App& app;
    std::map<std::string, std::string> params;  // from the route pattern's {name} segments
    std::string route;                          // the matched pattern, for metrics and logs

    // A path parameter; throws ApiError 404 when `must_be_uuid` and it is not one (no database error).
    std::string param(const std::string& name, bool must_be_uuid = false) const;
    // A query-string parameter, URL-decoded.
    std::optional<std::string> query(const std::string& name) const;
    // The latest time (ms since the epoch, 9999-12-31T23:59:59.999Z) a query parameter may name.
    static constexpr long long kLatestMs = 253'402'300'799'999;

    // An integer query parameter, `fallback` when absent; 400 `invalid_query` ("<name> must be <min> to <max>",
    // then `unit` in parentheses when given) when it is not wholly an integer ("12abc" is not) or out of range.
    long long queryInt(const std::string& name, long long fallback, long long min, long long max,
                       const std::string& unit = "") const;
    const std::string& path() const { return path_; }

    // The raw body bytes, read once; throws ApiError 413 above server.max_body_bytes.
    const std::string& body();
    // The body with its own size limit (uploads); 413 `body_too_large` beyond it.
    const std::string& bodyUpTo(long long limit);
    // The body parsed as a JSON object with the configured depth limit; 415 for another content type.
    JsonObject json();

    // The client's address (X-Forwarded-For only when server.trust_proxy), and its keyed hash.
    const std::string& clientIp() const { return client_ip_; }
    std::string ipHash() const;

    // The signed-in caller; set by the router on authenticated routes.
    const Principal& principal() const { return *principal_; }
    std::optional<Principal> principal_;

    // Responses. Each sends once; later calls are ignored.
    void sendJson(int status, const JsonObject& body);
    void sendJson(int status, const JsonArray& body);
    void sendRaw(int status, const std::string& content_type, const std::string& body);
    void sendEmpty(int status);
    bool sent() const { return sent_; }
    // The socket became a WebSocket (101 sent, socket handed to the reactor): nothing more goes out here.
    void markUpgraded();
    int status() const { return status_; }
    size_t bytesSent() const { return bytes_sent_; }

private:
    void closeIfBodyUnread();
    std::string path_;
    std::string query_string_;
    std::string client_ip_;
    std::optional<std::string> body_;
    bool sent_ = false;
    int status_ = 0;
    size_t bytes_sent_ = 0;
};

// {"error": {"code": ..., "message": ...}}
JsonObject errorBody(const std::string& code, const std::string& message);

}  // namespace parley::core

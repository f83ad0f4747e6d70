// The one HTTPRequestHandlerFactory: matches routes, authenticates, limits, times, logs and maps errors.
#pragma once

#include "http/request_context.hpp"

#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include <functional>
#include <string>
#include <vector>

namespace parley::core {

using Handler = std::function<void(RequestContext&)>;

enum class Guard {
    open,          // no limit, no auth (health, metrics, static)
    public_api,    // anyone, limited per IP (widget config, public compat routes)
    signed_in,     // a valid session or bearer token; CSRF checked for cookie sessions on writes
    signed_in_any  // like signed_in, but allowed while the user must still change their password
};

class Router : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit Router(App& app) : app_(app) {}

    // Adds a route; `pattern` segments like {tenant_id} become ctx.param("tenant_id"); a last segment "*"
    // takes the rest of the path as ctx.param("*"). Method "*" accepts any method.
    void add(const std::string& method, const std::string& pattern, Guard guard, Handler handler);

    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& request) override;

    // Dispatches one request: everything that happens between the socket and a handler.
    void dispatch(RequestContext& ctx);

    // All routes, for docs and tests.
    struct Route {
        std::string method;
        std::string pattern;
        std::vector<std::string> segments;
        Guard guard;
        Handler handler;
    };
    const std::vector<Route>& routes() const { return routes_; }

private:
    const Route* match(RequestContext& ctx, bool& path_matched, std::string& allowed);
    App& app_;
    std::vector<Route> routes_;
};

// "/a/b/" -> {"a", "b", ""}: the segments of a path, as route patterns and paths are matched.
std::vector<std::string> splitPath(const std::string& path);
// True for a pattern segment like "{id}", which matches any non-empty segment.
bool isParameterSegment(const std::string& segment);

// Maps any exception to the JSON error body and status (the one place that does).
void sendException(RequestContext& ctx, std::exception_ptr error);

}  // namespace parley::core

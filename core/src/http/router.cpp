// Route matching and the request lifecycle: limits, auth, handler, error mapping, metrics, access log.
#include "http/router.hpp"

#include "app/app.hpp"
#include "app/errors.hpp"
#include "auth/auth_service.hpp"
#include "http/access_log.hpp"
#include "http/static_files.hpp"
#include "store/database.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

#include <chrono>
#include <set>

namespace parley::core {

std::vector<std::string> splitPath(const std::string& path) {
    std::vector<std::string> out;
    size_t start = 1;
    while (start <= path.size()) {
        size_t slash = path.find('/', start);
        out.push_back(path.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    return out;
}

bool isParameterSegment(const std::string& segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

namespace {

class RequestHandler : public Poco::Net::HTTPRequestHandler {
public:
    RequestHandler(Router& router, App& app) : router_(router), app_(app) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
        RequestContext ctx(request, response, app_);
        router_.dispatch(ctx);
    }

private:
    Router& router_;
    App& app_;
};

}  // namespace

void Router::add(const std::string& method, const std::string& pattern, Guard guard, Handler handler) {
    routes_.push_back({method, pattern, splitPath(pattern), guard, std::move(handler)});
}

Poco::Net::HTTPRequestHandler* Router::createRequestHandler(const Poco::Net::HTTPServerRequest&) {
    return new RequestHandler(*this, app_);
}

const Router::Route* Router::match(RequestContext& ctx, bool& path_matched, std::string& allowed) {
    std::vector<std::string> parts = splitPath(ctx.path());
    const std::string& method = ctx.request.getMethod();
    const Route* found = nullptr;
    for (const auto& r : routes_) {
        bool tail = !r.segments.empty() && r.segments.back() == "*";
        size_t fixed = tail ? r.segments.size() - 1 : r.segments.size();
        if (tail ? parts.size() < fixed : parts.size() != fixed) continue;
        std::map<std::string, std::string> params;
        bool ok = true;
        if (tail) {  // "*" takes the rest of the path, as "/a/b" ("" when nothing is left)
            std::string rest;
            for (size_t i = fixed; i < parts.size(); ++i) rest += "/" + parts[i];
            params["*"] = rest;
        }
        for (size_t i = 0; i < fixed && ok; ++i) {
            const std::string& seg = r.segments[i];
            if (isParameterSegment(seg))
                ok = !parts[i].empty() && (params[seg.substr(1, seg.size() - 2)] = parts[i], true);
            else
                ok = seg == parts[i];
        }
        if (!ok) continue;
        path_matched = true;
        allowed += (allowed.empty() ? "" : ", ") + r.method;
        if (!found && (r.method == method || r.method == "*" || (method == "HEAD" && r.method == "GET"))) {
            found = &r;
            ctx.params = std::move(params);
        }
    }
    return found;
}

void sendException(RequestContext& ctx, std::exception_ptr error) {
    if (ctx.sent()) return;
    try {
        std::rethrow_exception(error);
    } catch (const ApiError& e) {
        if (e.retryAfter() > 0) ctx.response.set("Retry-After", std::to_string(e.retryAfter()));
        ctx.sendJson(e.status(), errorBody(e.code(), e.what()));
    } catch (const std::exception& e) {
        ctx.app.log->error(std::string("unhandled error on ") + ctx.request.getMethod() + " " + ctx.path() + ": " +
                           e.what());
        ctx.sendJson(500, errorBody("internal_error",
                                    "the server failed to handle this request; it has been logged"));
    }
}

void Router::dispatch(RequestContext& ctx) {
    auto started = std::chrono::steady_clock::now();
    app_.in_flight++;
    const std::string& method = ctx.request.getMethod();
    try {
        bool path_matched = false;
        std::string allowed;
        const Route* route = match(ctx, path_matched, allowed);
        if (!route) {
            if (path_matched) {
                ctx.route = "method_not_allowed";  // never the raw path: metric labels must stay bounded
                ctx.response.set("Allow", allowed);
                throw ApiError(405, "method_not_allowed", method + " is not allowed on " + ctx.path() +
                                                              " (allowed: " + allowed + ")");
            }
            if ((method == "GET" || method == "HEAD") && ctx.path().rfind("/api/", 0) != 0 &&
                ctx.path().rfind("/hooks/", 0) != 0) {
                ctx.route = "static";
                app_.static_files->serve(ctx);
            } else {
                ctx.route = "unmatched";
                throw notFound("no route for " + method + " " + ctx.path());
            }
        } else {
            ctx.route = route->pattern;
            if (route->guard == Guard::public_api) {
                int wait = app_.ip_limiter.hit("ip:" + ctx.clientIp(), app_.config.rate_limits.public_per_ip_per_minute,
                                               nowMs());
                if (wait > 0)
                    throw tooManyRequests("rate_limited",
                                          "too many requests from this address; retry in " + std::to_string(wait) + " s",
                                          wait);
            }
            if (route->guard == Guard::signed_in || route->guard == Guard::signed_in_any)
                authenticate(ctx, route->guard == Guard::signed_in_any);
            route->handler(ctx);
            if (!ctx.sent()) ctx.sendEmpty(204);
        }
    } catch (...) {
        try {
            sendException(ctx, std::current_exception());
        } catch (...) {
            app_.in_flight--;
            throw;  // the connection is gone; Poco closes it
        }
    }
    app_.in_flight--;
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    static const std::set<std::string> known = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
    app_.metrics.observeRequest(known.count(method) ? method : "OTHER", ctx.route, ctx.status(), seconds);
    if (app_.config.log.access) writeAccessLog(ctx, seconds);
}

}  // namespace parley::core

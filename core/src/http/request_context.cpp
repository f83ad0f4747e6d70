// Request reading with limits and response writing for every handler.
#include "http/request_context.hpp"

#include "app/app.hpp"
#include "app/errors.hpp"
#include "auth/secret_box.hpp"
#include "store/database.hpp"

#include <Poco/Net/HTMLForm.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <charconv>

namespace parley::core {

RequestContext::RequestContext(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp, App& a)
    : request(req), response(resp), app(a) {
    const std::string& uri = req.getURI();
    auto q = uri.find('?');
    std::string raw_path = q == std::string::npos ? uri : uri.substr(0, q);
    if (q != std::string::npos) query_string_ = uri.substr(q + 1);
    try {
        Poco::URI::decode(raw_path, path_);
    } catch (const Poco::Exception&) {
        path_ = raw_path;
    }
    client_ip_ = req.clientAddress().host().toString();
    if (app.config.server.trust_proxy && req.has("X-Forwarded-For")) {
        std::string fwd = req.get("X-Forwarded-For");
        auto comma = fwd.find(',');
        client_ip_ = Poco::trim(comma == std::string::npos ? fwd : fwd.substr(0, comma));
    }
}

std::string RequestContext::param(const std::string& name, bool must_be_uuid) const {
    auto it = params.find(name);
    std::string value = it == params.end() ? "" : it->second;
    if (must_be_uuid) {
        if (!isUuid(value)) throw notFound(name + " '" + value + "' not found");
        // Ids are stored lower-case; PostgreSQL's uuid type would match other cases, SQLite's text would not.
        value = Poco::toLower(value);
    }
    return value;
}

long long RequestContext::queryInt(const std::string& name, long long fallback, long long min, long long max,
                                   const std::string& unit) const {
    long long value = fallback;
    bool ok = true;
    if (auto v = query(name)) {
        auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), value);
        ok = ec == std::errc() && end == v->data() + v->size();  // whole text (an empty one is an error)
    }
    if (!ok || value < min || value > max)
        throw badRequest("invalid_query", name + " must be " + std::to_string(min) + " to " + std::to_string(max) +
                                              (unit.empty() ? "" : " (" + unit + ")"));
    return value;
}

std::optional<std::string> RequestContext::query(const std::string& name) const {
    size_t start = 0;
    while (start <= query_string_.size()) {
        size_t amp = query_string_.find('&', start);
        std::string pair = query_string_.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
        auto eq = pair.find('=');
        std::string key = pair.substr(0, eq), value = eq == std::string::npos ? "" : pair.substr(eq + 1);
        std::string decoded_key, decoded_value;
        try {
            Poco::URI::decode(key, decoded_key, true);
            Poco::URI::decode(value, decoded_value, true);
        } catch (const Poco::Exception&) {
            throw badRequest("invalid_query", "query parameter '" + key + "' is not valid URL encoding");
        }
        if (decoded_key == name) return decoded_value;
        if (amp == std::string::npos) break;
        start = amp + 1;
    }
    return std::nullopt;
}

const std::string& RequestContext::body() { return bodyUpTo(app.config.server.max_body_bytes); }

const std::string& RequestContext::bodyUpTo(long long limit) {
    if (body_) return *body_;
    if (request.hasContentLength() && request.getContentLength64() > limit)
        throw ApiError(413, "body_too_large",
                       "request body of " + std::to_string(request.getContentLength64()) +
                           " bytes exceeds the limit of " + std::to_string(limit) + " bytes");
    std::string data;
    std::istream& in = request.stream();
    char buffer[8192];
    while (in) {
        in.read(buffer, sizeof buffer);
        data.append(buffer, static_cast<size_t>(in.gcount()));
        if (static_cast<long long>(data.size()) > limit)
            throw ApiError(413, "body_too_large",
                           "request body exceeds the limit of " + std::to_string(limit) + " bytes");
    }
    body_ = std::move(data);
    return *body_;
}

JsonObject RequestContext::json() {
    const std::string& type = request.getContentType();
    if (!type.empty() && type.find("application/json") == std::string::npos && type.find("+json") == std::string::npos)
        throw ApiError(415, "unsupported_media_type",
                       "request body must be application/json, got '" + type + "'");
    const std::string& text = body();
    if (text.empty()) throw badRequest("invalid_json", "request body is empty; send a JSON object");
    return parseJsonObject(text, static_cast<size_t>(app.config.server.max_json_depth));
}

std::string RequestContext::ipHash() const { return app.secrets->keyedHash(client_ip_); }

// A body nobody read stays on the socket and would be parsed as the start of the next request on a kept-alive
// connection (a refused POST, then "{...}POST /next" is garbage): close the connection after this answer instead.
void RequestContext::closeIfBodyUnread() {
    if (body_) return;
    if (request.getChunkedTransferEncoding() || (request.hasContentLength() && request.getContentLength64() > 0))
        response.setKeepAlive(false);
}

void RequestContext::sendRaw(int status, const std::string& content_type, const std::string& body) {
    if (sent_) return;
    sent_ = true;
    closeIfBodyUnread();
    status_ = status;
    response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    if (!content_type.empty()) response.setContentType(content_type);
    response.setContentLength64(static_cast<Poco::Int64>(body.size()));
    if (request.getMethod() == "HEAD") {
        response.send();
    } else {
        response.sendBuffer(body.data(), body.size());
    }
    bytes_sent_ = body.size();
}

void RequestContext::sendJson(int status, const JsonObject& body) {
    sendRaw(status, "application/json; charset=utf-8", toJson(body));
}

void RequestContext::sendJson(int status, const JsonArray& body) {
    sendRaw(status, "application/json; charset=utf-8", toJson(body));
}

void RequestContext::markUpgraded() {
    sent_ = true;
    status_ = 101;
}

void RequestContext::sendEmpty(int status) {
    if (sent_) return;
    sent_ = true;
    closeIfBodyUnread();
    status_ = status;
    response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    response.setContentLength(0);
    response.send();
}

JsonObject errorBody(const std::string& code, const std::string& message) {
    JsonObject inner = jsonObject();
    inner->set("code", code);
    inner->set("message", message);
    JsonObject outer = jsonObject();
    outer->set("error", inner);
    return outer;
}

}  // namespace parley::core

// The fake Graph API: Poco's HTTP server on 127.0.0.1, one handler, everything recorded.
#include "fake_graph.hpp"

#include "auth/crypto.hpp"
#include "http/json.hpp"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

#include <fstream>
#include <sstream>

namespace parley::test {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr parse(const std::string& text) {
    auto v = Poco::JSON::Parser().parse(text);
    return v.extract<Object::Ptr>();
}

size_t chars(const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

class Handler : public Poco::Net::HTTPRequestHandler {
public:
    explicit Handler(FakeGraph& g) : graph_(g) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
        std::string body;
        Poco::StreamCopier::copyToString(request.stream(), body);
        int status = 500;
        std::string answer, content_type = "application/json";
        graph_.handle(request.getMethod(), request.getURI(), request.get("Authorization", ""), body, status, answer, content_type);
        response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
        response.setContentType(content_type);
        response.setContentLength(static_cast<std::streamsize>(answer.size()));
        response.send() << answer;
    }

private:
    FakeGraph& graph_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit Factory(FakeGraph& g) : graph_(g) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override { return new Handler(graph_); }

private:
    FakeGraph& graph_;
};

}  // namespace

std::string waFixture(const std::string& name) {
    std::ifstream in(std::string(PARLEY_FIXTURES_DIR) + "/whatsapp/" + name, std::ios::binary);
    if (!in) throw std::runtime_error("fixture not found: " + name);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::string metaSignature(const std::string& app_secret, const std::string& body) {
    return "sha256=" + parley::core::hexEncode(parley::core::hmacSha256(app_secret, body));
}

std::string rewrite(std::string text, const std::vector<std::pair<std::string, std::string>>& replacements) {
    for (const auto& [from, to] : replacements) {
        if (text.find(from) == std::string::npos) throw std::runtime_error("rewrite: '" + from + "' is not in the fixture");
        for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) text.replace(at, from.size(), to);
    }
    return text;
}

FakeGraph::FakeGraph() {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    port_ = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(8);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket, params);
    server_->start();
}

FakeGraph::~FakeGraph() { server_->stopAll(true); }

std::string FakeGraph::baseUrl() const { return "http://127.0.0.1:" + std::to_string(port_); }

void FakeGraph::setToken(const std::string& id, const std::string& token) {
    std::lock_guard lock(mutex_);
    tokens_[id] = token;
    expire_after_ = -1;
}
void FakeGraph::failNext(int http_status, const std::string& error_json, int times) {
    std::lock_guard lock(mutex_);
    for (int i = 0; i < times; ++i) failures_.push_back({http_status, error_json});
}
void FakeGraph::expireTokenAfter(int successes) {
    std::lock_guard lock(mutex_);
    expire_after_ = successes;
}
void FakeGraph::addMedia(const std::string& media_id, const std::string& mime_type, const std::string& bytes, long long reported_size,
                         const std::string& reported_sha256) {
    std::lock_guard lock(mutex_);
    media_[media_id] = {mime_type, bytes, reported_size < 0 ? static_cast<long long>(bytes.size()) : reported_size,
                        reported_sha256.empty() ? parley::core::sha256Hex(bytes) : reported_sha256};
}
std::vector<FakeGraph::MediaRequest> FakeGraph::mediaRequests() const {
    std::lock_guard lock(mutex_);
    return media_requests_;
}
std::vector<FakeGraph::Request> FakeGraph::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}
size_t FakeGraph::count() const {
    std::lock_guard lock(mutex_);
    return requests_.size();
}
bool FakeGraph::waitForCount(size_t n, int seconds) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(seconds), [&] { return requests_.size() >= n; });
}
std::vector<std::string> FakeGraph::shapeErrors() const {
    std::lock_guard lock(mutex_);
    return shape_errors_;
}

// Compares a send body with the fixture of its kind: the same keys (context may be added), the right value kinds,
// and Meta's interactive limits.
std::string FakeGraph::checkShape(const std::string& body, std::string& to, std::string& type) const {
    Object::Ptr o;
    try {
        o = parse(body);
    } catch (const std::exception& e) {
        return std::string("not JSON: ") + e.what();
    }
    if (o->optValue<std::string>("messaging_product", "") != "whatsapp") return "messaging_product is not whatsapp";
    if (o->has("status")) {  // mark as read
        type = "read";
        auto fixture = parse(waFixture("meta_send_read_receipt_typing_request.json"));
        return o->getNames() == fixture->getNames() ? "" : "read receipt keys differ from the fixture";
    }
    to = o->optValue<std::string>("to", "");
    type = o->optValue<std::string>("type", "");
    auto names = o->getNames();
    names.erase(std::remove(names.begin(), names.end(), "context"), names.end());
    auto expect = [&](const char* fixture_name) -> std::string {
        auto fixture = parse(waFixture(fixture_name));
        return names == fixture->getNames() ? "" : std::string("keys differ from ") + fixture_name;
    };
    if (to.empty() || to.find_first_not_of("0123456789") != std::string::npos) return "'to' must be the recipient's digits";
    if (type == "text") {
        auto t = o->getObject("text");
        if (!t || !t->get("body").isString() || !t->get("preview_url").isBoolean()) return "text needs body (string) and preview_url";
        return expect("meta_send_text_request.json");
    }
    if (type == "template") {
        auto t = o->getObject("template");
        if (!t || !t->has("name") || !t->getObject("language")) return "template needs name and language";
        return expect("meta_send_template_text_request.json");
    }
    if (type == "interactive") {
        auto i = o->getObject("interactive");
        std::string kind = i ? i->optValue<std::string>("type", "") : "";
        auto action = i ? i->getObject("action") : nullptr;
        if (!action || !i->getObject("body")) return "interactive needs action and body";
        if (kind == "button") {
            auto buttons = action->getArray("buttons");
            if (!buttons || buttons->size() == 0 || buttons->size() > 3) return "1 to 3 buttons";
            for (size_t b = 0; b < buttons->size(); ++b)
                if (chars(buttons->getObject(b)->getObject("reply")->getValue<std::string>("title")) > 20) return "button title over 20";
        } else if (kind == "list") {
            auto rows = action->getArray("sections")->getObject(0)->getArray("rows");
            if (!rows || rows->size() > 10) return "at most 10 rows";
            for (size_t r = 0; r < rows->size(); ++r)
                if (chars(rows->getObject(r)->getValue<std::string>("title")) > 24) return "row title over 24";
        } else {
            return "interactive type '" + kind + "'";
        }
        return expect("meta_send_interactive_buttons_request.json");
    }
    if (type == "image" || type == "document") return o->getObject(type) ? "" : "media object missing";
    return "unknown type '" + type + "'";
}

// Media the real way: GET /{version}/{media_id}[?phone_number_id=...] gives the URL (and type, hash, size);
// GET /media-download/{media_id} gives the bytes. Both need a configured number's bearer token; an unknown id
// gets Graph's error 100 for a missing object. failNext applies here too (a 5xx, then the real answer).
bool FakeGraph::handleMedia(const std::string& method, const std::vector<std::string>& parts, const std::string& query,
                            const std::string& authorization, int& status, std::string& answer, std::string& content_type) {
    bool lookup = parts.size() == 2 && parts[0].rfind("v", 0) == 0;
    bool download = parts.size() == 2 && parts[0] == "media-download";
    if (method != "GET" || (!lookup && !download)) return false;
    auto error = [&](int http, const std::string& error_json) {
        status = http;
        answer = "{\"error\":" + error_json + "}";
    };
    bool authorized = false;
    for (const auto& [number, token] : tokens_) {
        if (lookup && query.find("phone_number_id=") != std::string::npos && query.find("phone_number_id=" + number) == std::string::npos)
            continue;
        authorized = authorized || authorization == "Bearer " + token;
    }
    auto media = media_.find(parts[1]);
    if (!authorized) {
        error(401, waFixture("pywa_error_190_expired_token.json"));
    } else if (!failures_.empty()) {
        error(failures_.front().status, failures_.front().error);
        failures_.erase(failures_.begin());
    } else if (media == media_.end()) {
        error(400, R"({"message":"Unsupported get request. Object with ID ')" + parts[1] +
                   R"(' does not exist, cannot be loaded due to missing permissions, or does not support this operation.","type":"GraphMethodException","code":100,"error_subcode":33,"fbtrace_id":"AbCdEf"})");
    } else if (lookup) {
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        o->set("messaging_product", std::string("whatsapp"));
        o->set("url", baseUrl() + "/media-download/" + parts[1]);
        o->set("mime_type", media->second.mime_type);
        o->set("sha256", media->second.reported_sha256);
        o->set("file_size", static_cast<Poco::Int64>(media->second.reported_size));
        o->set("id", parts[1]);
        status = 200;
        answer = parley::core::toJson(o);
    } else {
        status = 200;
        answer = media->second.bytes;
        content_type = media->second.mime_type;
    }
    media_requests_.push_back({"/" + parts[0] + "/" + parts[1], authorization, status});
    changed_.notify_all();
    return true;
}

void FakeGraph::handle(const std::string& method, const std::string& uri, const std::string& authorization,
                       const std::string& body, int& status, std::string& answer, std::string& content_type) {
    std::lock_guard lock(mutex_);
    Request r;
    r.at = std::chrono::steady_clock::now();
    r.authorization = authorization;
    r.body = body;
    // /{version}/{phone_number_id}/messages
    std::vector<std::string> parts;
    std::string query = uri.find('?') == std::string::npos ? "" : uri.substr(uri.find('?') + 1);
    std::stringstream path(uri.substr(0, uri.find('?')));
    for (std::string p; std::getline(path, p, '/');)
        if (!p.empty()) parts.push_back(p);
    if (handleMedia(method, parts, query, authorization, status, answer, content_type)) return;
    auto error = [&](int http, const std::string& error_json) {
        status = http;
        answer = "{\"error\":" + error_json + "}";
    };
    if (method != "POST" || parts.size() != 3 || parts[2] != "messages") {
        error(404, R"({"message":"Unknown path components","type":"OAuthException","code":2500})");
    } else {
        r.version = parts[0];
        r.phone_number_id = parts[1];
        std::string problem = checkShape(body, r.to, r.type);
        auto token = tokens_.find(r.phone_number_id);
        if (token == tokens_.end() || authorization != "Bearer " + token->second || expire_after_ == 0) {
            error(401, waFixture("pywa_error_190_expired_token.json"));
        } else if (!problem.empty()) {
            shape_errors_.push_back(problem + ": " + body);
            error(400, R"({"message":"(#100) Invalid parameter","type":"OAuthException","code":100})");
        } else if (!failures_.empty()) {
            error(failures_.front().status, failures_.front().error);
            failures_.erase(failures_.begin());
        } else if (r.type == "read") {
            status = 200;
            answer = R"({"success":true})";
        } else {
            if (expire_after_ > 0) --expire_after_;
            r.wamid = "wamid.fake" + std::to_string(++next_id_);
            auto ok = parse(waFixture("meta_send_success_response.json"));
            ok->getArray("messages")->getObject(0)->set("id", r.wamid);
            ok->getArray("contacts")->getObject(0)->set("input", r.to);
            ok->getArray("contacts")->getObject(0)->set("wa_id", r.to);
            status = 200;
            answer = parley::core::toJson(ok);
        }
    }
    r.status = status;
    requests_.push_back(r);
    changed_.notify_all();
}

}  // namespace parley::test

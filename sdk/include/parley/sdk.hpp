// Header-only C++ wrapper over plugin.h: short plugins, and no exception ever crosses the ABI.
//
//   #include <parley/sdk.hpp>
//   PARLEY_PLUGIN(load) {                       // load(parley::Plugin& p) is called once at start
//       p.on("message.inbound", 100, parley::Filter, [](parley::Event& e) { ... });
//       p.route("GET", "/hello", parley::Admin, [](const parley::Request& r, parley::Response& w) {
//           w.json(200, R"({"hello":"world"})");
//       });
//   }
//
// The SDK depends on the C++ standard library only; JSON arrives and leaves as text so a plugin can use
// any JSON library. Every callback runs under try/catch: an exception becomes an error status with its
// message, never a crash of the host.
#pragma once

#include "parley/json_quote.hpp"
#include "parley/json_scan.hpp"
#include "parley/plugin.h"

#include <cctype>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace parley {

// Thrown by SDK calls when the host answers with an error status; carries the status and the host's message.
class Error : public std::runtime_error {
public:
    Error(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
    int status() const { return status_; }

private:
    int status_;
};

enum HookKind { Filter = PARLEY_HOOK_FILTER, Notification = PARLEY_HOOK_NOTIFICATION };
enum Visibility { Admin = PARLEY_ROUTE_ADMIN, Public = PARLEY_ROUTE_PUBLIC };

// One event passed to a hook.
class Event {
public:
    Event(const parley_host_api* api, parley_event* e) : api_(api), e_(e) {}
    std::string name() const { return api_->event_name(e_); }
    std::string payload() const { return api_->event_payload(e_); }  // a JSON object
    std::string origin() const { return api_->event_origin(e_); }
    void setPayload(const std::string& json) { check(api_->event_set_payload(e_, json.c_str())); }
    void addAction(const std::string& json) { check(api_->event_add_action(e_, json.c_str())); }
    void reject(const std::string& reason) { check(api_->event_reject(e_, reason.c_str())); }
    void stop(const std::string& reason) { check(api_->event_stop(e_, reason.c_str())); }

private:
    void check(int status) const {
        if (status != PARLEY_OK) throw Error(status, api_->last_error());
    }
    const parley_host_api* api_;
    parley_event* e_;
};

// A request to a plugin route.
class Request {
public:
    Request(const parley_host_api* api, const parley_request* r) : api_(api), r_(r) {}
    std::string method() const { return r_->method; }
    std::string path() const { return r_->path; }
    std::string query() const { return r_->query; }
    std::string_view body() const { return {r_->body, r_->body_size}; }
    std::string tenantId() const { return r_->tenant_id; }
    std::string role() const { return r_->role; }
    std::string userId() const { return r_->user_id; }
    std::string clientIpHash() const { return r_->client_ip_hash; }
    std::optional<std::string> header(const std::string& name) const {
        const char* v = api_->request_header(r_, name.c_str());
        if (!v) return std::nullopt;
        return std::string(v);
    }
    // A query-string parameter, not URL-decoded beyond '+' and %XX.
    std::optional<std::string> param(const std::string& name) const;
    const parley_request* raw() const { return r_; }

private:
    const parley_host_api* api_;
    const parley_request* r_;
};

// The response a route fills once.
class Response {
public:
    Response(const parley_host_api* api, parley_response* w) : api_(api), w_(w) {}
    void header(const std::string& name, const std::string& value) {
        api_->response_header(w_, name.c_str(), value.c_str());
    }
    void send(int status, const std::string& content_type, std::string_view body) {
        api_->respond(w_, status, content_type.c_str(), body.data(), body.size());
        sent_ = true;
    }
    void json(int status, const std::string& json) { send(status, "application/json; charset=utf-8", json); }
    // The platform's error shape: {"error":{"code":...,"message":...}}.
    void error(int status, const std::string& code, const std::string& message) {
        json(status, "{\"error\":{\"code\":" + quote(code) + ",\"message\":" + quote(message) + "}}");
    }
    bool sent() const { return sent_; }

    // A JSON string literal for `text` (quotes and escapes).
    static std::string quote(std::string_view text) {
        std::string out;
        appendJsonQuoted(out, text);
        return out;
    }

private:
    const parley_host_api* api_;
    parley_response* w_;
    bool sent_ = false;
};

using HookFunction = std::function<void(Event&)>;
using RouteFunction = std::function<void(const Request&, Response&)>;
using JobFunction = std::function<void()>;
// Receives one committed outbox event as JSON (see parley_event_fn); throwing asks for a retry.
using EventFunction = std::function<void(const std::string& event_json)>;
// Receives a JSON array of `count` committed outbox events (see parley_batch_fn); returning acknowledges them
// all, throwing rolls the call back and the host offers the events again one per call.
using BatchFunction = std::function<void(const std::string& events_json, std::size_t count)>;
// Receives the Lua arguments as a JSON array, returns the result as JSON ("null" for nothing).
using LuaFunction = std::function<std::string(const std::string& args_json)>;

// The answer to Plugin::http.
struct HttpReply {
    int status = 0;
    std::string headers;  // "Name: value" lines
    std::string body;
};

// The plugin's view of the host, given to the load function. A small value (two pointers): callbacks that
// need it capture a copy, never a reference to the one passed to load.
class Plugin {
public:
    Plugin(const parley_host_api* api, parley_plugin* self) : api_(api), self_(self) {}

    const parley_host_api* api() const { return api_; }
    parley_plugin* handle() const { return self_; }

    void log(int level, const std::string& message) const { api_->log(self_, level, message.c_str()); }
    void info(const std::string& message) const { log(PARLEY_LOG_INFO, message); }
    void warn(const std::string& message) const { log(PARLEY_LOG_WARNING, message); }
    void error(const std::string& message) const { log(PARLEY_LOG_ERROR, message); }

    // The validated configuration (JSON object text).
    std::string config() const { return api_->config(self_); }

    // Registers a hook. The function object lives as long as the process.
    void on(const std::string& event, int priority, HookKind kind, HookFunction fn) {
        auto* holder = keep(std::make_unique<HookFunction>(std::move(fn)));
        check(api_->hook(self_, event.c_str(), priority, kind, &Plugin::hookTrampoline, holder));
    }

    // Registers a route under the plugin's prefix.
    void route(const std::string& method, const std::string& path, Visibility visibility, RouteFunction fn) {
        auto* holder = keep(std::make_unique<RouteHolder>(RouteHolder{std::move(fn), api_}));
        check(api_->route(self_, method.c_str(), path.c_str(), visibility, &Plugin::routeTrampoline, holder));
    }

    // Runs one statement; returns the rows as a JSON array (text).
    std::string sql(const std::string& statement, const std::string& params_json = "[]") const {
        const char* rows = nullptr;
        check(api_->sql(self_, statement.c_str(), params_json.c_str(), &rows));
        return rows ? rows : "[]";
    }

    std::optional<std::string> kvGet(const std::string& key) const {
        const char* value = nullptr;
        int status = api_->kv_get(self_, key.c_str(), &value);
        if (status == PARLEY_ERR_NOT_FOUND) return std::nullopt;
        check(status);
        return std::string(value);
    }
    void kvSet(const std::string& key, const std::string& value) const {
        check(api_->kv_set(self_, key.c_str(), value.c_str()));
    }
    void kvDelete(const std::string& key) const { check(api_->kv_delete(self_, key.c_str())); }

    void emit(const std::string& event, const std::string& payload_json) const {
        check(api_->emit(self_, event.c_str(), payload_json.c_str()));
    }
    std::string seal(const std::string& plaintext, const std::string& context) const {
        const char* out = nullptr;
        check(api_->seal(self_, plaintext.c_str(), context.c_str(), &out));
        return out;
    }
    std::string open(const std::string& sealed, const std::string& context) const {
        const char* out = nullptr;
        check(api_->open(self_, sealed.c_str(), context.c_str(), &out));
        return out;
    }
    void count(const std::string& name, double value = 1) const { api_->count(self_, name.c_str(), value); }

    // An HTTP request through the host's guarded client; throws parley::Error (PARLEY_ERR_DENIED for a
    // private target the operator has not allowed, PARLEY_ERR_UNAVAILABLE when every attempt failed or the
    // body was over `max_response_bytes`: 0 means 1 MiB, and the host caps it, 16 MiB by default).
    HttpReply http(const std::string& method, const std::string& url, const std::string& body = "",
                   const std::string& headers = "", int timeout_ms = 0, int retries = 0,
                   size_t max_response_bytes = 0) const {
        parley_http_request req{sizeof(parley_http_request), method.c_str(), url.c_str(), headers.c_str(),
                                body.data(), body.size(), timeout_ms, max_response_bytes, retries};
        parley_http_response resp{sizeof(parley_http_response), 0, nullptr, nullptr, 0};
        check(api_->http(self_, &req, &resp));
        return {resp.status, resp.headers ? resp.headers : "", std::string(resp.body ? resp.body : "", resp.body_size)};
    }

    // Runs `fn` every `interval_seconds`, once per cluster. Call from the load function.
    void every(const std::string& name, int interval_seconds, JobFunction fn) {
        auto* holder = keep(std::make_unique<JobFunction>(std::move(fn)));
        check(api_->schedule(self_, name.c_str(), interval_seconds, &Plugin::jobTrampoline, holder));
    }

    // Runs `fn` in a host transaction: sql() calls inside join it; an exception rolls everything back and is
    // rethrown as parley::Error.
    void transaction(std::function<void()> fn) const {
        struct Call {
            std::function<void()>* fn;
            std::string error;
        } call{&fn, {}};
        int status = api_->transaction(
            self_,
            [](void* user) {
                auto* c = static_cast<Call*>(user);
                try {
                    (*c->fn)();
                    return static_cast<int>(PARLEY_OK);
                } catch (const std::exception& e) {
                    c->error = e.what();
                    return static_cast<int>(PARLEY_ERR_INTERNAL);
                }
            },
            &call);
        if (status != PARLEY_OK)
            throw Error(status, call.error.empty() ? std::string(api_->last_error())
                                                   : "transaction rolled back: " + call.error);
    }

    // Posts a bot message ({"text": ..., "quick_replies": [...]}) into a conversation; returns the stored
    // message as JSON. Throws parley::Error (PARLEY_ERR_NOT_FOUND, PARLEY_ERR_CONFLICT for a closed one).
    std::string postMessage(const std::string& conversation_id, const std::string& message_json) const {
        const char* out = nullptr;
        check(api_->post_message(self_, conversation_id.c_str(), message_json.c_str(), &out));
        return out ? out : "";
    }

    // Subscribes durably to committed outbox events matching `events` ("message.*, lead.captured"): each is
    // given to `fn` at least once, per conversation in commit order, inside a host transaction (sql() joins
    // it; returning acknowledges, throwing rolls back and the host retries later). `committed` runs after the
    // acknowledging transaction committed. Needs a 1.1 host. Call from the load function.
    void subscribe(const std::string& name, const std::string& events, EventFunction fn,
                   std::function<void()> committed = {}) {
        if (api_->abi_minor < 1 || api_->size < offsetof(parley_host_api, subscribe) + sizeof(api_->subscribe))
            throw Error(PARLEY_ERR_UNAVAILABLE, "this host has no durable subscriptions (needs ABI 1.1)");
        auto* holder = keep(std::make_unique<SubscriptionHolder>(SubscriptionHolder{std::move(fn), std::move(committed)}));
        check(api_->subscribe(self_, name.c_str(), events.c_str(), &Plugin::eventTrampoline,
                              &Plugin::committedTrampoline, holder));
    }

    // Subscribes durably like subscribe(), but `fn` receives all the events a dispatcher pass has for the
    // subscription in one call, as a JSON array in delivery order (per conversation, commit order), so they can
    // be stored with one multi-row statement. Returning acknowledges them all; throwing rolls back what the call
    // wrote and the host offers the same events again, one per call, so only those failing alone are retried
    // later: never keep in memory what a failed call prepared. Needs a 1.4 host (PARLEY_ERR_UNAVAILABLE, "needs
    // ABI 1.4", on an older one: check hostHas(4) and fall back to subscribe()). Call from the load function.
    void subscribeBatch(const std::string& name, const std::string& events, BatchFunction fn,
                        std::function<void()> committed = {}) {
        requireMinor(4, offsetof(parley_host_api, subscribe_batch) + sizeof(api_->subscribe_batch));
        auto* holder = keep(std::make_unique<BatchHolder>(BatchHolder{std::move(fn), std::move(committed)}));
        check(api_->subscribe_batch(self_, name.c_str(), events.c_str(), &Plugin::batchTrampoline,
                                    &Plugin::batchCommittedTrampoline, holder));
    }

    // Channel plugins (ABI 1.2). Opens or finds the open conversation of an outside contact: `request_json` is
    // {"channel", "tenant_id", "widget_id", "contact_id", "visitor_info", "context"}; returns
    // {"conversation": {...}, "created": bool}. Throws parley::Error (PARLEY_ERR_NOT_FOUND for a widget not
    // the tenant's, PARLEY_ERR_UNAVAILABLE on a host older than 1.2).
    std::string channelConversation(const std::string& request_json) const {
        requireMinor(2, offsetof(parley_host_api, channel_conversation) + sizeof(api_->channel_conversation));
        const char* out = nullptr;
        check(api_->channel_conversation(self_, request_json.c_str(), &out));
        return out ? out : "";
    }
    // Posts a contact's message ({"type", "text", "payload", "client_message_id"}) through the pipeline (screen,
    // commit, bots, inbox); returns {"message": {...}, "duplicate": bool}. Throws parley::Error
    // (PARLEY_ERR_DENIED when a hook rejected it, PARLEY_ERR_CONFLICT for a closed conversation).
    std::string postInbound(const std::string& conversation_id, const std::string& message_json) const {
        requireMinor(2, offsetof(parley_host_api, post_inbound) + sizeof(api_->post_inbound));
        const char* out = nullptr;
        check(api_->post_inbound(self_, conversation_id.c_str(), message_json.c_str(), &out));
        return out ? out : "";
    }
    // Records an outbound message's delivery status ({"status", "at", "external_id", "error"}); returns
    // {"message": {...}, "changed": bool}. Not from inside a subscription callback or transaction.
    std::string messageStatus(const std::string& message_id, const std::string& status_json) const {
        requireMinor(2, offsetof(parley_host_api, message_status) + sizeof(api_->message_status));
        const char* out = nullptr;
        check(api_->message_status(self_, message_id.c_str(), status_json.c_str(), &out));
        return out ? out : "";
    }

    // ABI 1.3. Stores `data` in a conversation through the core's file store (the widget's types, size limit,
    // storage and download URL); `request_json` is {"filename", "content_type", "message_id" (optional: that
    // message's payload.file becomes the file)}. Returns {"file": {"id", "name", "content_type", "size", "url"},
    // "message": {...}}. Throws parley::Error: PARLEY_ERR_DENIED over the size limit, PARLEY_ERR_INVALID_ARGUMENT
    // for a type not accepted or content not matching it, PARLEY_ERR_NOT_FOUND, PARLEY_ERR_UNAVAILABLE on an
    // older host. Not from inside a subscription callback or transaction.
    std::string storeFile(const std::string& conversation_id, const std::string& request_json, std::string_view data) const {
        requireMinor(3, offsetof(parley_host_api, store_file) + sizeof(api_->store_file));
        const char* out = nullptr;
        check(api_->store_file(self_, conversation_id.c_str(), request_json.c_str(), data.data(), data.size(), &out));
        return out ? out : "";
    }
    // ABI 1.3. Merges a JSON object into the conversation's attributes (null removes a key), with a
    // conversation.updated outbox event when something changed; returns {"conversation": {...}, "changed": bool}.
    std::string setConversationAttributes(const std::string& conversation_id, const std::string& attributes_json) const {
        requireMinor(3, offsetof(parley_host_api, set_conversation_attributes) + sizeof(api_->set_conversation_attributes));
        const char* out = nullptr;
        check(api_->set_conversation_attributes(self_, conversation_id.c_str(), attributes_json.c_str(), &out));
        return out ? out : "";
    }
    // ABI 1.3. A live notice to the tenant's signed-in users on the realtime socket: {"type": "plugin_event",
    // "plugin", "name", "data"}. Best effort, not stored.
    void publishRealtime(const std::string& tenant_id, const std::string& name, const std::string& data_json) const {
        requireMinor(3, offsetof(parley_host_api, publish_realtime) + sizeof(api_->publish_realtime));
        check(api_->publish_realtime(self_, tenant_id.c_str(), name.c_str(), data_json.c_str()));
    }
    // ABI 1.3. A tenant's contacts in id order: `query_json` is {"tag", "after", "limit"}; returns {"contacts":
    // [{"id", "name", "email", "phone", "tags", ...}], "next": id | null}. Throws parley::Error
    // (PARLEY_ERR_NOT_FOUND for an unknown tenant).
    std::string contacts(const std::string& tenant_id, const std::string& query_json = "{}") const {
        requireMinor(3, offsetof(parley_host_api, contacts) + sizeof(api_->contacts));
        const char* out = nullptr;
        check(api_->contacts(self_, tenant_id.c_str(), query_json.c_str(), &out));
        return out ? out : "";
    }
    // ABI 1.5. A contact's message in one call: channelConversation's request fields plus "message" (postInbound's)
    // and optional "with_commit": [{"sql", "params"}] statements committed in the message's transaction (a params
    // element {"host": "conversation_id"} / "message_id" / "tenant_id" / "created_at" is filled in by the host).
    // Returns {"conversation", "created", "message", "duplicate"}, or "" when `want_result` is false (the host then
    // builds nothing). Throws parley::Error (PARLEY_ERR_DENIED when a hook rejected it, PARLEY_ERR_NOT_FOUND for a
    // widget not the tenant's, PARLEY_ERR_UNAVAILABLE on a host older than 1.5: check hostHas(5) and fall back).
    std::string channelInbound(const std::string& request_json, bool want_result = true) const {
        requireMinor(5, offsetof(parley_host_api, channel_inbound) + sizeof(api_->channel_inbound));
        const char* out = nullptr;
        check(api_->channel_inbound(self_, request_json.c_str(), want_result ? &out : nullptr));
        return out ? out : "";
    }
    // True when the host offers ABI 1.<minor> (a plugin built for 1.3 may check before optional calls).
    bool hostHas(uint32_t minor) const { return api_->abi_minor >= minor; }

    // Exposes `fn` to Lua rules as parley.<name> ("kb.search"). Call from the load function.
    void luaFunction(const std::string& name, LuaFunction fn) {
        auto* holder = keep(std::make_unique<LuaFunction>(std::move(fn)));
        check(api_->lua_function(self_, name.c_str(), &Plugin::luaTrampoline, holder));
    }

    // Runs `body` and turns any exception into a status plus the host-side error message (used by the
    // trampolines and PARLEY_PLUGIN; plugin code rarely needs it).
    template <typename Body>
    static int guarded(const parley_host_api* api, Body&& body) {
        try {
            body();
            return PARLEY_OK;
        } catch (const Error& e) {
            api->set_error(e.what());
            return e.status() == PARLEY_OK ? PARLEY_ERR_INTERNAL : e.status();
        } catch (const std::exception& e) {
            api->set_error(e.what());
            return PARLEY_ERR_INTERNAL;
        } catch (...) {
            api->set_error("unknown exception");
            return PARLEY_ERR_INTERNAL;
        }
    }

private:
    struct SubscriptionHolder {
        EventFunction fn;
        std::function<void()> committed;
    };
    struct BatchHolder {
        BatchFunction fn;
        std::function<void()> committed;
    };
    struct RouteHolder {
        RouteFunction fn;
        const parley_host_api* api;
    };

    void check(int status) const {
        if (status != PARLEY_OK) throw Error(status, api_->last_error());
    }
    // Refuses a call the host's table does not have (an older host).
    void requireMinor(uint32_t minor, size_t end_of_entry) const {
        if (api_->abi_minor < minor || api_->size < end_of_entry)
            throw Error(PARLEY_ERR_UNAVAILABLE, "this host does not offer this function (needs ABI 1." + std::to_string(minor) + ")");
    }

    // Callbacks stay alive for the process's life: the host never unloads a plugin.
    template <typename T>
    T* keep(std::unique_ptr<T> object) {
        T* raw = object.get();
        keepAlive().push_back(std::shared_ptr<void>(object.release(), [](void* p) { delete static_cast<T*>(p); }));
        return raw;
    }
    static std::vector<std::shared_ptr<void>>& keepAlive() {
        static std::vector<std::shared_ptr<void>> objects;
        return objects;
    }

    static const parley_host_api*& currentApi() {
        static const parley_host_api* api = nullptr;
        return api;
    }

public:
    // The table the host gave at load; hooks use it (set once, before any hook can run).
    static void rememberApi(const parley_host_api* api) { currentApi() = api; }

private:
    static int hookTrampoline(void* user, parley_event* e) {
        const parley_host_api* api = currentApi();
        return guarded(api, [&] {
            Event event(api, e);
            (*static_cast<HookFunction*>(user))(event);
        });
    }
    static int jobTrampoline(void* user) {
        return guarded(currentApi(), [&] { (*static_cast<JobFunction*>(user))(); });
    }
    static int eventTrampoline(void* user, const char* event_json) {
        return guarded(currentApi(), [&] { static_cast<SubscriptionHolder*>(user)->fn(event_json ? event_json : "{}"); });
    }
    static void committedTrampoline(void* user) {
        auto* holder = static_cast<SubscriptionHolder*>(user);
        if (!holder->committed) return;
        try {
            holder->committed();
        } catch (...) {  // nothing may unwind into the host
        }
    }
    static int batchTrampoline(void* user, const char* events_json, size_t count) {
        return guarded(currentApi(), [&] { static_cast<BatchHolder*>(user)->fn(events_json ? events_json : "[]", count); });
    }
    static void batchCommittedTrampoline(void* user) {
        auto* holder = static_cast<BatchHolder*>(user);
        if (!holder->committed) return;
        try {
            holder->committed();
        } catch (...) {  // nothing may unwind into the host
        }
    }
    static int luaTrampoline(void* user, const char* args, parley_lua_call* call) {
        const parley_host_api* api = currentApi();
        std::string result;
        int status = guarded(api, [&] { result = (*static_cast<LuaFunction*>(user))(args ? args : "[]"); });
        if (status != PARLEY_OK) return status;
        return api->lua_return(call, result.c_str());
    }
    static int routeTrampoline(void* user, const parley_request* r, parley_response* w) {
        auto* holder = static_cast<RouteHolder*>(user);
        Response response(holder->api, w);
        int status = guarded(holder->api, [&] {
            Request request(holder->api, r);
            holder->fn(request, response);
        });
        if (status != PARLEY_OK && !response.sent()) return status;  // the host answers 500 with the message
        return PARLEY_OK;
    }

    const parley_host_api* api_;
    parley_plugin* self_;
};

namespace event_pattern_detail {

inline bool glob(std::string_view p, std::string_view n) {
    size_t pi = 0, ni = 0, star = std::string_view::npos, mark = 0;
    while (ni < n.size()) {
        if (pi < p.size() && p[pi] == '*') {
            star = pi++;
            mark = ni;
        } else if (pi < p.size() && p[pi] == n[ni]) {
            ++pi;
            ++ni;
        } else if (star != std::string_view::npos) {
            pi = star + 1;
            ni = ++mark;
        } else {
            return false;
        }
    }
    while (pi < p.size() && p[pi] == '*') ++pi;
    return pi == p.size();
}

inline std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

// Calls fn(name_glob, conditions) for each comma-separated pattern (trimmed, empty ones skipped), where
// `conditions` is the "[...][...]" text after the name ("" when none); stops when fn returns true.
template <typename Fn>
bool anyPattern(std::string_view patterns, Fn&& fn) {
    size_t start = 0;
    while (start <= patterns.size()) {
        size_t comma = patterns.find(',', start);
        std::string_view one = trim(patterns.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
        size_t bracket = one.find('[');
        if (!one.empty() && fn(trim(one.substr(0, bracket)), bracket == std::string_view::npos ? std::string_view() : one.substr(bracket)))
            return true;
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return false;
}

// Each condition of `conditions` ("[path=a|b][path!=c]") holds on the JSON object `payload`.
inline bool conditionsHold(std::string_view conditions, std::string_view payload) {
    while (!conditions.empty()) {
        size_t close = conditions.find(']');
        if (conditions.front() != '[' || close == std::string_view::npos) return false;
        std::string_view condition = conditions.substr(1, close - 1);
        conditions.remove_prefix(close + 1);
        conditions = trim(conditions);
        size_t eq = condition.find('=');
        if (eq == std::string_view::npos || eq == 0) return false;
        bool negated = condition[eq - 1] == '!';
        std::string_view path = trim(condition.substr(0, negated ? eq - 1 : eq)), values = condition.substr(eq + 1);
        std::optional<std::string> actual = jsonScalar(payload, path);
        bool equal = false;
        if (actual) {
            size_t from = 0;
            while (!equal && from <= values.size()) {
                size_t bar = values.find('|', from);
                equal = trim(values.substr(from, bar == std::string_view::npos ? std::string_view::npos : bar - from)) == *actual;
                if (bar == std::string_view::npos) break;
                from = bar + 1;
            }
        }
        if (equal == negated) return false;
    }
    return true;
}

inline bool nameChars(std::string_view s, std::string_view allowed) {
    return !s.empty() && s.find_first_not_of(allowed) == std::string_view::npos;
}

}  // namespace event_pattern_detail

// True when event `name` matches one of the comma-separated `patterns`, where `*` matches any run of
// characters: eventMatches("message.*, lead.captured", "message.created") is true. Spaces around commas are
// ignored. Payload conditions (below) are not looked at: a pattern with conditions matches by its name alone.
inline bool eventMatches(std::string_view patterns, std::string_view name) {
    return event_pattern_detail::anyPattern(patterns, [&](std::string_view glob, std::string_view) {
        return event_pattern_detail::glob(glob, name);
    });
}

// Durable subscriptions (ABI 1.6): a pattern may be followed by conditions on the event's payload, each in
// brackets, all of which must hold: "message.created[channel=whatsapp][message.sender_type=agent|bot]".
// A condition is a dotted path into the payload object (jsonScalar), then = (the value is one of the
// |-separated values) or != (the value is none of them, or the path is missing). Values are compared as text:
// a string's text, a number or true/false as written; null, objects and arrays equal nothing. True when `name`
// matches a pattern whose conditions hold on `payload_json`. The host matches durable subscriptions so.
inline bool eventMatches(std::string_view patterns, std::string_view name, std::string_view payload_json) {
    return event_pattern_detail::anyPattern(patterns, [&](std::string_view glob, std::string_view conditions) {
        return event_pattern_detail::glob(glob, name) &&
               event_pattern_detail::conditionsHold(conditions, payload_json);
    });
}

// "" when `patterns` is well formed for a durable subscription, else what is wrong: names or globs of
// [a-z0-9_.*], each optionally followed by [path=value|value] or [path!=value] conditions, where a path is of
// [a-z0-9_.] and a value of [A-Za-z0-9_.:@+/-] (no spaces, commas, brackets or bars).
inline std::string eventPatternsError(std::string_view patterns) {
    using namespace event_pattern_detail;
    std::string error;
    if (!anyPattern(patterns, [](std::string_view glob, std::string_view conditions) { return !glob.empty() || !conditions.empty(); }))
        return "no event names";
    anyPattern(patterns, [&](std::string_view glob, std::string_view conditions) {
        if (!nameChars(glob, "abcdefghijklmnopqrstuvwxyz0123456789_.*")) {
            error = "'" + std::string(glob) + "' is not an event name or pattern of [a-z0-9_.*]";
            return true;
        }
        while (!conditions.empty()) {
            size_t close = conditions.find(']');
            std::string_view condition = close == std::string_view::npos ? conditions : conditions.substr(1, close - 1);
            size_t eq = condition.find('=');
            bool negated = eq != std::string_view::npos && eq > 0 && condition[eq - 1] == '!';
            std::string_view path = eq == std::string_view::npos ? condition : condition.substr(0, negated ? eq - 1 : eq);
            bool values_ok = eq != std::string_view::npos;
            for (size_t from = eq + 1; values_ok && from <= condition.size();) {
                size_t bar = condition.find('|', from);
                values_ok = nameChars(condition.substr(from, bar == std::string_view::npos ? std::string_view::npos : bar - from),
                                      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:@+/-");
                if (bar == std::string_view::npos) break;
                from = bar + 1;
            }
            if (conditions.front() != '[' || close == std::string_view::npos ||
                !nameChars(path, "abcdefghijklmnopqrstuvwxyz0123456789_.") || !values_ok) {
                error = "condition '" + std::string(conditions.substr(0, close == std::string_view::npos ? conditions.size() : close + 1)) +
                        "' must be [path=value], [path=a|b] or [path!=value] (path of [a-z0-9_.], values of "
                        "[A-Za-z0-9_.:@+/-])";
                return true;
            }
            conditions.remove_prefix(close + 1);
        }
        return false;
    });
    return error;
}

// The patterns without their conditions: what a host older than ABI 1.6 can match (it then delivers more
// events than asked for, never fewer).
inline std::string eventPatternsWithoutConditions(std::string_view patterns) {
    std::string out;
    event_pattern_detail::anyPattern(patterns, [&](std::string_view glob, std::string_view) {
        if (!out.empty()) out += ", ";
        out += glob;
        return false;
    });
    return out;
}

inline std::optional<std::string> Request::param(const std::string& name) const {
    std::string q = query();
    size_t start = 0;
    while (start <= q.size()) {
        size_t amp = q.find('&', start);
        std::string pair = q.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
        size_t eq = pair.find('=');
        if (pair.substr(0, eq) == name) {
            std::string raw = eq == std::string::npos ? "" : pair.substr(eq + 1), out;
            for (size_t i = 0; i < raw.size(); ++i) {
                if (raw[i] == '+') out.push_back(' ');
                else if (raw[i] == '%' && i + 2 < raw.size() && std::isxdigit(static_cast<unsigned char>(raw[i + 1])) &&
                         std::isxdigit(static_cast<unsigned char>(raw[i + 2]))) {
                    out.push_back(static_cast<char>(std::stoi(raw.substr(i + 1, 2), nullptr, 16)));
                    i += 2;
                } else {
                    out.push_back(raw[i]);
                }
            }
            return out;
        }
        if (amp == std::string::npos) break;
        start = amp + 1;
    }
    return std::nullopt;
}

}  // namespace parley

// Defines the plugin's entry points around `void name(parley::Plugin&)`; the ABI check comes for free.
#define PARLEY_PLUGIN(name)                                                                         \
    static void name(parley::Plugin&);                                                              \
    PARLEY_PLUGIN_DECLARE_ABI                                                                       \
    extern "C" PARLEY_EXPORT int parley_plugin_load(const parley_host_api* api, parley_plugin* self) { \
        if (!api || api->abi_major != PARLEY_ABI_MAJOR || api->abi_minor < PARLEY_ABI_MINOR) {      \
            if (api && api->set_error) api->set_error("plugin built for another Parley ABI");       \
            return PARLEY_ERR_ABI;                                                                  \
        }                                                                                           \
        parley::Plugin::rememberApi(api);                                                           \
        return parley::Plugin::guarded(api, [&] {                                                   \
            parley::Plugin plugin(api, self);                                                       \
            name(plugin);                                                                           \
        });                                                                                         \
    }                                                                                               \
    static void name(parley::Plugin& p)

// A fake host for unit-testing a plugin's wiring without a server: load it, dispatch events, call routes.
//
//   parley::testing::FakeHost host(R"({"greeting":"hi"})");
//   BOOST_REQUIRE(host.load(parley_plugin_load) == PARLEY_OK);
//   auto reply = host.call("GET", "/hello");
//   auto result = host.dispatch("message.inbound", R"({"message":{"text":"ping"}})");
//
// It implements the whole host table in memory: hooks and routes are recorded, kv and emitted events are
// inspectable, sealing is a reversible marker (not encryption), durable subscriptions receive what
// publish() and publishBatch() give them (batch subscriptions, ABI 1.4, as the host does: whole arrays, then
// one event per call after a failure), and the ABI 1.3 calls (store_file, set_conversation_attributes, publish_realtime,
// contacts) are recorded, as is ABI 1.5's channel_inbound (one conversation per contact, duplicates by client
// message id, with_commit statements recorded, not run). SQL is not offered (PARLEY_ERR_UNAVAILABLE):
// test SQL-using logic through the real server (tests/integration) or keep it in plain functions.
#pragma once

#include "parley/plugin.h"
#include "parley/sdk.hpp"

#include <algorithm>
#include <functional>
#include <stdexcept>
#include <map>
#include <string>
#include <vector>

struct parley_plugin {
    void* host;
};
struct parley_event {
    std::string name, payload, origin;
    bool filter = true;
    bool rejected = false, stopped = false;
    std::string reason;
    std::vector<std::string> actions;
};
struct parley_response {
    int status = 0;
    std::string content_type, body;
    std::map<std::string, std::string> headers;
};
struct parley_lua_call {
    std::string result = "null";
};

namespace parley::testing {

class FakeHost {
public:
    explicit FakeHost(std::string config_json = "{}") : config_(std::move(config_json)) {
        self_.host = this;
        api_.abi_major = PARLEY_ABI_MAJOR;
        api_.abi_minor = PARLEY_ABI_MINOR;
        api_.size = sizeof(parley_host_api);
        api_.last_error = [] { return lastError().c_str(); };
        api_.log = [](parley_plugin* p, int level, const char* m) { of(p).logs.push_back(std::to_string(level) + " " + m); };
        api_.config = [](parley_plugin* p) { return of(p).config_.c_str(); };
        api_.hook = [](parley_plugin* p, const char* event, int priority, int kind, parley_hook_fn fn, void* user) {
            of(p).hooks_.push_back({event, priority, kind, fn, user});
            std::stable_sort(of(p).hooks_.begin(), of(p).hooks_.end(),
                             [](const Hook& a, const Hook& b) { return a.priority < b.priority; });
            return static_cast<int>(PARLEY_OK);
        };
        api_.route = [](parley_plugin* p, const char* method, const char* path, int visibility, parley_route_fn fn,
                        void* user) {
            of(p).routes_.push_back({method, path, visibility, fn, user});
            return static_cast<int>(PARLEY_OK);
        };
        api_.event_name = [](const parley_event* e) { return e->name.c_str(); };
        api_.event_payload = [](const parley_event* e) { return e->payload.c_str(); };
        api_.event_origin = [](const parley_event* e) { return e->origin.c_str(); };
        api_.event_set_payload = [](parley_event* e, const char* json) {
            if (!e->filter) return fail(PARLEY_ERR_DENIED, "notifications cannot modify the payload");
            e->payload = json;
            return static_cast<int>(PARLEY_OK);
        };
        api_.event_add_action = [](parley_event* e, const char* json) {
            e->actions.push_back(json);
            return static_cast<int>(PARLEY_OK);
        };
        api_.event_reject = [](parley_event* e, const char* reason) {
            if (!e->filter) return fail(PARLEY_ERR_DENIED, "notifications cannot reject");
            e->rejected = true;
            e->reason = reason;
            return static_cast<int>(PARLEY_OK);
        };
        api_.event_stop = [](parley_event* e, const char* reason) {
            if (!e->filter) return fail(PARLEY_ERR_DENIED, "notifications cannot stop the chain");
            e->stopped = true;
            e->reason = reason;
            return static_cast<int>(PARLEY_OK);
        };
        api_.request_header = [](const parley_request* r, const char* name) -> const char* {
            auto* headers = static_cast<const std::map<std::string, std::string>*>(currentHeaders());
            if (!headers) return nullptr;
            for (const auto& [k, v] : *headers)
                if (equalsIgnoreCase(k, name)) return v.c_str();
            return nullptr;
        };
        api_.response_header = [](parley_response* w, const char* name, const char* value) {
            w->headers[name] = value;
            return static_cast<int>(PARLEY_OK);
        };
        api_.respond = [](parley_response* w, int status, const char* type, const char* body, size_t size) {
            w->status = status;
            w->content_type = type ? type : "";
            w->body.assign(body ? body : "", size);
            return static_cast<int>(PARLEY_OK);
        };
        api_.sql = [](parley_plugin*, const char*, const char*, const char** rows) {
            if (rows) *rows = nullptr;
            return fail(PARLEY_ERR_UNAVAILABLE, "the fake host offers no SQL; test it against a real parleyd");
        };
        api_.kv_get = [](parley_plugin* p, const char* key, const char** value) {
            auto it = of(p).kv.find(key);
            if (it == of(p).kv.end()) {
                *value = nullptr;
                return fail(PARLEY_ERR_NOT_FOUND, std::string("no value for key '") + key + "'");
            }
            *value = it->second.c_str();
            return static_cast<int>(PARLEY_OK);
        };
        api_.kv_set = [](parley_plugin* p, const char* key, const char* value) {
            of(p).kv[key] = value;
            return static_cast<int>(PARLEY_OK);
        };
        api_.kv_delete = [](parley_plugin* p, const char* key) {
            of(p).kv.erase(key);
            return static_cast<int>(PARLEY_OK);
        };
        api_.emit = [](parley_plugin* p, const char* event, const char* payload) {
            of(p).emitted.emplace_back(event, payload);
            return static_cast<int>(PARLEY_OK);
        };
        api_.seal = [](parley_plugin*, const char* plaintext, const char* context, const char** sealed) {
            scratch() = std::string("sealed:") + context + ":" + plaintext;
            *sealed = scratch().c_str();
            return static_cast<int>(PARLEY_OK);
        };
        api_.open = [](parley_plugin*, const char* sealed, const char* context, const char** plaintext) {
            std::string prefix = std::string("sealed:") + context + ":", s = sealed;
            if (s.rfind(prefix, 0) != 0) return fail(PARLEY_ERR_INVALID_ARGUMENT, "sealed for another context");
            scratch() = s.substr(prefix.size());
            *plaintext = scratch().c_str();
            return static_cast<int>(PARLEY_OK);
        };
        api_.count = [](parley_plugin* p, const char* name, double value) {
            of(p).counters[name] += value;
            return static_cast<int>(PARLEY_OK);
        };
        api_.set_error = [](const char* message) { lastError() = message ? message : ""; };
        api_.http = [](parley_plugin* p, const parley_http_request* r, parley_http_response* out) {
            FakeHost& h = of(p);
            h.http_requests.push_back({r->method, r->url, std::string(r->body ? r->body : "", r->body_size)});
            if (!h.http_reply) return fail(PARLEY_ERR_UNAVAILABLE, "the fake host has no http_reply set");
            h.last_http_ = h.http_reply(h.http_requests.back());
            out->status = h.last_http_.status;
            out->headers = "";
            out->body = h.last_http_.body.data();
            out->body_size = h.last_http_.body.size();
            return static_cast<int>(PARLEY_OK);
        };
        api_.schedule = [](parley_plugin* p, const char* name, int interval, parley_job_fn fn, void* user) {
            of(p).jobs_[name] = {fn, user, interval};
            return static_cast<int>(PARLEY_OK);
        };
        api_.lua_function = [](parley_plugin* p, const char* name, parley_lua_fn fn, void* user) {
            of(p).lua_[name] = {fn, user};
            return static_cast<int>(PARLEY_OK);
        };
        api_.post_message = [](parley_plugin* p, const char* conversation, const char* json, const char** out) {
            of(p).posted.emplace_back(conversation, json);
            scratch() = json;
            if (out) *out = scratch().c_str();
            return static_cast<int>(PARLEY_OK);
        };
        api_.transaction = [](parley_plugin*, parley_transaction_fn fn, void* user) { return fn(user); };
        api_.subscribe = [](parley_plugin* p, const char* name, const char* events, parley_event_fn fn,
                            parley_committed_fn committed, void* user) {
            if (!name || !events || !fn) return fail(PARLEY_ERR_INVALID_ARGUMENT, "subscribe: null argument");
            if (std::string why = parley::eventPatternsError(events); !why.empty())
                return fail(PARLEY_ERR_INVALID_ARGUMENT, "subscribe: events: " + why);
            for (const auto& s : of(p).subscriptions_)
                if (s.name == name) return fail(PARLEY_ERR_CONFLICT, std::string("subscription '") + name + "' exists");
            of(p).subscriptions_.push_back({name, events, fn, nullptr, committed, user});
            return static_cast<int>(PARLEY_OK);
        };
        api_.subscribe_batch = [](parley_plugin* p, const char* name, const char* events, parley_batch_fn fn,
                                  parley_committed_fn committed, void* user) {
            if (!name || !events || !fn) return fail(PARLEY_ERR_INVALID_ARGUMENT, "subscribe_batch: null argument");
            if (std::string why = parley::eventPatternsError(events); !why.empty())
                return fail(PARLEY_ERR_INVALID_ARGUMENT, "subscribe_batch: events: " + why);
            for (const auto& s : of(p).subscriptions_)
                if (s.name == name) return fail(PARLEY_ERR_CONFLICT, std::string("subscription '") + name + "' exists");
            of(p).subscriptions_.push_back({name, events, nullptr, fn, committed, user});
            return static_cast<int>(PARLEY_OK);
        };
        api_.channel_conversation = [](parley_plugin* p, const char* request, const char** out) {
            FakeHost& h = of(p);
            std::string key = request ? request : "";
            h.channel_requests.push_back(key);
            // One conversation per request text is enough for wiring tests; ids are stable per contact text.
            auto it = h.channel_conversations_.find(key);
            bool created = it == h.channel_conversations_.end();
            if (created) it = h.channel_conversations_.emplace(key, "00000000-0000-4000-9000-" + pad12(h.channel_conversations_.size() + 1)).first;
            scratch() = "{\"conversation\":{\"id\":\"" + it->second + "\",\"status\":\"bot\"},\"created\":" +
                        (created ? "true" : "false") + "}";
            if (out) *out = scratch().c_str();
            return static_cast<int>(PARLEY_OK);
        };
        api_.post_inbound = [](parley_plugin* p, const char* conversation, const char* json, const char** out) {
            of(p).inbound.emplace_back(conversation, json);
            scratch() = std::string("{\"message\":") + json + ",\"duplicate\":false}";
            if (out) *out = scratch().c_str();
            return static_cast<int>(PARLEY_OK);
        };
        api_.channel_inbound = [](parley_plugin* p, const char* request, const char** out) {
            if (out) *out = nullptr;
            if (!request) return fail(PARLEY_ERR_INVALID_ARGUMENT, "channel_inbound: null argument");
            FakeHost& h = of(p);
            std::string text = request;
            h.channel_inbound_requests.push_back(text);
            if (!h.inbound_reject.empty()) return fail(PARLEY_ERR_DENIED, h.inbound_reject);
            std::string key = field(text, "channel") + "|" + field(text, "tenant_id") + "|" + field(text, "widget_id") +
                              "|" + field(text, "contact_id");
            auto it = h.channel_contacts_.find(key);
            bool created = it == h.channel_contacts_.end();
            if (created) it = h.channel_contacts_.emplace(key, "00000000-0000-4000-9500-" + pad12(h.channel_contacts_.size() + 1)).first;
            std::string client_id = field(text, "client_message_id");
            auto seen = h.stored_client_ids_.find(it->second + "|" + client_id);
            bool duplicate = !client_id.empty() && seen != h.stored_client_ids_.end();
            std::string message_id = duplicate ? seen->second : "00000000-0000-4000-b000-" + pad12(++h.inbound_messages_);
            if (!duplicate) {
                if (!client_id.empty()) h.stored_client_ids_[it->second + "|" + client_id] = message_id;
                std::string statements = array(text, "with_commit");
                if (!statements.empty()) {
                    for (const auto& [name, value] : {std::pair<std::string, std::string>{"conversation_id", it->second},
                                                      {"message_id", message_id},
                                                      {"tenant_id", field(text, "tenant_id")}})
                        for (const auto& form : {"{\"host\":\"" + name + "\"}", "{\"host\": \"" + name + "\"}"})
                            for (size_t at; (at = statements.find(form)) != std::string::npos;)
                                statements.replace(at, form.size(), "\"" + value + "\"");
                    h.committed_with.push_back(statements);
                }
            }
            scratch() = "{\"conversation\":{\"id\":\"" + it->second + "\",\"status\":\"bot\"},\"created\":" +
                        (created ? "true" : "false") + ",\"message\":{\"id\":\"" + message_id + "\",\"conversation_id\":\"" +
                        it->second + "\"},\"duplicate\":" + (duplicate ? "true" : "false") + "}";
            if (out) *out = scratch().c_str();
            return static_cast<int>(PARLEY_OK);
        };
        api_.message_status = [](parley_plugin* p, const char* message, const char* json, const char** out) {
            of(p).statuses.emplace_back(message, json);
            scratch() = std::string("{\"message\":{\"id\":\"") + message + "\"},\"changed\":true}";
            if (out) *out = scratch().c_str();
            return static_cast<int>(PARLEY_OK);
        };
        api_.store_file = [](parley_plugin* p, const char* conversation, const char* request, const char* data, size_t size,
                             const char** out) {
            FakeHost& h = of(p);
            if (!conversation || !request || (!data && size)) return fail(PARLEY_ERR_INVALID_ARGUMENT, "store_file: null argument");
            if (size > h.max_file_size)
                return fail(PARLEY_ERR_DENIED, "the file is " + std::to_string(size) + " bytes; the limit is " +
                                                   std::to_string(h.max_file_size) + " bytes");
            h.stored_files.push_back({conversation, request, std::string(data ? data : "", size)});
            std::string id = "00000000-0000-4000-a000-" + pad12(h.stored_files.size());
            scratch() = "{\"file\":{\"id\":\"" + id + "\",\"size\":" + std::to_string(size) + ",\"url\":\"/api/v1/files/" + id + "/token\"}}";
            if (out) *out = scratch().c_str();
            return static_cast<int>(PARLEY_OK);
        };
        api_.set_conversation_attributes = [](parley_plugin* p, const char* conversation, const char* json, const char** out) {
            if (!conversation || !json) return fail(PARLEY_ERR_INVALID_ARGUMENT, "set_conversation_attributes: null argument");
            of(p).attribute_patches.emplace_back(conversation, json);
            scratch() = std::string("{\"conversation\":{\"id\":\"") + conversation + "\"},\"changed\":true}";
            if (out) *out = scratch().c_str();
            return static_cast<int>(PARLEY_OK);
        };
        api_.publish_realtime = [](parley_plugin* p, const char* tenant, const char* name, const char* json) {
            if (!tenant || !name || !json) return fail(PARLEY_ERR_INVALID_ARGUMENT, "publish_realtime: null argument");
            of(p).realtime.push_back({tenant, name, json});
            return static_cast<int>(PARLEY_OK);
        };
        api_.contacts = [](parley_plugin* p, const char* tenant, const char* query, const char** out) {
            if (!tenant) return fail(PARLEY_ERR_INVALID_ARGUMENT, "contacts: null argument");
            FakeHost& h = of(p);
            h.contact_queries.emplace_back(tenant, query ? query : "{}");
            scratch() = h.contacts_reply;
            if (out) *out = scratch().c_str();
            return static_cast<int>(PARLEY_OK);
        };
        api_.lua_return = [](parley_lua_call* call, const char* json) {
            call->result = json;
            return static_cast<int>(PARLEY_OK);
        };
    }

    // Calls the plugin's entry point; returns its status (lastError() explains a failure).
    int load(parley_plugin_load_fn entry) { return entry(&api_, &self_); }

    struct Dispatch {
        std::string payload;
        std::vector<std::string> actions;
        bool rejected = false, stopped = false;
        std::string reason;
        std::vector<std::string> failures;
    };

    // Runs the registered hooks for `event`: filters by priority, then notifications, like the host.
    Dispatch dispatch(const std::string& event, const std::string& payload_json, const std::string& origin = "") {
        parley_event e{event, payload_json, origin};
        Dispatch out;
        for (int pass = 0; pass < 2; ++pass) {
            for (const auto& h : hooks_) {
                if ((h.kind == PARLEY_HOOK_FILTER) != (pass == 0)) continue;
                if (h.event != event && h.event != "*") continue;
                if (pass == 0 && (e.rejected || e.stopped)) continue;
                e.filter = pass == 0;
                lastError().clear();
                if (h.fn(h.user, &e) != PARLEY_OK) out.failures.push_back(lastError());
            }
        }
        out.payload = e.payload;
        out.actions = e.actions;
        out.rejected = e.rejected;
        out.stopped = e.stopped;
        out.reason = e.reason;
        return out;
    }

    struct Reply {
        int status = 0;
        std::string content_type, body;
        std::map<std::string, std::string> headers;
    };

    // Calls the route matching `method` and `path` ("{name}" segments match anything); 404 when none.
    Reply call(const std::string& method, const std::string& path, const std::string& body = "",
               int visibility = PARLEY_ROUTE_ADMIN, std::map<std::string, std::string> headers = {},
               const std::string& tenant = "tenant-1", const std::string& role = "client_admin",
               const std::string& user = "user-1") {
        std::string route_path = path, query;
        auto q = path.find('?');
        if (q != std::string::npos) {
            route_path = path.substr(0, q);
            query = path.substr(q + 1);
        }
        for (const auto& r : routes_) {
            if (r.method != method || r.visibility != visibility || !matches(r.path, route_path)) continue;
            parley_request req{sizeof(parley_request), method.c_str(), route_path.c_str(), query.c_str(), body.data(),
                               body.size(), tenant.c_str(), role.c_str(), user.c_str(), "ip-hash"};
            parley_response w;
            currentHeaders() = &headers;
            lastError().clear();
            int status = r.fn(r.user, &req, &w);
            currentHeaders() = nullptr;
            if (status != PARLEY_OK && w.status == 0)
                return {500, "application/json", "{\"error\":{\"code\":\"plugin_error\",\"message\":\"" + lastError() + "\"}}", {}};
            return {w.status, w.content_type, w.body, w.headers};
        }
        return {404, "application/json", "{\"error\":{\"code\":\"not_found\",\"message\":\"no route\"}}", {}};
    }

    // Gives one committed event to every durable subscription whose patterns match `event`, as the host's
    // dispatcher would (one attempt, then `committed` for those that acknowledged; a batch subscription gets an
    // array of one). Returns the error messages of subscriptions that failed (the host would retry them).
    // `payload_json` is a JSON object.
    std::vector<std::string> publish(const std::string& event, const std::string& payload_json,
                                     const std::string& conversation_id = "", int attempt = 1) {
        return publishBatch({{event, payload_json, conversation_id}}, attempt);
    }

    // One committed event for publishBatch.
    struct Published {
        std::string name, payload_json, conversation_id;
    };
    // Gives several committed events, as one dispatcher pass would, to every subscription with matching ones:
    // a batch subscription receives them all in one call (a JSON array, in the given order); when that call
    // fails, it is offered them again one per call, and an event that fails alone holds back the later events
    // of its conversation (not offered). A per-event subscription receives them one by one, with the same
    // holding back. `committed` follows for each subscription that acknowledged at least one event. Returns
    // "<subscription>: <error>" for each event that failed alone (the host would retry those).
    std::vector<std::string> publishBatch(const std::vector<Published>& events, int attempt = 1) {
        std::vector<std::string> envelopes;
        long long pass = ++passes_;  // one pass: the events share its number
        for (const auto& e : events) {
            std::string id = "00000000-0000-4000-8000-" + pad12(++published_);
            envelopes.push_back("{\"id\":\"" + id + "\",\"name\":\"" + e.name + "\",\"tenant_id\":\"tenant-1\"," +
                                (e.conversation_id.empty() ? "" : "\"conversation_id\":\"" + e.conversation_id + "\",") +
                                "\"created_at\":0,\"attempt\":" + std::to_string(attempt) + ",\"pass\":" +
                                std::to_string(pass) + ",\"payload\":" + e.payload_json + "}");
        }
        std::vector<std::string> failures;
        for (const auto& s : subscriptions_) {
            std::vector<size_t> matching;
            for (size_t i = 0; i < events.size(); ++i)
                if (parley::eventMatches(s.events, events[i].name, events[i].payload_json)) matching.push_back(i);
            if (matching.empty()) continue;
            bool acknowledged = false;
            if (s.batch && matching.size() > 1) {
                std::string array = "[";
                for (size_t i : matching) array += (array.size() > 1 ? "," : "") + envelopes[i];
                lastError().clear();
                batch_calls.push_back(matching.size());
                if (s.batch(s.user, (array + "]").c_str(), matching.size()) == PARLEY_OK) {
                    if (s.committed) s.committed(s.user);
                    continue;
                }
            }
            std::vector<std::string> held;  // conversations with an event that failed alone
            for (size_t i : matching) {
                const std::string& conversation = events[i].conversation_id;
                if (!conversation.empty() && std::find(held.begin(), held.end(), conversation) != held.end()) continue;
                lastError().clear();
                int rc;
                if (s.batch) {
                    batch_calls.push_back(1);
                    rc = s.batch(s.user, ("[" + envelopes[i] + "]").c_str(), 1);
                } else {
                    rc = s.fn(s.user, envelopes[i].c_str());
                }
                if (rc == PARLEY_OK) {
                    acknowledged = true;
                    continue;
                }
                failures.push_back(s.name + ": " + lastError());
                if (!conversation.empty()) held.push_back(conversation);
            }
            if (acknowledged && s.committed) s.committed(s.user);
        }
        return failures;
    }
    // How many events each call of a batch subscription received, in call order.
    std::vector<size_t> batch_calls;

    // The subscriptions the plugin made: name and patterns.
    std::vector<std::pair<std::string, std::string>> subscriptions() const {
        std::vector<std::pair<std::string, std::string>> out;
        for (const auto& s : subscriptions_) out.emplace_back(s.name, s.events);
        return out;
    }

    // Runs a scheduled job now; returns its status.
    int runJob(const std::string& name) {
        auto it = jobs_.find(name);
        if (it == jobs_.end()) return fail(PARLEY_ERR_NOT_FOUND, "no job '" + name + "'");
        return it->second.fn(it->second.user);
    }
    // Calls a function exposed to Lua with JSON arguments; returns its JSON result, or throws the plugin's error.
    std::string callLua(const std::string& name, const std::string& args_json = "[]") {
        auto it = lua_.find(name);
        if (it == lua_.end()) throw std::runtime_error("no Lua function '" + name + "'");
        parley_lua_call call;
        lastError().clear();
        if (it->second.fn(it->second.user, args_json.c_str(), &call) != PARLEY_OK) throw std::runtime_error(lastError());
        return call.result;
    }

    struct HttpCall {
        std::string method, url, body;
    };
    struct HttpAnswer {
        int status = 200;
        std::string body;
    };
    // What the plugin's outgoing requests get; unset: PARLEY_ERR_UNAVAILABLE.
    std::function<HttpAnswer(const HttpCall&)> http_reply;
    std::vector<HttpCall> http_requests;

    const parley_host_api* api() const { return &api_; }
    // The plugin handle the host calls the plugin with (to build a parley::Plugin in a test, ABI 1.5).
    parley_plugin* self() { return &self_; }
    size_t hookCount() const { return hooks_.size(); }
    size_t routeCount() const { return routes_.size(); }
    static std::string& lastError() {
        static thread_local std::string error;
        return error;
    }

    std::map<std::string, std::string> kv;
    std::vector<std::pair<std::string, std::string>> emitted;
    std::vector<std::string> logs;
    std::map<std::string, double> counters;
    std::vector<std::pair<std::string, std::string>> posted;  // post_message calls: conversation id, message JSON
    // ABI 1.2 channel calls: channel_conversation request texts (each distinct text is one conversation),
    // post_inbound (conversation id, message JSON) and message_status (message id, status JSON).
    std::vector<std::string> channel_requests;
    std::vector<std::pair<std::string, std::string>> inbound;
    std::vector<std::pair<std::string, std::string>> statuses;
    // ABI 1.5 channel_inbound: the request texts; one conversation per contact (channel, tenant_id, widget_id and
    // contact_id, read by name from the text); a client_message_id seen before in that conversation is a duplicate
    // and commits nothing. For each stored message with with_commit statements, the statements' JSON array as
    // the plugin wrote it with {"host": "conversation_id"} (and message_id, tenant_id) replaced by the values: the
    // fake runs no SQL. A non-empty `inbound_reject` makes every call PARLEY_ERR_DENIED with that reason, as a
    // rejecting message.inbound hook would.
    std::vector<std::string> channel_inbound_requests;
    std::vector<std::string> committed_with;
    std::string inbound_reject;
    // ABI 1.3: store_file calls (over max_file_size: PARLEY_ERR_DENIED, nothing kept; the fake does not check
    // types), set_conversation_attributes (conversation id, patch JSON) and publish_realtime calls.
    struct StoredFileCall {
        std::string conversation_id, request_json, data;
    };
    std::vector<StoredFileCall> stored_files;
    size_t max_file_size = 10 * 1024 * 1024;
    std::vector<std::pair<std::string, std::string>> attribute_patches;
    struct RealtimeNotice {
        std::string tenant_id, name, data_json;
    };
    std::vector<RealtimeNotice> realtime;
    // contacts calls (tenant id, query JSON) and what every call answers.
    std::vector<std::pair<std::string, std::string>> contact_queries;
    std::string contacts_reply = "{\"contacts\":[],\"next\":null}";

private:
    struct Hook {
        std::string event;
        int priority;
        int kind;
        parley_hook_fn fn;
        void* user;
    };
    struct Route {
        std::string method, path;
        int visibility;
        parley_route_fn fn;
        void* user;
    };

    static FakeHost& of(parley_plugin* p) { return *static_cast<FakeHost*>(p->host); }
    static int fail(int status, const std::string& message) {
        lastError() = message;
        return status;
    }
    static std::string& scratch() {
        static thread_local std::string s;
        return s;
    }
    static const void*& currentHeaders() {
        static thread_local const void* headers = nullptr;
        return headers;
    }
    static bool equalsIgnoreCase(const std::string& a, const char* b) {
        std::string bs = b;
        return a.size() == bs.size() && std::equal(a.begin(), a.end(), bs.begin(), [](char x, char y) {
                   return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
               });
    }
    static bool matches(const std::string& pattern, const std::string& path) {
        auto split = [](const std::string& s) {
            std::vector<std::string> parts;
            size_t start = 0;
            while (start <= s.size()) {
                size_t slash = s.find('/', start);
                parts.push_back(s.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
                if (slash == std::string::npos) break;
                start = slash + 1;
            }
            return parts;
        };
        auto a = split(pattern), b = split(path);
        if (a.size() != b.size()) return false;
        for (size_t i = 0; i < a.size(); ++i)
            if (!(a[i].size() > 2 && a[i].front() == '{' && a[i].back() == '}') && a[i] != b[i]) return false;
        return true;
    }

    struct Job {
        parley_job_fn fn;
        void* user;
        int interval;
    };
    struct Lua {
        parley_lua_fn fn;
        void* user;
    };
    struct Subscription {
        std::string name, events;
        parley_event_fn fn;     // a per-event subscription, or
        parley_batch_fn batch;  // a batch subscription (ABI 1.4)
        parley_committed_fn committed;
        void* user;
    };
    static std::string pad12(long long n) {
        std::string s = std::to_string(n);
        return std::string(s.size() < 12 ? 12 - s.size() : 0, '0') + s;
    }
    std::vector<Subscription> subscriptions_;
    std::map<std::string, std::string> channel_conversations_;
    std::map<std::string, std::string> channel_contacts_;   // channel_inbound: contact key -> conversation id
    std::map<std::string, std::string> stored_client_ids_;  // "<conversation id>|<client id>" -> message id
    long long inbound_messages_ = 0;
    // The string value of the first "key" in a JSON text ("" when absent or not a string): enough for a fake.
    static std::string field(const std::string& json, const std::string& key) {
        size_t at = json.find("\"" + key + "\"");
        if (at == std::string::npos) return "";
        at = json.find_first_not_of(" \t\r\n", at + key.size() + 2);
        if (at == std::string::npos || json[at] != ':') return "";
        at = json.find_first_not_of(" \t\r\n", at + 1);
        if (at == std::string::npos || json[at] != '"') return "";
        std::string out;
        for (size_t i = at + 1; i < json.size() && json[i] != '"'; ++i) {
            if (json[i] == '\\' && i + 1 < json.size()) ++i;
            out.push_back(json[i]);
        }
        return out;
    }
    // The text of the array under the first "key" ("" when absent), brackets matched outside strings.
    static std::string array(const std::string& json, const std::string& key) {
        size_t at = json.find("\"" + key + "\"");
        if (at == std::string::npos) return "";
        at = json.find_first_not_of(" \t\r\n:", at + key.size() + 2);
        if (at == std::string::npos || json[at] != '[') return "";
        int depth = 0;
        bool in_string = false;
        for (size_t i = at; i < json.size(); ++i) {
            char c = json[i];
            if (in_string) {
                if (c == '\\') ++i;
                else if (c == '"') in_string = false;
            } else if (c == '"') in_string = true;
            else if (c == '[' || c == '{') ++depth;
            else if ((c == ']' || c == '}') && --depth == 0) return json.substr(at, i - at + 1);
        }
        return "";
    }
    long long published_ = 0;
    long long passes_ = 0;
    std::map<std::string, Job> jobs_;
    std::map<std::string, Lua> lua_;
    HttpAnswer last_http_;
    std::string config_;
    parley_host_api api_{};
    parley_plugin self_{};
    std::vector<Hook> hooks_;
    std::vector<Route> routes_;
};

}  // namespace parley::testing

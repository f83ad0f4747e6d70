// The host function table: each entry checks its arguments, catches everything, and reports by status code.
#include "app/app.hpp"
#include "app/errors.hpp"
#include "auth/principal.hpp"
#include "auth/secret_box.hpp"
#include "http/request_context.hpp"
#include "net/outbound_http.hpp"
#include "pipeline/channels.hpp"
#include "pipeline/message_pipeline.hpp"
#include "store/conversation_repository.hpp"
#include "plugin/host_calls.hpp"
#include "plugin/loaded_plugin.hpp"
#include "plugin/sql_values.hpp"
#include "store/database.hpp"
#include "store/row.hpp"

#include <Poco/String.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <deque>
#include <sstream>

namespace parley::core {
namespace {

using namespace host;

thread_local std::string t_plugin_error;  // set_error(): why the plugin's current call failed
thread_local soci::session* t_transaction = nullptr;

bool returnsRows(const std::string& statement) {
    std::string head = Poco::toUpper(Poco::trimLeft(statement).substr(0, 6));
    auto same = [](char a, char b) { return std::toupper(static_cast<unsigned char>(a)) == b; };
    const std::string_view returning = "RETURNING";  // searched in place: statements can be long (multi-row VALUES)
    return head.rfind("SELECT", 0) == 0 || head.rfind("WITH", 0) == 0 ||
           std::search(statement.begin(), statement.end(), returning.begin(), returning.end(), same) != statement.end();
}

// PostgreSQL receives every parameter as text (SOCI sends them so too): the same text here, and the statement
// is prepared once per connection (store/prepared.hpp).
std::string runPrepared(PreparedStatements& prepared, const std::string& statement, std::vector<SqlValue> params) {
    std::vector<SqlParam> values;
    values.reserve(params.size());
    for (auto& v : params) values.push_back(sqlParamOf(std::move(v)));
    bool rows_wanted = returnsRows(statement);
    std::string out = "[";
    for (const soci::row* row = prepared.run(statement, values, rows_wanted); row; row = prepared.next()) {
        if (out.size() > 1) out.push_back(',');
        appendRowJson(out, *row);
    }
    out.push_back(']');
    return out;
}

// Binds the parameters to a statement and, for statements that return rows, collects them as JSON.
std::string runSql(soci::session& sql, const std::string& statement, const std::string& params_json) {
    return host::runSqlValues(sql, statement, parseSqlValues(params_json.empty() ? "[]" : params_json));
}

}  // namespace

std::string host::runSqlValues(soci::session& sql, const std::string& statement, std::vector<SqlValue> params) {
    if (PreparedStatements* prepared = preparedFor(sql)) return runPrepared(*prepared, statement, std::move(params));
    std::deque<std::string> strings;
    std::deque<soci::indicator> indicators;
    soci::statement st(sql);
    for (auto& v : params) {
        switch (v.kind) {
            case SqlValue::Kind::null:
                strings.emplace_back();
                indicators.push_back(soci::i_null);
                st.exchange(soci::use(strings.back(), indicators.back()));
                break;
            case SqlValue::Kind::integer: st.exchange(soci::use(v.integer)); break;
            case SqlValue::Kind::real: st.exchange(soci::use(v.real)); break;
            case SqlValue::Kind::text: st.exchange(soci::use(v.text)); break;
        }
    }
    bool returns_rows = returnsRows(statement);
    std::string out = "[";
    soci::row row;
    if (returns_rows) st.exchange(soci::into(row));
    st.alloc();
    st.prepare(statement);
    st.define_and_bind();
    bool got = st.execute(true);  // true: bind the parameters (and fetch the first row, if any)
    while (returns_rows && got) {
        if (out.size() > 1) out.push_back(',');
        appendRowJson(out, row);
        got = st.fetch();
    }
    out.push_back(']');
    return out;
}

namespace {

const parley_host_api kApi = [] {
    parley_host_api api{};
    api.abi_major = PARLEY_ABI_MAJOR;
    api.abi_minor = PARLEY_ABI_MINOR;
    api.size = sizeof(parley_host_api);
    api.last_error = [] { return t_host_error.c_str(); };
    api.log = [](parley_plugin* p, int level, const char* message) {
        if (missing(p) || missing(message)) return;
        std::string line = "[" + p->plugin->manifest.id + "] " + message;
        Poco::Logger& log = *appOf(p).log;
        if (level <= PARLEY_LOG_ERROR) log.error(line);
        else if (level == PARLEY_LOG_WARNING) log.warning(line);
        else if (level >= PARLEY_LOG_DEBUG) log.debug(line);
        else log.information(line);
    };
    api.config = [](parley_plugin* p) { return p ? p->plugin->config_text.c_str() : "{}"; };
    api.hook = [](parley_plugin* p, const char* event, int priority, int kind, parley_hook_fn fn, void* user) {
        if (missing(p) || missing(event) || missing(fn)) return fail(PARLEY_ERR_INVALID_ARGUMENT, "hook: null argument");
        if (!p->plugin->loading) return fail(PARLEY_ERR_DENIED, "hooks can be registered only in parley_plugin_load");
        if (kind != PARLEY_HOOK_FILTER && kind != PARLEY_HOOK_NOTIFICATION)
            return fail(PARLEY_ERR_INVALID_ARGUMENT, "hook: kind must be PARLEY_HOOK_FILTER or PARLEY_HOOK_NOTIFICATION");
        p->plugin->hooks.push_back({event, priority, kind, fn, user});
        return static_cast<int>(PARLEY_OK);
    };
    api.route = [](parley_plugin* p, const char* method, const char* path, int visibility, parley_route_fn fn,
                   void* user) {
        if (missing(p) || missing(method) || missing(path) || missing(fn))
            return fail(PARLEY_ERR_INVALID_ARGUMENT, "route: null argument");
        if (!p->plugin->loading) return fail(PARLEY_ERR_DENIED, "routes can be registered only in parley_plugin_load");
        if (path[0] != '/') return fail(PARLEY_ERR_INVALID_ARGUMENT, std::string("route path must start with '/': ") + path);
        if (visibility != PARLEY_ROUTE_ADMIN && visibility != PARLEY_ROUTE_PUBLIC)
            return fail(PARLEY_ERR_INVALID_ARGUMENT, "route: visibility must be PARLEY_ROUTE_ADMIN or PARLEY_ROUTE_PUBLIC");
        p->plugin->routes.push_back({Poco::toUpper(std::string(method)), path, visibility, fn, user});
        return static_cast<int>(PARLEY_OK);
    };
    api.event_name = [](const parley_event* e) { return e->event->name.c_str(); };
    api.event_payload = [](const parley_event* e) { return e->event->payloadText().c_str(); };
    api.event_origin = [](const parley_event* e) { return e->event->origin.c_str(); };
    api.event_set_payload = [](parley_event* e, const char* json) {
        if (!e->filter) return fail(PARLEY_ERR_DENIED, "notifications cannot modify the payload");
        return guard([&] {
            std::string text = json ? json : "";
            e->event->setPayload(parseJsonObject(text, 64), text);
            return static_cast<int>(PARLEY_OK);
        });
    };
    api.event_add_action = [](parley_event* e, const char* json) {
        return guard([&] {
            e->outcome.actions.push_back(parseJsonObject(json ? json : "", 64));
            return static_cast<int>(PARLEY_OK);
        });
    };
    api.event_reject = [](parley_event* e, const char* reason) {
        if (!e->filter) return fail(PARLEY_ERR_DENIED, "notifications cannot reject an event");
        e->outcome.verdict = HookOutcome::reject;
        e->outcome.reason = reason ? reason : "";
        return static_cast<int>(PARLEY_OK);
    };
    api.event_stop = [](parley_event* e, const char* reason) {
        if (!e->filter) return fail(PARLEY_ERR_DENIED, "notifications cannot stop the chain");
        e->outcome.verdict = HookOutcome::stop;
        e->outcome.reason = reason ? reason : "";
        return static_cast<int>(PARLEY_OK);
    };
    api.request_header = [](const parley_request* r, const char* name) -> const char* {
        if (missing(r) || missing(name)) return nullptr;
        // The request handed to the plugin is the first member of a PluginRequest, which knows its context.
        const auto* full = reinterpret_cast<const PluginRequest*>(r);
        if (!full->ctx->request.has(name)) return nullptr;
        static thread_local std::string value;
        value = full->ctx->request.get(name);
        return value.c_str();
    };
    api.response_header = [](parley_response* w, const char* name, const char* value) {
        if (missing(name) || missing(value)) return fail(PARLEY_ERR_INVALID_ARGUMENT, "response_header: null argument");
        w->ctx->response.set(name, value);
        return static_cast<int>(PARLEY_OK);
    };
    api.respond = [](parley_response* w, int status, const char* type, const char* body, size_t size) {
        if (w->responded) return fail(PARLEY_ERR_CONFLICT, "respond was already called");
        if (status < 100 || status > 599) return fail(PARLEY_ERR_INVALID_ARGUMENT, "respond: status out of range");
        return guard([&] {
            w->ctx->sendRaw(status, type ? type : "application/octet-stream", std::string(body ? body : "", size));
            w->responded = true;
            return static_cast<int>(PARLEY_OK);
        });
    };
    api.sql = [](parley_plugin* p, const char* statement, const char* params, const char** rows) {
        if (rows) *rows = nullptr;
        if (missing(p) || missing(statement)) return fail(PARLEY_ERR_INVALID_ARGUMENT, "sql: null argument");
        return guard([&] {
            std::string result;
            if (t_transaction) {
                result = runSql(*t_transaction, statement, params ? params : "[]");
            } else {
                result = appOf(p).db->read(
                    [&](soci::session& sql) { return runSql(sql, statement, params ? params : "[]"); });
            }
            t_scratch = std::move(result);
            if (rows) *rows = t_scratch.c_str();
            return static_cast<int>(PARLEY_OK);
        });
    };
    api.kv_get = [](parley_plugin* p, const char* key, const char** value) {
        *value = nullptr;
        if (missing(p) || missing(key)) return fail(PARLEY_ERR_INVALID_ARGUMENT, "kv_get: null argument");
        return guard([&] {
            std::string owner = "plugin:" + p->plugin->manifest.id, k = key, v;
            soci::indicator ind = soci::i_null;
            bool found = appOf(p).db->read([&](soci::session& sql) {
                sql << "SELECT value FROM kv_store WHERE owner = :o AND key = :k", soci::use(owner), soci::use(k),
                    soci::into(v, ind);
                return sql.got_data();
            });
            if (!found) return fail(PARLEY_ERR_NOT_FOUND, "no value for key '" + k + "'");
            t_scratch = v;
            *value = t_scratch.c_str();
            return static_cast<int>(PARLEY_OK);
        });
    };
    api.kv_set = [](parley_plugin* p, const char* key, const char* value) {
        if (missing(p) || missing(key) || missing(value)) return fail(PARLEY_ERR_INVALID_ARGUMENT, "kv_set: null argument");
        if (std::strlen(value) > 65536) return fail(PARLEY_ERR_INVALID_ARGUMENT, "kv_set: value is over 64 KiB");
        if (std::strlen(key) > 200) return fail(PARLEY_ERR_INVALID_ARGUMENT, "kv_set: key is over 200 bytes");
        return guard([&] {
            std::string owner = "plugin:" + p->plugin->manifest.id, k = key, v = value;
            long long now = nowMs();
            appOf(p).db->write([&](soci::session& sql) {
                sql << "INSERT INTO kv_store (owner, key, value, updated_at) VALUES (:o, :k, :v, :t) "
                       "ON CONFLICT (owner, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                    soci::use(owner), soci::use(k), soci::use(v), soci::use(now);
            });
            return static_cast<int>(PARLEY_OK);
        });
    };
    api.kv_delete = [](parley_plugin* p, const char* key) {
        if (missing(p) || missing(key)) return fail(PARLEY_ERR_INVALID_ARGUMENT, "kv_delete: null argument");
        return guard([&] {
            std::string owner = "plugin:" + p->plugin->manifest.id, k = key;
            appOf(p).db->write([&](soci::session& sql) {
                sql << "DELETE FROM kv_store WHERE owner = :o AND key = :k", soci::use(owner), soci::use(k);
            });
            return static_cast<int>(PARLEY_OK);
        });
    };
    api.emit = [](parley_plugin* p, const char* event, const char* payload) {
        if (missing(p) || missing(event)) return fail(PARLEY_ERR_INVALID_ARGUMENT, "emit: null argument");
        return guard([&] {
            Event e;
            e.name = event;
            e.payload = parseJsonObject(payload ? payload : "{}", 64);
            e.origin = p->plugin->manifest.id;
            DispatchResult result = appOf(p).hooks.dispatch(e);
            for (const auto& failure : result.failures) {
                appOf(p).log->error("hook failed on " + e.name + ": " + failure);
                appOf(p).metrics.addToCounter("parley_hook_failures_total", 1);
            }
            return static_cast<int>(PARLEY_OK);
        });
    };
    api.seal = [](parley_plugin* p, const char* plaintext, const char* context, const char** sealed) {
        *sealed = nullptr;
        if (missing(p) || missing(plaintext) || missing(context)) return fail(PARLEY_ERR_INVALID_ARGUMENT, "seal: null argument");
        return guard([&] {
            t_scratch = appOf(p).secrets->seal(plaintext, "plugin:" + p->plugin->manifest.id + ":" + context);
            *sealed = t_scratch.c_str();
            return static_cast<int>(PARLEY_OK);
        });
    };
    api.open = [](parley_plugin* p, const char* sealed, const char* context, const char** plaintext) {
        *plaintext = nullptr;
        if (missing(p) || missing(sealed) || missing(context)) return fail(PARLEY_ERR_INVALID_ARGUMENT, "open: null argument");
        return guard([&] {
            try {
                t_scratch = appOf(p).secrets->open(sealed, "plugin:" + p->plugin->manifest.id + ":" + context);
            } catch (const std::runtime_error& e) {
                return fail(PARLEY_ERR_INVALID_ARGUMENT, e.what());
            }
            *plaintext = t_scratch.c_str();
            return static_cast<int>(PARLEY_OK);
        });
    };
    api.count = [](parley_plugin* p, const char* name, double value) {
        if (missing(p) || missing(name)) return fail(PARLEY_ERR_INVALID_ARGUMENT, "count: null argument");
        appOf(p).metrics.addToCounter("parley_plugin_" + p->plugin->manifest.id + "_" + name + "_total", value);
        return static_cast<int>(PARLEY_OK);
    };
    api.set_error = [](const char* message) { t_plugin_error = message ? message : ""; };
    api.http = [](parley_plugin* p, const parley_http_request* r, parley_http_response* out) {
        if (missing(p) || missing(r) || missing(out) || missing(r->method) || missing(r->url))
            return fail(PARLEY_ERR_INVALID_ARGUMENT, "http: null argument");
        return guard([&] {
            OutboundRequest req;
            req.method = Poco::toUpper(std::string(r->method));
            req.url = r->url;
            if (r->body) req.body.assign(r->body, r->body_size);
            if (r->timeout_ms > 0) req.timeout_ms = r->timeout_ms;
            if (r->max_response_bytes > 0) req.max_response_bytes = r->max_response_bytes;
            req.retries = r->retries;
            if (r->headers) {
                std::istringstream lines(r->headers);
                for (std::string line; std::getline(lines, line);) {
                    auto colon = line.find(':');
                    if (colon == std::string::npos) continue;
                    req.headers.emplace_back(Poco::trim(line.substr(0, colon)), Poco::trim(line.substr(colon + 1)));
                }
            }
            const auto& cfg = appOf(p).config.outbound;
            OutboundPolicy policy;
            policy.allow_private_targets = cfg.allow_private_targets;
            policy.allowed_hosts = cfg.allowed_private_hosts;
            OutboundResponse resp;
            try {
                resp = sendOutbound(req, policy);
            } catch (const OutboundRefused& e) {
                return fail(e.denied() ? PARLEY_ERR_DENIED : PARLEY_ERR_INVALID_ARGUMENT, e.what());
            } catch (const std::runtime_error& e) {
                return fail(PARLEY_ERR_UNAVAILABLE, e.what());
            }
            static thread_local std::string headers, body;
            headers.clear();
            for (const auto& [k, v] : resp.headers) headers += k + ": " + v + "\n";
            body = std::move(resp.body);
            out->status = resp.status;
            out->headers = headers.c_str();
            out->body = body.data();
            out->body_size = body.size();
            appOf(p).metrics.addToCounter("parley_plugin_http_requests_total", 1);
            return static_cast<int>(PARLEY_OK);
        });
    };
    api.lua_function = [](parley_plugin* p, const char* name, parley_lua_fn fn, void* user) {
        if (missing(p) || missing(name) || missing(fn)) return fail(PARLEY_ERR_INVALID_ARGUMENT, "lua_function: null argument");
        if (!p->plugin->loading) return fail(PARLEY_ERR_DENIED, "Lua functions can be exposed only in parley_plugin_load");
        p->plugin->lua_functions.push_back({name, fn, user});
        return static_cast<int>(PARLEY_OK);
    };
    api.lua_return = [](parley_lua_call* call, const char* json) {
        if (missing(call) || missing(json)) return fail(PARLEY_ERR_INVALID_ARGUMENT, "lua_return: null argument");
        return guard([&] {
            parseJson("[" + std::string(json) + "]");  // any JSON value (Poco refuses bare scalars at the top)
            call->result = json;
            return static_cast<int>(PARLEY_OK);
        });
    };
    api.post_message = [](parley_plugin* p, const char* conversation_id, const char* message_json,
                          const char** message_out) {
        if (message_out) *message_out = nullptr;
        if (missing(p) || missing(conversation_id) || missing(message_json))
            return fail(PARLEY_ERR_INVALID_ARGUMENT, "post_message: null argument");
        return guard([&] {
            std::optional<Conversation> conversation;
            if (int status = openConversation(p, conversation_id, conversation); status != PARLEY_OK) return status;
            JsonObject body = parseJsonObject(message_json, 16);
            NewMessage m;
            m.sender_type = "bot";
            m.text = reqString(body, "text", 4000);
            m.origin = p->plugin->manifest.id;
            m.payload = jsonObject();
            if (auto quick = optStringArray(body, "quick_replies", 10, 100)) {
                JsonArray list = jsonArray();
                for (const auto& q : *quick) list->add(q);
                m.payload->set("quick_replies", list);
            }
            Message stored = appOf(p).pipeline->postFromBot(*conversation, std::move(m));
            t_scratch = toJson(stored.toJson());
            if (message_out) *message_out = t_scratch.c_str();
            return static_cast<int>(PARLEY_OK);
        });
    };
    api.transaction = [](parley_plugin* p, parley_transaction_fn fn, void* user) {
        if (missing(p) || missing(fn)) return fail(PARLEY_ERR_INVALID_ARGUMENT, "transaction: null argument");
        if (t_transaction) return fn(user);  // already inside one: join it
        int rc = PARLEY_OK;
        std::string error;
        // Plugins batch their bookkeeping in these (crm_webhooks settles many deliveries in one): on SQLite they
        // alternate with request writers rather than queue behind all of them.
        Database::BackgroundWriter background;
        try {
            appOf(p).db->write([&](soci::session& sql) {
                PluginTransactionScope scope(sql);
                clearPluginError();
                rc = fn(user);
                if (rc != PARLEY_OK) {
                    error = pluginError();
                    throw std::runtime_error("rolled back");  // leaves write() through its rollback path
                }
            });
        } catch (const std::exception& e) {
            if (rc == PARLEY_OK) return fail(PARLEY_ERR_INTERNAL, std::string("transaction failed: ") + e.what());
            return fail(rc, "transaction rolled back" + (error.empty() ? std::string() : ": " + error));
        }
        return static_cast<int>(PARLEY_OK);
    };
    api.schedule = [](parley_plugin* p, const char* name, int interval_seconds, parley_job_fn fn, void* user) {
        if (missing(p) || missing(name) || missing(fn)) return fail(PARLEY_ERR_INVALID_ARGUMENT, "schedule: null argument");
        if (!p->plugin->loading) return fail(PARLEY_ERR_DENIED, "jobs can be scheduled only in parley_plugin_load");
        if (interval_seconds < 1) return fail(PARLEY_ERR_INVALID_ARGUMENT, "schedule: interval_seconds must be at least 1");
        p->plugin->jobs.push_back({name, interval_seconds, fn, user});
        return static_cast<int>(PARLEY_OK);
    };
    api.subscribe = [](parley_plugin* p, const char* name, const char* events, parley_event_fn fn,
                       parley_committed_fn committed, void* user) {
        return recordSubscription(p, "subscribe", name, events, fn, nullptr, committed, user);
    };
    api.channel_conversation = [](parley_plugin* p, const char* request_json, const char** conversation_out) {
        if (conversation_out) *conversation_out = nullptr;
        if (missing(p) || missing(request_json)) return fail(PARLEY_ERR_INVALID_ARGUMENT, "channel_conversation: null argument");
        return guard([&] {
            JsonObject body = parseJsonObject(request_json, 32);
            ChannelContact contact;
            contact.channel = reqString(body, "channel", 30);
            contact.tenant_id = reqString(body, "tenant_id", 36);
            contact.widget_id = reqString(body, "widget_id", 36);
            contact.contact_id = reqString(body, "contact_id", 100);
            contact.visitor_info = optObject(body, "visitor_info").value_or(jsonObject());
            contact.context = optObject(body, "context").value_or(jsonObject());
            ChannelConversation opened = openChannelConversation(appOf(p), contact);
            JsonObject out = jsonObject();
            out->set("conversation", opened.conversation.toJson());
            out->set("created", opened.created);
            t_scratch = toJson(out);
            if (conversation_out) *conversation_out = t_scratch.c_str();
            return static_cast<int>(PARLEY_OK);
        });
    };
    api.post_inbound = [](parley_plugin* p, const char* conversation_id, const char* message_json, const char** result_out) {
        if (result_out) *result_out = nullptr;
        if (missing(p) || missing(conversation_id) || missing(message_json))
            return fail(PARLEY_ERR_INVALID_ARGUMENT, "post_inbound: null argument");
        return guard([&] {
            JsonObject body = parseJsonObject(message_json, 32);
            NewMessage m;
            if (int rc = inboundMessageFrom(body, "post_inbound", std::strlen(message_json) < 32768, m); rc != PARLEY_OK)
                return rc;
            // The conversation and the client id's first result in one read.
            std::optional<std::pair<Conversation, bool>> found;
            std::string id = conversation_id;
            if (isUuid(id))
                found = appOf(p).db->read([&](soci::session& sql) {
                    return ConversationRepository(sql).findForMessage(id, m.client_message_id);
                });
            if (!found) return fail(PARLEY_ERR_NOT_FOUND, "no conversation '" + id + "'");
            if (found->first.status == "closed") return fail(PARLEY_ERR_CONFLICT, "conversation '" + id + "' is closed");
            Posted posted;
            try {
                posted = appOf(p).pipeline->postFromVisitor(found->first, std::move(m), found->second);
            } catch (const ApiError& e) {
                if (e.status() == 422) return fail(PARLEY_ERR_DENIED, e.what());
                throw;
            }
            JsonObject out = jsonObject();
            out->set("message", posted.message.toJson());
            out->set("duplicate", posted.duplicate);
            t_scratch = toJson(out);
            if (result_out) *result_out = t_scratch.c_str();
            return static_cast<int>(PARLEY_OK);
        });
    };
    api.message_status = [](parley_plugin* p, const char* message_id, const char* status_json, const char** message_out) {
        if (message_out) *message_out = nullptr;
        if (missing(p) || missing(message_id) || missing(status_json))
            return fail(PARLEY_ERR_INVALID_ARGUMENT, "message_status: null argument");
        if (t_transaction) return fail(PARLEY_ERR_DENIED, "message_status opens its own transaction: call it outside one");
        return guard([&] {
            JsonObject body = parseJsonObject(status_json, 16);
            std::string status = reqString(body, "status", 20);
            long long at = optInt(body, "at", 0, 1LL << 52).value_or(nowMs());
            DeliveryUpdate update = applyDeliveryStatus(appOf(p), message_id, status, at,
                                                        optString(body, "external_id", 200).value_or(""),
                                                        optObject(body, "error").value_or(nullptr));
            JsonObject out = jsonObject();
            out->set("message", update.message.toJson());
            out->set("changed", update.changed);
            t_scratch = toJson(out);
            if (message_out) *message_out = t_scratch.c_str();
            return static_cast<int>(PARLEY_OK);
        });
    };
    addHostApi13(api);
    addHostApi14(api);
    addHostApi15(api);
    return api;
}();

}  // namespace

namespace host {

App& appOf(parley_plugin* p) { return p->host->app(); }

int inboundMessageFrom(const JsonObject& body, const std::string& call, bool small_payload, NewMessage& m) {
    m.sender_type = "visitor";
    m.type = optString(body, "type", 20).value_or("text");
    if (m.type.empty() || m.type.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos)
        return fail(PARLEY_ERR_INVALID_ARGUMENT, call + ": type must be 1 to 20 of [a-z_]");
    m.text = optString(body, "text", 4000).value_or("");
    m.payload = optObject(body, "payload").value_or(jsonObject());
    if (!small_payload && toJson(m.payload).size() > 32768)
        return fail(PARLEY_ERR_INVALID_ARGUMENT, call + ": payload is over 32 KiB");
    m.client_message_id = optString(body, "client_message_id", 200).value_or("");
    return PARLEY_OK;
}

int openConversation(parley_plugin* p, const std::string& id, std::optional<Conversation>& out) {
    if (isUuid(id)) out = appOf(p).db->read([&](soci::session& sql) { return ConversationRepository(sql).find(id); });
    if (!out) return fail(PARLEY_ERR_NOT_FOUND, "no conversation '" + id + "'");
    if (out->status == "closed") return fail(PARLEY_ERR_CONFLICT, "conversation '" + id + "' is closed");
    return PARLEY_OK;
}

bool inTransaction() { return t_transaction != nullptr; }

}  // namespace host

const parley_host_api* hostApi() { return &kApi; }

void clearPluginError() { t_plugin_error.clear(); }
std::string pluginError() { return t_plugin_error; }

PluginTransactionScope::PluginTransactionScope(soci::session& session) : previous_(t_transaction) {
    t_transaction = &session;
}
PluginTransactionScope::~PluginTransactionScope() { t_transaction = previous_; }

}  // namespace parley::core

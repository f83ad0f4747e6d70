// The admin API under /api/v1/plugins/crm_webhooks/: endpoints, secrets, deliveries and replays, the error
// log, and automation settings. Tenant-scoped; client_user reads only; agents see nothing.
#include "admin_routes.hpp"

#include "signing.hpp"

#include <Poco/JSON/Array.h>

#include <regex>

namespace parley::crm_webhooks {
namespace {

struct ApiError {
    int status;
    std::string code, message;
};

std::vector<std::string> segments(const std::string& path) {
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

Json body(const parley::Request& r) {
    std::string text(r.body());
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) return new Poco::JSON::Object;
    try {
        return parseObject(text);
    } catch (const std::invalid_argument& e) {
        throw ApiError{400, "invalid_json", std::string("the body must be a JSON object: ") + e.what()};
    }
}

ApiError invalid(const std::string& field, const std::string& why) {
    return {422, "invalid_field", "'" + field + "' " + why};
}

std::optional<std::string> optText(const Json& o, const std::string& key, size_t max) {
    if (!o->has(key) || o->isNull(key)) return std::nullopt;
    if (!o->get(key).isString()) throw invalid(key, "must be a string");
    std::string v = o->getValue<std::string>(key);
    if (v.size() > max) throw invalid(key, "is longer than " + std::to_string(max) + " bytes");
    return v;
}

std::string checkUrl(const std::string& url, const std::string& field) {
    static const std::regex re(R"(^https?://[^\s/?#]+([/?#][^\s]*)?$)", std::regex::icase);
    if (!std::regex_match(url, re)) throw invalid(field, "must be an http:// or https:// URL (got '" + url + "')");
    return url;
}

// "events": ["message.*", "lead.captured"] or "message.*, lead.captured".
std::string checkEvents(const Json& o) {
    std::string joined;
    Poco::Dynamic::Var v = o->get("events");
    std::vector<std::string> items;
    if (v.isString()) {
        std::string s = v.extract<std::string>();
        size_t start = 0;
        while (start <= s.size()) {
            size_t comma = s.find(',', start);
            items.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
    } else if (v.type() == typeid(Poco::JSON::Array::Ptr)) {
        auto list = v.extract<Poco::JSON::Array::Ptr>();
        for (size_t i = 0; i < list->size(); ++i) {
            if (!list->get(static_cast<unsigned>(i)).isString()) throw invalid("events", "must hold only strings");
            items.push_back(list->getElement<std::string>(static_cast<unsigned>(i)));
        }
    } else {
        throw invalid("events", "must be a list of event names or patterns such as [\"message.*\", \"lead.captured\"]");
    }
    static const std::regex pattern(R"(^[a-z0-9_*]+(\.[a-z0-9_*]+)*$)");
    for (auto item : items) {
        item.erase(0, item.find_first_not_of(' '));
        item.erase(item.find_last_not_of(' ') + 1);
        if (!std::regex_match(item, pattern))
            throw invalid("events", "holds '" + item + "', which is not an event name or pattern (see docs/events.md)");
        joined += (joined.empty() ? "" : ",") + item;
    }
    if (joined.empty() || joined.size() > 1000) throw invalid("events", "must name 1 or more events");
    return joined;
}

}  // namespace

AdminRoutes::AdminRoutes(parley::Plugin plugin, Settings settings, Deliveries& deliveries)
    : p_(plugin), s_(std::move(settings)), deliveries_(deliveries) {}

Json AdminRoutes::endpointJson(const Json& row) const {
    Json o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("id", stringOf(row, "id"));
    o->set("widget_id", isNull(row, "widget_id") ? Poco::Dynamic::Var() : Poco::Dynamic::Var(stringOf(row, "widget_id")));
    o->set("url", stringOf(row, "url"));
    o->set("description", stringOf(row, "description"));
    Poco::JSON::Array::Ptr events = new Poco::JSON::Array;
    std::string list = stringOf(row, "events");
    size_t start = 0;
    while (start <= list.size()) {
        size_t comma = list.find(',', start);
        events->add(list.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    o->set("events", events);
    o->set("format", stringOf(row, "format"));
    o->set("enabled", intOf(row, "enabled") != 0);
    o->set("disabled_reason", isNull(row, "disabled_reason") ? Poco::Dynamic::Var() : Poco::Dynamic::Var(stringOf(row, "disabled_reason")));
    Json health = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    long long failures = intOf(row, "consecutive_failures");
    health->set("state", intOf(row, "enabled") == 0 ? "disabled" : failures >= s_.failing_after ? "failing" : failures > 0 ? "degraded" : "healthy");
    health->set("consecutive_failures", failures);
    for (const char* k : {"failing_since", "last_success_at", "last_failure_at"})
        health->set(k, isNull(row, k) ? Poco::Dynamic::Var() : Poco::Dynamic::Var(intOf(row, k)));
    o->set("health", health);
    long long previous = intOf(row, "previous_secret_expires_at");
    o->set("previous_secret_expires_at", previous > nowMs() ? Poco::Dynamic::Var(previous) : Poco::Dynamic::Var());
    o->set("created_at", intOf(row, "created_at"));
    o->set("updated_at", intOf(row, "updated_at"));
    return o;
}

Json AdminRoutes::findEndpoint(const std::string& tenant, const std::string& id) const {
    if (!isUuid(id)) throw ApiError{404, "not_found", "no endpoint '" + id + "' in this tenant"};
    auto found = rows(p_, "SELECT * FROM crm_webhooks_endpoint WHERE id = :1 AND tenant_id = :2", P(id, tenant));
    if (found.empty()) throw ApiError{404, "not_found", "no endpoint '" + id + "' in this tenant"};
    return found[0];
}

void AdminRoutes::checkWidget(const std::string& tenant, const std::string& widget, const std::string& field) const {
    if (!isUuid(widget)) throw invalid(field, "must be a widget id (a UUID)");
    if (rows(p_, "SELECT id FROM widgets WHERE id = :1 AND tenant_id = :2", P(widget, tenant)).empty())
        throw ApiError{422, "unknown_widget", "no widget '" + widget + "' in this tenant"};
}

Json AdminRoutes::attemptJson(const Attempt& a) {
    Json o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("ok", a.ok);
    o->set("status", a.status ? Poco::Dynamic::Var(a.status) : Poco::Dynamic::Var());
    o->set("latency_ms", a.latency_ms);
    o->set("error", a.error.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(a.error));
    return o;
}

void AdminRoutes::handle(const parley::Request& r, parley::Response& w) {
    try {
        std::string role = r.role(), tenant = r.tenantId();
        if (role == "agent" || role.empty()) throw ApiError{403, "forbidden", "webhooks are managed by the tenant's admins"};
        if (tenant.empty())
            throw ApiError{400, "tenant_required", "name the tenant with the X-Parley-Tenant header or ?tenant="};
        bool writes = r.method() != "GET";
        if (writes && role == "client_user")
            throw ApiError{403, "forbidden", "client_user is read-only: ask a client_admin to change webhooks"};
        auto parts = segments(r.path());
        route(r, w, tenant, parts);
    } catch (const ApiError& e) {
        w.error(e.status, e.code, e.message);
    }
}

void AdminRoutes::route(const parley::Request& r, parley::Response& w, const std::string& tenant,
                        const std::vector<std::string>& parts) {
    const std::string& m = r.method();
    size_t n = parts.size();
    if (parts[0] == "endpoints" && n == 1 && m == "GET") return list(w, tenant);
    if (parts[0] == "endpoints" && n == 1 && m == "POST") return create(r, w, tenant);
    if (parts[0] == "endpoints" && n == 2 && m == "GET") return w.json(200, toText(endpointJson(findEndpoint(tenant, parts[1]))));
    if (parts[0] == "endpoints" && n == 2 && m == "PATCH") return update(r, w, tenant, parts[1]);
    if (parts[0] == "endpoints" && n == 2 && m == "DELETE") {
        findEndpoint(tenant, parts[1]);
        p_.transaction([&] {
            p_.sql("DELETE FROM crm_webhooks_delivery WHERE endpoint_id = :1", P(parts[1]));
            p_.sql("DELETE FROM crm_webhooks_endpoint WHERE id = :1 AND tenant_id = :2", P(parts[1], tenant));
        });
        return w.send(204, "application/json", "");
    }
    if (parts[0] == "endpoints" && n == 3 && parts[2] == "rotate-secret" && m == "POST") return rotate(r, w, tenant, parts[1]);
    if (parts[0] == "endpoints" && n == 3 && parts[2] == "test" && m == "POST") {
        Json e = findEndpoint(tenant, parts[1]);
        Json o = new Poco::JSON::Object;
        o->set("test", attemptJson(deliveries_.test(e)));
        return w.json(200, toText(o));
    }
    if (parts[0] == "endpoints" && n == 3 && parts[2] == "deliveries" && m == "GET") return listDeliveries(r, w, tenant, parts[1]);
    if (parts[0] == "endpoints" && n == 3 && parts[2] == "replay" && m == "POST") {
        findEndpoint(tenant, parts[1]);
        long long now = nowMs();
        auto replayed = rows(p_, "UPDATE crm_webhooks_delivery SET state = 'pending', attempts = 0, next_attempt_at = :1, "
                                 "last_error = NULL WHERE endpoint_id = :2 AND state = 'dead' RETURNING seq",
                             P(now, parts[1]));
        deliveries_.wake();
        return w.json(200, "{\"replayed\":" + std::to_string(replayed.size()) + "}");
    }
    if (parts[0] == "deliveries" && n == 3 && parts[2] == "replay" && m == "POST") {
        if (parts[1].empty() || parts[1].size() > 18 || parts[1].find_first_not_of("0123456789") != std::string::npos)
            throw ApiError{404, "not_found", "no delivery '" + parts[1] + "' in this tenant"};
        long long seq = std::stoll(parts[1]);
        auto found = rows(p_, "SELECT state FROM crm_webhooks_delivery WHERE seq = :1 AND tenant_id = :2", P(seq, tenant));
        if (found.empty()) throw ApiError{404, "not_found", "no delivery '" + parts[1] + "' in this tenant"};
        if (stringOf(found[0], "state") != "dead")
            throw ApiError{409, "not_dead", "delivery " + parts[1] + " is " + stringOf(found[0], "state") +
                                                ": only dead-lettered deliveries can be replayed"};
        p_.sql("UPDATE crm_webhooks_delivery SET state = 'pending', attempts = 0, next_attempt_at = :1, last_error = NULL "
               "WHERE seq = :2",
               P(nowMs(), seq));
        deliveries_.wake();
        return w.json(202, "{\"replayed\":1}");
    }
    if (parts[0] == "errors" && n == 1 && m == "GET") return listErrors(r, w, tenant);
    if (parts[0] == "automations" && n == 2 && m == "GET") {
        checkWidget(tenant, parts[1], "widget_id");
        auto found = rows(p_, "SELECT * FROM crm_webhooks_automation WHERE widget_id = :1 AND tenant_id = :2", P(parts[1], tenant));
        if (found.empty()) throw ApiError{404, "not_found", "widget '" + parts[1] + "' has no automation"};
        return w.json(200, toText(automationJson(found[0])));
    }
    if (parts[0] == "automations" && n == 2 && m == "PUT") return putAutomation(r, w, tenant, parts[1]);
    if (parts[0] == "automations" && n == 2 && m == "DELETE") {
        checkWidget(tenant, parts[1], "widget_id");
        auto gone = rows(p_, "DELETE FROM crm_webhooks_automation WHERE widget_id = :1 AND tenant_id = :2 RETURNING widget_id",
                         P(parts[1], tenant));
        if (gone.empty()) throw ApiError{404, "not_found", "widget '" + parts[1] + "' has no automation"};
        return w.send(204, "application/json", "");
    }
    throw ApiError{404, "not_found", "no route " + m + " " + r.path() + " in crm_webhooks (see its README)"};
}

void AdminRoutes::list(parley::Response& w, const std::string& tenant) {
    Poco::JSON::Array::Ptr out = new Poco::JSON::Array;
    for (const auto& row : rows(p_, "SELECT * FROM crm_webhooks_endpoint WHERE tenant_id = :1 ORDER BY created_at", P(tenant)))
        out->add(endpointJson(row));
    Json o = new Poco::JSON::Object;
    o->set("endpoints", out);
    w.json(200, toText(o));
}

void AdminRoutes::create(const parley::Request& r, parley::Response& w, const std::string& tenant) {
    Json in = body(r);
    auto url = optText(in, "url", 2000);
    if (!url) throw invalid("url", "is required");
    checkUrl(*url, "url");
    if (!in->has("events")) throw invalid("events", "is required (e.g. [\"message.created\", \"lead.captured\"] or [\"*\"])");
    std::string events = checkEvents(in);
    std::string format = optText(in, "format", 20).value_or("standard");
    if (format != "standard" && format != "legacy") throw invalid("format", "must be 'standard' or 'legacy' (got '" + format + "')");
    auto widget = optText(in, "widget_id", 36);
    if (widget) checkWidget(tenant, *widget, "widget_id");
    std::string description = optText(in, "description", 500).value_or("");
    bool enabled = true;
    if (in->has("enabled")) {
        if (!in->get("enabled").isBoolean()) throw invalid("enabled", "must be true or false");
        enabled = in->getValue<bool>("enabled");
    }
    long long count = intOf(rows(p_, "SELECT COUNT(*) AS n FROM crm_webhooks_endpoint WHERE tenant_id = :1", P(tenant))[0], "n");
    if (count >= s_.max_endpoints_per_tenant)
        throw ApiError{409, "limit_reached", "this tenant has " + std::to_string(count) + " endpoints, the most allowed"};
    std::string id = newUuid(), secret = newSecret();
    long long now = nowMs();
    p_.sql("INSERT INTO crm_webhooks_endpoint (id, tenant_id, widget_id, url, description, events, format, secret, enabled, "
           "created_at, updated_at) VALUES (:1, :2, :3, :4, :5, :6, :7, :8, :9, :10, :11)",
           widget ? P(id, tenant, *widget, *url, description, events, format, p_.seal(secret, "endpoint:" + id), enabled ? 1 : 0, now, now)
                  : P(id, tenant, nullptr, *url, description, events, format, p_.seal(secret, "endpoint:" + id), enabled ? 1 : 0, now, now));
    Json row = findEndpoint(tenant, id);
    Json out = endpointJson(row);
    out->set("secret", secret);  // shown once
    if (s_.test_on_save && enabled) out->set("test", attemptJson(deliveries_.test(row)));
    w.json(201, toText(out));
}

void AdminRoutes::update(const parley::Request& r, parley::Response& w, const std::string& tenant, const std::string& id) {
    Json row = findEndpoint(tenant, id);
    Json in = body(r);
    std::string url = stringOf(row, "url"), events = stringOf(row, "events"), format = stringOf(row, "format");
    std::string description = stringOf(row, "description");
    Poco::Dynamic::Var widget = isNull(row, "widget_id") ? Poco::Dynamic::Var() : Poco::Dynamic::Var(stringOf(row, "widget_id"));
    bool enabled = intOf(row, "enabled") != 0, was_enabled = enabled, url_changed = false;
    for (const auto& key : in->getNames()) {
        if (key == "url") {
            url = checkUrl(optText(in, "url", 2000).value_or(""), "url");
            url_changed = url != stringOf(row, "url");
        } else if (key == "events") {
            events = checkEvents(in);
        } else if (key == "format") {
            format = optText(in, "format", 20).value_or("");
            if (format != "standard" && format != "legacy") throw invalid("format", "must be 'standard' or 'legacy'");
        } else if (key == "description") {
            description = optText(in, "description", 500).value_or("");
        } else if (key == "widget_id") {
            auto v = optText(in, "widget_id", 36);
            if (v) checkWidget(tenant, *v, "widget_id");
            widget = v ? Poco::Dynamic::Var(*v) : Poco::Dynamic::Var();
        } else if (key == "enabled") {
            if (!in->get("enabled").isBoolean()) throw invalid("enabled", "must be true or false");
            enabled = in->getValue<bool>("enabled");
        } else {
            throw invalid(key, "is not a field of an endpoint (url, events, format, description, widget_id, enabled)");
        }
    }
    long long now = nowMs();
    // Re-enabling clears the reason and the failure streak: the operator says it is fixed.
    bool reenabled = enabled && !was_enabled;
    p_.sql("UPDATE crm_webhooks_endpoint SET url = :1, events = :2, format = :3, description = :4, widget_id = :5, "
           "enabled = :6, updated_at = :7 WHERE id = :8",
           P(url, events, format, description, widget, enabled ? 1 : 0, now, id));
    if (reenabled)
        p_.sql("UPDATE crm_webhooks_endpoint SET disabled_reason = NULL, consecutive_failures = 0, failing_since = NULL, "
               "failing_notified = 0 WHERE id = :1",
               P(id));
    row = findEndpoint(tenant, id);
    Json out = endpointJson(row);
    if (s_.test_on_save && enabled && (url_changed || reenabled)) out->set("test", attemptJson(deliveries_.test(row)));
    if (reenabled) deliveries_.wake();
    w.json(200, toText(out));
}

void AdminRoutes::rotate(const parley::Request& r, parley::Response& w, const std::string& tenant, const std::string& id) {
    Json row = findEndpoint(tenant, id);
    Json in = body(r);
    long long overlap = s_.secret_overlap_seconds;
    if (in->has("overlap_seconds")) {
        Poco::Dynamic::Var v = in->get("overlap_seconds");
        if (!v.isInteger() || v.convert<long long>() < 0 || v.convert<long long>() > 30 * 86400)
            throw invalid("overlap_seconds", "must be an integer from 0 to 2592000 (30 days)");
        overlap = v.convert<long long>();
    }
    std::string secret = newSecret();
    long long now = nowMs();
    p_.sql("UPDATE crm_webhooks_endpoint SET previous_secret = secret, previous_secret_expires_at = :1, secret = :2, "
           "updated_at = :3 WHERE id = :4",
           P(now + overlap * 1000, p_.seal(secret, "endpoint:" + id), now, id));
    Json out = endpointJson(findEndpoint(tenant, id));
    out->set("secret", secret);  // shown once
    w.json(200, toText(out));
}

void AdminRoutes::listDeliveries(const parley::Request& r, parley::Response& w, const std::string& tenant,
                                 const std::string& id) {
    findEndpoint(tenant, id);
    std::string state = r.param("state").value_or("");
    if (!state.empty() && state != "pending" && state != "delivering" && state != "delivered" && state != "dead")
        throw invalid("state", "must be pending, delivering, delivered or dead (got '" + state + "')");
    auto list = state.empty()
                    ? rows(p_, "SELECT seq, id, event_id, event_name, state, attempts, next_attempt_at, last_status, last_error, "
                               "created_at, delivered_at FROM crm_webhooks_delivery WHERE endpoint_id = :1 ORDER BY seq DESC LIMIT 200",
                           P(id))
                    : rows(p_, "SELECT seq, id, event_id, event_name, state, attempts, next_attempt_at, last_status, last_error, "
                               "created_at, delivered_at FROM crm_webhooks_delivery WHERE endpoint_id = :1 AND state = :2 "
                               "ORDER BY seq DESC LIMIT 200",
                           P(id, state));
    Poco::JSON::Array::Ptr out = new Poco::JSON::Array;
    for (const auto& d : list) {
        Json o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        o->set("delivery_id", intOf(d, "seq"));
        o->set("webhook_id", stringOf(d, "id"));
        for (const char* k : {"event_id", "event_name", "state", "last_error"}) o->set(k, d->get(k));
        for (const char* k : {"attempts", "next_attempt_at", "last_status", "created_at", "delivered_at"})
            o->set(k, isNull(d, k) ? Poco::Dynamic::Var() : Poco::Dynamic::Var(intOf(d, k)));
        out->add(o);
    }
    Json o = new Poco::JSON::Object;
    o->set("deliveries", out);
    w.json(200, toText(o));
}

void AdminRoutes::listErrors(const parley::Request& r, parley::Response& w, const std::string& tenant) {
    std::string endpoint = r.param("endpoint_id").value_or("");
    if (!endpoint.empty()) findEndpoint(tenant, endpoint);
    auto list = endpoint.empty()
                    ? rows(p_, "SELECT * FROM crm_webhooks_error WHERE tenant_id = :1 ORDER BY seq DESC LIMIT 200", P(tenant))
                    : rows(p_, "SELECT * FROM crm_webhooks_error WHERE tenant_id = :1 AND endpoint_id = :2 ORDER BY seq DESC LIMIT 200",
                           P(tenant, endpoint));
    Poco::JSON::Array::Ptr out = new Poco::JSON::Array;
    for (const auto& e : list) {
        Json o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        for (const char* k : {"endpoint_id", "delivery_id", "event_name", "error", "response_excerpt"}) o->set(k, stringOf(e, k));
        for (const char* k : {"attempt", "status", "latency_ms", "occurred_at"})
            o->set(k, isNull(e, k) ? Poco::Dynamic::Var() : Poco::Dynamic::Var(intOf(e, k)));
        out->add(o);
    }
    Json o = new Poco::JSON::Object;
    o->set("errors", out);
    w.json(200, toText(o));
}

Json AdminRoutes::automationJson(const Json& row) const {
    Json o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("widget_id", stringOf(row, "widget_id"));
    o->set("url", stringOf(row, "url"));
    o->set("mode", stringOf(row, "mode"));
    o->set("timeout_ms", intOf(row, "timeout_ms"));
    o->set("fallback_text", stringOf(row, "fallback_text"));
    o->set("enabled", intOf(row, "enabled") != 0);
    o->set("updated_at", intOf(row, "updated_at"));
    return o;
}

void AdminRoutes::putAutomation(const parley::Request& r, parley::Response& w, const std::string& tenant,
                                const std::string& widget) {
    checkWidget(tenant, widget, "widget_id");
    Json in = body(r);
    auto url = optText(in, "url", 2000);
    if (!url) throw invalid("url", "is required");
    checkUrl(*url, "url");
    std::string mode = optText(in, "mode", 20).value_or("all");
    if (mode != "all" && mode != "fallback") throw invalid("mode", "must be 'all' or 'fallback' (got '" + mode + "')");
    long long timeout = s_.automation_timeout_ms;
    if (in->has("timeout_ms")) {
        Poco::Dynamic::Var v = in->get("timeout_ms");
        if (!v.isInteger() || v.convert<long long>() < 100 || v.convert<long long>() > 30000)
            throw invalid("timeout_ms", "must be an integer from 100 to 30000");
        timeout = v.convert<long long>();
    }
    std::string fallback = optText(in, "fallback_text", 1000).value_or("Thanks for your message! We'll get back to you shortly.");
    bool enabled = true;
    if (in->has("enabled")) {
        if (!in->get("enabled").isBoolean()) throw invalid("enabled", "must be true or false");
        enabled = in->getValue<bool>("enabled");
    }
    long long now = nowMs();
    auto existing = rows(p_, "SELECT secret FROM crm_webhooks_automation WHERE widget_id = :1", P(widget));
    std::string secret;
    if (existing.empty() || in->optValue<bool>("rotate_secret", false)) secret = newSecret();
    std::string sealed = secret.empty() ? stringOf(existing[0], "secret") : p_.seal(secret, "automation:" + widget);
    p_.sql("INSERT INTO crm_webhooks_automation (widget_id, tenant_id, url, secret, mode, timeout_ms, fallback_text, enabled, "
           "created_at, updated_at) VALUES (:1, :2, :3, :4, :5, :6, :7, :8, :9, :10) ON CONFLICT (widget_id) DO UPDATE SET "
           "url = excluded.url, secret = excluded.secret, mode = excluded.mode, timeout_ms = excluded.timeout_ms, "
           "fallback_text = excluded.fallback_text, enabled = excluded.enabled, updated_at = excluded.updated_at",
           P(widget, tenant, *url, sealed, mode, timeout, fallback, enabled ? 1 : 0, now, now));
    Json out = automationJson(rows(p_, "SELECT * FROM crm_webhooks_automation WHERE widget_id = :1", P(widget))[0]);
    if (!secret.empty()) out->set("secret", secret);  // shown once
    w.json(existing.empty() ? 201 : 200, toText(out));
}

}  // namespace parley::crm_webhooks

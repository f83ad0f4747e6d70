// Admin routes: tenant-scoped (X-Parley-Tenant), writes for super_admin and client_admin, every bad input a JSON
// error naming the field.
#include "routes.hpp"

#include "broadcasts.hpp"

#include <Poco/RandomStream.h>

#include <regex>
#include <sstream>

namespace parley::whatsapp {
namespace {

std::string mask(const std::string& secret) {
    if (secret.size() <= 8) return "****";
    return "****" + secret.substr(secret.size() - 4);
}

std::string randomHex(size_t bytes) {
    Poco::RandomInputStream in;
    std::string out;
    static const char* hex = "0123456789abcdef";
    for (size_t i = 0; i < bytes; ++i) {
        unsigned char c = static_cast<unsigned char>(in.get());
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 15]);
    }
    return out;
}

Object::Ptr numberJson(const Db& db, const Object::Ptr& row, const Number* opened) {
    Object::Ptr o = newObject();
    for (const char* k : {"phone_number_id", "business_account_id", "display_number", "widget_id", "graph_version"}) o->set(k, col(row, k));
    std::string tpl = col(row, "window_template");
    o->set("window_template", tpl.empty() ? newObject() : parseObject(tpl));
    if (opened) {
        o->set("app_secret", mask(opened->app_secret));
        o->set("access_token", mask(opened->access_token));
        o->set("verify_token", mask(opened->verify_token));
    }
    Object::Ptr health = newObject();
    health->set("token_state", col(row, "token_state"));
    std::string error = col(row, "token_error");
    health->set("token_error", error.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(parseObject(error)));
    health->set("last_webhook_at", row->has("last_webhook_at") && !row->isNull("last_webhook_at") ? Poco::Dynamic::Var(num(row, "last_webhook_at")) : Poco::Dynamic::Var());
    health->set("last_send_at", row->has("last_send_at") && !row->isNull("last_send_at") ? Poco::Dynamic::Var(num(row, "last_send_at")) : Poco::Dynamic::Var());
    health->set("healthy", col(row, "token_state") == "ok");
    o->set("health", health);
    o->set("webhook_path", std::string("/hooks/whatsapp"));
    (void)db;
    return o;
}

bool digits(const std::string& s, size_t max) {
    return !s.empty() && s.size() <= max && s.find_first_not_of("0123456789") == std::string::npos;
}

// Reads an optional string field; answers 422 itself on a wrong type or size and returns false.
bool field(const Object::Ptr& body, parley::Response& w, const std::string& name, size_t max, std::optional<std::string>& out) {
    if (!body->has(name) || body->isNull(name)) return true;
    if (!body->get(name).isString() || body->get(name).extract<std::string>().size() > max) {
        w.error(422, "invalid_field", "field '" + name + "' must be a string of at most " + std::to_string(max) + " bytes");
        return false;
    }
    out = body->get(name).extract<std::string>();
    return true;
}

// A window template: {"name": "[a-z0-9_]+", "language": "en_US", "parameters": ["text" | "{{name}}", ...]}.
std::optional<std::string> checkTemplate(const Object::Ptr& body, const std::string& key, parley::Response& w) {
    Object::Ptr tpl = body->getObject(key);
    if (!tpl) {
        w.error(422, "invalid_field", "field '" + key + "' must be an object {name, language, parameters}");
        return std::nullopt;
    }
    std::string name = col(tpl, "name");
    if (name.empty() || name.size() > 512 || name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
        w.error(422, "invalid_field", "field '" + key + ".name' must be a template name of [a-z0-9_]");
        return std::nullopt;
    }
    Object::Ptr clean = newObject();
    clean->set("name", name);
    clean->set("language", tpl->optValue<std::string>("language", "en_US"));
    Array::Ptr params = new Array;
    if (tpl->has("parameters")) {
        Array::Ptr given = tpl->getArray("parameters");
        if (!given || given->size() > 20) {
            w.error(422, "invalid_field", "field '" + key + ".parameters' must be an array of at most 20 strings");
            return std::nullopt;
        }
        for (size_t i = 0; i < given->size(); ++i) {
            if (!given->get(i).isString()) {
                w.error(422, "invalid_field", "field '" + key + ".parameters[" + std::to_string(i) + "]' must be a string");
                return std::nullopt;
            }
            params->add(given->get(i));
        }
    }
    clean->set("parameters", params);
    return jsonText(clean);
}

}  // namespace

bool isUuid(const std::string& s) {
    static const std::regex re("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
    return std::regex_match(s, re);
}

std::vector<std::string> pathParts(const std::string& path) {
    std::vector<std::string> parts;
    std::stringstream in(path);
    for (std::string part; std::getline(in, part, '/');)
        if (!part.empty()) parts.push_back(part);
    return parts;
}

std::optional<std::string> admitTenant(const parley::Request& r, parley::Response& w, bool write) {
    std::string tenant = r.tenantId();
    if (tenant.empty()) {
        w.error(400, "tenant_required", "name the tenant in the X-Parley-Tenant header (or ?tenant=)");
        return std::nullopt;
    }
    if (write && r.role() != "super_admin" && r.role() != "client_admin") {
        w.error(403, "forbidden", "only client admins may change WhatsApp settings (your role: " + r.role() + ")");
        return std::nullopt;
    }
    return tenant;
}

Object::Ptr requestObject(const parley::Request& r, parley::Response& w) {
    try {
        return parseObject(std::string(r.body()));
    } catch (const std::exception&) {
        w.error(400, "invalid_json", "the body must be a JSON object");
        return nullptr;
    }
}

std::optional<std::string> widgetTenant(const Db& db, const std::string& widget_id) {
    if (!isUuid(widget_id)) return std::nullopt;
    Object::Ptr row = db.row("SELECT tenant_id FROM widgets WHERE id = :1", widget_id);  // the core's table: ownership only
    if (!row) return std::nullopt;
    return col(row, "tenant_id");
}

void registerAdminRoutes(parley::Plugin& p, Db db, Numbers& numbers, Sender& sender, const Settings& settings) {
    Numbers* nums = &numbers;
    Sender* snd = &sender;
    const Settings* cfg = &settings;

    p.route("GET", "/numbers", parley::Admin, [db, nums](const parley::Request& r, parley::Response& w) {
        auto tenant = admitTenant(r, w, false);
        if (!tenant) return;
        Array::Ptr rows = db.rows("SELECT * FROM whatsapp_numbers WHERE tenant_id = :1 ORDER BY created_at", *tenant);
        Array::Ptr list = new Array;
        for (size_t i = 0; i < rows->size(); ++i) {
            auto opened = nums->find(col(rows->getObject(i), "phone_number_id"));
            list->add(numberJson(db, rows->getObject(i), opened ? &*opened : nullptr));
        }
        Object::Ptr out = newObject();
        out->set("numbers", list);
        w.json(200, jsonText(out));
    });

    p.route("POST", "/numbers", parley::Admin, [db, nums, cfg](const parley::Request& r, parley::Response& w) {
        auto tenant = admitTenant(r, w, true);
        if (!tenant) return;
        Object::Ptr body = requestObject(r, w);
        if (!body) return;
        std::optional<std::string> id, waba, display, widget, secret, token, verify, version;
        if (!field(body, w, "phone_number_id", 30, id) || !field(body, w, "business_account_id", 30, waba) ||
            !field(body, w, "display_number", 30, display) || !field(body, w, "widget_id", 36, widget) ||
            !field(body, w, "app_secret", 200, secret) || !field(body, w, "access_token", 2000, token) ||
            !field(body, w, "verify_token", 200, verify) || !field(body, w, "graph_version", 10, version))
            return;
        if (!id || !digits(*id, 30)) return w.error(422, "invalid_field", "field 'phone_number_id' is required: the digits Meta shows for the number");
        if (!waba || !digits(*waba, 30)) return w.error(422, "invalid_field", "field 'business_account_id' is required: the WhatsApp Business Account id (digits)");
        if (!display || display->empty()) return w.error(422, "invalid_field", "field 'display_number' is required (e.g. +1 555 078 3881)");
        if (!secret || secret->empty()) return w.error(422, "invalid_field", "field 'app_secret' is required: the Meta app's secret (App settings > Basic)");
        if (!token || token->empty()) return w.error(422, "invalid_field", "field 'access_token' is required: a system user's permanent token");
        if (verify && verify->size() < 8) return w.error(422, "invalid_field", "field 'verify_token' must be at least 8 characters (or leave it out to get one)");
        if (version && !std::regex_match(*version, std::regex("^v[0-9]{1,3}\\.[0-9]{1,2}$")))
            return w.error(422, "invalid_field", "field 'graph_version' must look like v21.0");
        if (!widget || widgetTenant(db, *widget) != *tenant)
            return w.error(422, "invalid_field", "field 'widget_id' must name a widget of this tenant (its bot and settings apply to the number)");
        std::string tpl;
        if (body->has("window_template")) {
            auto checked = checkTemplate(body, "window_template", w);
            if (!checked) return;
            tpl = *checked;
        }
        if (db.row("SELECT phone_number_id FROM whatsapp_numbers WHERE phone_number_id = :1", *id))
            return w.error(409, "number_exists", "the number " + *id + " is already connected");
        std::string verify_token = verify.value_or(randomHex(16));
        long long now = nowMs();
        db.exec("INSERT INTO whatsapp_numbers (phone_number_id, tenant_id, widget_id, business_account_id, display_number, graph_version, "
                "verify_token_sealed, app_secret_sealed, access_token_sealed, window_template, token_state, token_error, created_at, updated_at) "
                "VALUES (:1, :2, :3, :4, :5, :6, :7, :8, :9, :10, 'ok', '', :11, :12)",
                *id, *tenant, *widget, *waba, *display, version.value_or(cfg->default_graph_version),
                nums->seal(verify_token, *id, "verify_token"), nums->seal(*secret, *id, "app_secret"),
                nums->seal(*token, *id, "access_token"), tpl, now, now);
        nums->invalidate();
        auto opened = nums->find(*id);
        Object::Ptr out = newObject();
        out->set("number", numberJson(db, db.row("SELECT * FROM whatsapp_numbers WHERE phone_number_id = :1", *id), opened ? &*opened : nullptr));
        out->set("verify_token", verify_token);  // shown once: paste it into Meta's webhook settings
        w.json(201, jsonText(out));
    });

    p.route("PATCH", "/numbers/{id}", parley::Admin, [db, nums, snd](const parley::Request& r, parley::Response& w) {
        auto tenant = admitTenant(r, w, true);
        if (!tenant) return;
        std::string id = pathParts(r.path()).at(1);
        Object::Ptr row = db.row("SELECT * FROM whatsapp_numbers WHERE phone_number_id = :1 AND tenant_id = :2", id, *tenant);
        if (!row) return w.error(404, "number_not_found", "no WhatsApp number " + id + " in this tenant");
        Object::Ptr body = requestObject(r, w);
        if (!body) return;
        std::optional<std::string> secret, token, verify, display, widget;
        if (!field(body, w, "app_secret", 200, secret) || !field(body, w, "access_token", 2000, token) ||
            !field(body, w, "verify_token", 200, verify) || !field(body, w, "display_number", 30, display) ||
            !field(body, w, "widget_id", 36, widget))
            return;
        if (verify && verify->size() < 8) return w.error(422, "invalid_field", "field 'verify_token' must be at least 8 characters");
        if (widget && widgetTenant(db, *widget) != *tenant) return w.error(422, "invalid_field", "field 'widget_id' must name a widget of this tenant");
        long long now = nowMs();
        if (secret && !secret->empty()) db.exec("UPDATE whatsapp_numbers SET app_secret_sealed = :1 WHERE phone_number_id = :2", nums->seal(*secret, id, "app_secret"), id);
        if (verify) db.exec("UPDATE whatsapp_numbers SET verify_token_sealed = :1 WHERE phone_number_id = :2", nums->seal(*verify, id, "verify_token"), id);
        if (display) db.exec("UPDATE whatsapp_numbers SET display_number = :1 WHERE phone_number_id = :2", *display, id);
        if (widget) db.exec("UPDATE whatsapp_numbers SET widget_id = :1 WHERE phone_number_id = :2", *widget, id);
        if (token && !token->empty())  // a new token: the number is healthy again and its held sends go
            db.exec("UPDATE whatsapp_numbers SET access_token_sealed = :1, token_state = 'ok', token_error = '' WHERE phone_number_id = :2",
                    nums->seal(*token, id, "access_token"), id);
        if (body->has("window_template")) {
            auto checked = checkTemplate(body, "window_template", w);
            if (!checked) return;
            db.exec("UPDATE whatsapp_numbers SET window_template = :1 WHERE phone_number_id = :2", *checked, id);
        }
        db.exec("UPDATE whatsapp_numbers SET updated_at = :1 WHERE phone_number_id = :2", now, id);
        nums->invalidate();
        snd->wake();
        auto opened = nums->find(id);
        Object::Ptr out = newObject();
        out->set("number", numberJson(db, db.row("SELECT * FROM whatsapp_numbers WHERE phone_number_id = :1", id), opened ? &*opened : nullptr));
        w.json(200, jsonText(out));
    });

    p.route("DELETE", "/numbers/{id}", parley::Admin, [db, nums](const parley::Request& r, parley::Response& w) {
        auto tenant = admitTenant(r, w, true);
        if (!tenant) return;
        std::string id = pathParts(r.path()).at(1);
        if (!db.row("SELECT phone_number_id FROM whatsapp_numbers WHERE phone_number_id = :1 AND tenant_id = :2", id, *tenant))
            return w.error(404, "number_not_found", "no WhatsApp number " + id + " in this tenant");
        db.exec("DELETE FROM whatsapp_numbers WHERE phone_number_id = :1", id);
        nums->invalidate();
        w.send(204, "application/json", "");
    });

    // Every send with its Graph id and status: ?conversation_id=, ?broadcast_id=, ?status=, newest first.
    p.route("GET", "/sends", parley::Admin, [db](const parley::Request& r, parley::Response& w) {
        auto tenant = admitTenant(r, w, false);
        if (!tenant) return;
        std::string conversation = r.param("conversation_id").value_or(""), status = r.param("status").value_or("");
        if (!conversation.empty() && !isUuid(conversation)) return w.error(400, "invalid_query", "conversation_id must be a UUID");
        Array::Ptr rows = db.rows("SELECT id, conversation_id, message_id, broadcast_id, recipient, status, attempts, graph_message_id, error, "
                                  "created_at, updated_at FROM whatsapp_sends WHERE tenant_id = :1 AND (CAST(:2 AS TEXT) = '' OR conversation_id = :3) "
                                  "AND (CAST(:4 AS TEXT) = '' OR status = :5) ORDER BY created_at DESC LIMIT 500",
                                  *tenant, conversation, conversation.empty() ? std::string("00000000-0000-0000-0000-000000000000") : conversation,
                                  status, status);
        Object::Ptr out = newObject();
        out->set("sends", rows);
        w.json(200, jsonText(out));
    });

    // What the inbox shows before the agent types: whether a free-form reply can go, and until when.
    p.route("GET", "/conversations/{id}/window", parley::Admin, [db, nums, cfg](const parley::Request& r, parley::Response& w) {
        auto tenant = admitTenant(r, w, false);
        if (!tenant) return;
        std::string id = pathParts(r.path()).at(1);
        Object::Ptr contact = isUuid(id) ? db.row("SELECT * FROM whatsapp_contacts WHERE conversation_id = :1 AND tenant_id = :2", id, *tenant) : nullptr;
        if (!contact) return w.error(404, "conversation_not_found", "no WhatsApp conversation " + id + " in this tenant");
        long long last = num(contact, "last_inbound_at"), closes = last + cfg->window_ms;
        auto number = nums->find(col(contact, "phone_number_id"));
        Object::Ptr out = newObject();
        out->set("open", nowMs() < closes);
        out->set("last_inbound_at", last);
        out->set("closes_at", closes);
        out->set("template_fallback", number && number->window_template ? Poco::Dynamic::Var(number->window_template) : Poco::Dynamic::Var());
        out->set("message", std::string(nowMs() < closes ? "free-form replies can be sent until closes_at"
                                                          : "more than 24 hours since the customer last wrote: only a template can be sent"));
        w.json(200, jsonText(out));
    });

    // The inbox calls this when an agent opens the conversation: the customer sees "read" and a typing indicator.
    p.route("POST", "/conversations/{id}/read", parley::Admin, [db, snd](const parley::Request& r, parley::Response& w) {
        auto tenant = admitTenant(r, w, false);
        if (!tenant) return;
        if (r.role() == "client_user") return w.error(403, "forbidden", "read-only members cannot act on conversations");
        std::string id = pathParts(r.path()).at(1);
        Object::Ptr contact = isUuid(id) ? db.row("SELECT * FROM whatsapp_contacts WHERE conversation_id = :1 AND tenant_id = :2", id, *tenant) : nullptr;
        if (!contact) return w.error(404, "conversation_not_found", "no WhatsApp conversation " + id + " in this tenant");
        Object::Ptr source = newObject();
        source->set("kind", std::string("read"));
        source->set("wamid", col(contact, "last_inbound_wamid"));
        long long now = nowMs();
        std::string send_id = newUuid();
        db.exec("INSERT INTO whatsapp_sends (id, tenant_id, phone_number_id, conversation_id, recipient, source, status, attempts, "
                "next_attempt_at, position, created_at, updated_at) VALUES (:1, :2, :3, :4, :5, :6, 'queued', 0, :7, 0, :8, :9)",
                send_id, *tenant, col(contact, "phone_number_id"), id, col(contact, "wa_id"), jsonText(source), now, now, now);
        snd->wake();
        Object::Ptr out = newObject();
        out->set("send_id", send_id);
        out->set("message_id", col(contact, "last_inbound_wamid"));
        w.json(202, jsonText(out));
    });

    registerBroadcastRoutes(p, db, numbers, sender);
}

}  // namespace parley::whatsapp

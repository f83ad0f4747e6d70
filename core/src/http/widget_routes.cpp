// Widgets for admins: CRUD, key and secret rotation, embed snippets, installations, and the audit log.
#include "app/app.hpp"
#include "app/errors.hpp"
#include "auth/crypto.hpp"
#include "auth/secret_box.hpp"
#include "http/router.hpp"
#include "http/routes.hpp"
#include "store/audit.hpp"
#include "store/audit_repository.hpp"
#include "store/database.hpp"
#include "store/tenant_repository.hpp"
#include "store/widget_repository.hpp"
#include "widgets/origin_policy.hpp"
#include "widgets/widget_config.hpp"
#include "widgets/widget_config_cache.hpp"

#include <Poco/String.h>

namespace parley::core {
namespace {

std::vector<std::string> domainList(const JsonObject& body, const std::string& field) {
    std::vector<std::string> out;
    for (const auto& d : optStringArray(body, field, 200, 260).value_or(std::vector<std::string>{}))
        out.push_back(normalizeDomainPattern(field, d));
    return out;
}

void checkSiteId(soci::session& sql, const std::string& site_id, const std::string& widget_id) {
    if (site_id.empty()) return;
    if (site_id.rfind("pk_", 0) == 0)
        throw invalidField("site_id", "must not start with 'pk_' (that prefix is reserved for public keys)");
    for (char c : site_id)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'))
            throw invalidField("site_id", "may hold only letters, digits, '-' and '_'");
    auto other = WidgetRepository(sql).findBySiteId(site_id);
    if (other && other->id != widget_id) throw conflict("site_id_taken", "site_id '" + site_id + "' is in use");
}

// Applies the editable fields of a create or update body.
void applyFields(soci::session& sql, const JsonObject& body, Widget& w) {
    if (auto name = optString(body, "name", 200)) {
        if (Poco::trim(*name).empty()) throw invalidField("name", "must not be empty");
        w.name = Poco::trim(*name);
    }
    if (body->has("site_id")) {
        w.site_id = optString(body, "site_id", 100).value_or("");
        checkSiteId(sql, w.site_id, w.id);
    }
    if (auto config = optObject(body, "config")) w.config = validateWidgetConfig(mergeWidgetConfig(w.config, *config));
    if (body->has("allowed_domains")) w.allowed_domains = domainList(body, "allowed_domains");
    if (body->has("blocked_domains")) w.blocked_domains = domainList(body, "blocked_domains");
    if (auto active = optBool(body, "is_active")) w.is_active = *active;
}

Widget loadWidget(soci::session& sql, const std::string& tid, const std::string& wid) {
    if (!TenantRepository(sql).find(tid)) throw notFound("tenant '" + tid + "' not found");
    auto w = WidgetRepository(sql).find(tid, wid);
    if (!w) throw notFound("widget '" + wid + "' not found in this tenant");
    return *w;
}

std::string newSecret() { return randomToken(32, "ws_"); }

JsonObject embedJson(const App& app, const Widget& w) {
    std::string base = app.config.publicUrl();
    JsonObject forms = jsonObject();
    forms->set("script_tag", "<script src=\"" + base + "/widget/widget.js\" data-key=\"" + w.public_key + "\" async></script>");
    forms->set("query", "<script src=\"" + base + "/widget/widget.js?id=" + w.public_key + "\" async></script>");
    std::string site = w.site_id.empty() ? w.public_key : w.site_id;
    forms->set("setup", "<script src=\"" + base + "/widget/widget.js\"></script>\n<script>\nChatWidget.setup({\n  siteId: \"" +
                            site + "\"\n});\n</script>");
    JsonObject out = jsonObject();
    out->set("public_key", w.public_key);
    out->set("snippet", forms->getValue<std::string>("script_tag"));
    out->set("forms", forms);
    return out;
}

// Tells hooks (plugins, Lua rules) that a widget changed, after the change is committed.
void notifyWidgetUpdated(RequestContext& ctx, const Widget& w) {
    Event event;
    event.name = "widget.updated";
    event.payload = jsonObject();
    event.payload->set("tenant_id", w.tenant_id);
    event.payload->set("widget", w.toJson());
    event.payload->set("actor_user_id", ctx.principal().user_id);
    DispatchResult result = ctx.app.hooks.dispatch(event);
    for (const auto& failure : result.failures) ctx.app.log->warning("hook failed on widget.updated: " + failure);
}

}  // namespace

void registerWidgetRoutes(Router& router) {
    const std::string base = "/api/v1/tenants/{tenant_id}/widgets";
    router.add("GET", base, Guard::signed_in, [](RequestContext& ctx) {
        std::string tid = ctx.param("tenant_id", true);
        requireAccess(ctx.principal(), tid, Access::read);
        auto list = ctx.app.db->read([&](soci::session& sql) {
            if (!TenantRepository(sql).find(tid)) throw notFound("tenant '" + tid + "' not found");
            return WidgetRepository(sql).listForTenant(tid);
        });
        JsonArray out = jsonArray();
        for (const auto& w : list) out->add(w.toJson());
        JsonObject body = jsonObject();
        body->set("widgets", out);
        ctx.sendJson(200, body);
    });
    router.add("POST", base, Guard::signed_in, [](RequestContext& ctx) {
        std::string tid = ctx.param("tenant_id", true);
        requireAccess(ctx.principal(), tid, Access::manage);
        JsonObject body = ctx.json();
        reqString(body, "name", 200);
        std::string secret = newSecret();
        Widget w;
        w.id = newUuid();
        w.tenant_id = tid;
        w.public_key = randomToken(18, "pk_");
        w.secret_ciphertext = ctx.app.secrets->seal(secret, "widget:" + w.id);
        w.secret_hint = maskSecret(secret);
        w.config = defaultWidgetConfig();
        w.created_by = ctx.principal().user_id;
        w.created_at = w.updated_at = nowMs();
        ctx.app.db->write([&](soci::session& sql) {
            TenantRepository tenants(sql);
            auto tenant = tenants.find(tid);
            if (!tenant) throw notFound("tenant '" + tid + "' not found");
            int count = tenants.countWidgets(tid);
            if (tenant->max_widgets > 0 && count >= tenant->max_widgets)
                throw conflict("plan_limit_reached",
                               "tenant '" + tenant->name + "' has reached its plan's maximum of " +
                                   std::to_string(tenant->max_widgets) + " widgets (plan '" + tenant->plan +
                                   "'); delete a widget or ask for a larger plan");
            applyFields(sql, body, w);
            WidgetRepository(sql).insert(w);
            audit(ctx, sql, tid, "widget.created", "widget", w.id, nullptr, w.toJson());
        });
        JsonObject out = w.toJson();
        out->set("secret", secret);  // shown once; afterwards only its masked hint
        out->set("embed", embedJson(ctx.app, w));
        ctx.sendJson(201, out);
    });
    router.add("GET", base + "/{widget_id}", Guard::signed_in, [](RequestContext& ctx) {
        std::string tid = ctx.param("tenant_id", true), wid = ctx.param("widget_id", true);
        requireAccess(ctx.principal(), tid, Access::read);
        Widget w = ctx.app.db->read([&](soci::session& sql) { return loadWidget(sql, tid, wid); });
        ctx.sendJson(200, w.toJson());
    });
    router.add("PATCH", base + "/{widget_id}", Guard::signed_in, [](RequestContext& ctx) {
        std::string tid = ctx.param("tenant_id", true), wid = ctx.param("widget_id", true);
        requireAccess(ctx.principal(), tid, Access::manage);
        JsonObject body = ctx.json();
        auto expected = optInt(body, "expected_version", 1, 1LL << 53);
        Widget w = ctx.app.db->write([&](soci::session& sql) {
            Widget w = loadWidget(sql, tid, wid);
            if (expected && *expected != w.version)
                throw conflict("version_conflict", "widget is at version " + std::to_string(w.version) +
                                                       ", not " + std::to_string(*expected) + "; reload and retry");
            JsonObject before = w.toJson();
            applyFields(sql, body, w);
            w.version++;
            w.updated_at = nowMs();
            WidgetRepository(sql).update(w);
            audit(ctx, sql, tid, "widget.updated", "widget", wid, before, w.toJson());
            return w;
        });
        ctx.app.widget_configs->invalidate(w.public_key);
        notifyWidgetUpdated(ctx, w);
        ctx.sendJson(200, w.toJson());
    });
    router.add("DELETE", base + "/{widget_id}", Guard::signed_in, [](RequestContext& ctx) {
        std::string tid = ctx.param("tenant_id", true), wid = ctx.param("widget_id", true);
        requireAccess(ctx.principal(), tid, Access::manage);
        Widget w = ctx.app.db->write([&](soci::session& sql) {
            Widget w = loadWidget(sql, tid, wid);
            WidgetRepository(sql).remove(tid, wid);
            audit(ctx, sql, tid, "widget.deleted", "widget", wid, w.toJson(), nullptr);
            return w;
        });
        ctx.app.widget_configs->invalidate(w.public_key);
        ctx.sendEmpty(204);
    });
    router.add("POST", base + "/{widget_id}/rotate-key", Guard::signed_in, [](RequestContext& ctx) {
        std::string tid = ctx.param("tenant_id", true), wid = ctx.param("widget_id", true);
        requireAccess(ctx.principal(), tid, Access::manage);
        std::string old_key;
        Widget w = ctx.app.db->write([&](soci::session& sql) {
            Widget w = loadWidget(sql, tid, wid);
            JsonObject before = w.toJson();
            old_key = w.public_key;
            w.public_key = randomToken(18, "pk_");
            w.version++;
            w.updated_at = nowMs();
            WidgetRepository(sql).update(w);
            audit(ctx, sql, tid, "widget.key_rotated", "widget", wid, before, w.toJson());
            return w;
        });
        ctx.app.widget_configs->invalidate(old_key);
        JsonObject out = w.toJson();
        out->set("embed", embedJson(ctx.app, w));
        ctx.sendJson(200, out);
    });
    router.add("POST", base + "/{widget_id}/rotate-secret", Guard::signed_in, [](RequestContext& ctx) {
        std::string tid = ctx.param("tenant_id", true), wid = ctx.param("widget_id", true);
        requireAccess(ctx.principal(), tid, Access::manage);
        std::string secret = newSecret();
        Widget w = ctx.app.db->write([&](soci::session& sql) {
            Widget w = loadWidget(sql, tid, wid);
            JsonObject before = w.toJson();
            w.secret_ciphertext = ctx.app.secrets->seal(secret, "widget:" + w.id);
            w.secret_hint = maskSecret(secret);
            w.version++;
            w.updated_at = nowMs();
            WidgetRepository(sql).update(w);
            audit(ctx, sql, tid, "widget.secret_rotated", "widget", wid, before, w.toJson());
            return w;
        });
        ctx.app.widget_configs->invalidate(w.public_key);
        JsonObject out = w.toJson();
        out->set("secret", secret);
        ctx.sendJson(200, out);
    });
    router.add("GET", base + "/{widget_id}/embed", Guard::signed_in, [](RequestContext& ctx) {
        std::string tid = ctx.param("tenant_id", true), wid = ctx.param("widget_id", true);
        requireAccess(ctx.principal(), tid, Access::read);
        Widget w = ctx.app.db->read([&](soci::session& sql) { return loadWidget(sql, tid, wid); });
        ctx.sendJson(200, embedJson(ctx.app, w));
    });
    router.add("GET", base + "/{widget_id}/installations", Guard::signed_in, [](RequestContext& ctx) {
        std::string tid = ctx.param("tenant_id", true), wid = ctx.param("widget_id", true);
        requireAccess(ctx.principal(), tid, Access::read);
        auto list = ctx.app.db->read([&](soci::session& sql) {
            loadWidget(sql, tid, wid);
            return WidgetRepository(sql).installations(tid, wid);
        });
        JsonArray out = jsonArray();
        for (const auto& i : list) {
            JsonObject o = jsonObject();
            o->set("domain", i.domain);
            o->set("first_seen_at", static_cast<Poco::Int64>(i.first_seen_at));
            o->set("last_seen_at", static_cast<Poco::Int64>(i.last_seen_at));
            out->add(o);
        }
        JsonObject body = jsonObject();
        body->set("installations", out);
        ctx.sendJson(200, body);
    });
    router.add("GET", "/api/v1/tenants/{tenant_id}/audit-log", Guard::signed_in, [](RequestContext& ctx) {
        std::string tid = ctx.param("tenant_id", true);
        requireAccess(ctx.principal(), tid, Access::read_people);
        long long before = 0;
        int limit = 50;
        if (auto b = ctx.query("before")) before = std::atoll(b->c_str());
        if (auto l = ctx.query("limit")) limit = std::clamp(std::atoi(l->c_str()), 1, 500);
        auto entries = ctx.app.db->read([&](soci::session& sql) {
            if (!TenantRepository(sql).find(tid)) throw notFound("tenant '" + tid + "' not found");
            return AuditRepository(sql).list(tid, before, limit);
        });
        JsonArray out = jsonArray();
        for (const auto& e : entries) out->add(e.toJson());
        JsonObject body = jsonObject();
        body->set("entries", out);
        ctx.sendJson(200, body);
    });
}

}  // namespace parley::core

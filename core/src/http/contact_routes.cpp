// Contacts for admins: list (by tag), create, and set tags. Plugins read the same list through the SDK
// (parley_host_api.contacts, ABI 1.3), e.g. a WhatsApp broadcast to the contacts tagged "vip".
#include "app/app.hpp"
#include "app/errors.hpp"
#include "auth/principal.hpp"
#include "http/router.hpp"
#include "http/routes.hpp"
#include "store/contact_repository.hpp"
#include "store/database.hpp"
#include "store/tenant_repository.hpp"

#include <Poco/String.h>

namespace parley::core {
namespace {

void requireTenant(soci::session& sql, const std::string& tid) {
    if (!TenantRepository(sql).find(tid)) throw notFound("tenant '" + tid + "' not found");
}

JsonObject contactBody(const Contact& c) {
    JsonObject out = jsonObject();
    out->set("contact", c.toJson());
    return out;
}

}  // namespace

void registerContactRoutes(Router& router) {
    const std::string base = "/api/v1/tenants/{tenant_id}/contacts";
    // ?tag= narrows to one tag; ?after=<id>&limit= (1-1000, default 200) pages in id order.
    router.add("GET", base, Guard::signed_in, [](RequestContext& ctx) {
        std::string tid = ctx.param("tenant_id", true);
        requireAccess(ctx.principal(), tid, Access::read_people);
        std::string tag = Poco::toLower(ctx.query("tag").value_or(""));
        if (!tag.empty()) tag = normalizeTags({tag}, "tag").front();
        std::string after = Poco::toLower(ctx.query("after").value_or(""));
        long long limit = ctx.queryInt("limit", 200, 1, 1000);
        auto list = ctx.app.db->read([&](soci::session& sql) {
            requireTenant(sql, tid);
            return ContactRepository(sql).list(tid, tag, after, static_cast<int>(limit));
        });
        JsonArray items = jsonArray();
        for (const auto& c : list) items->add(c.toJson());
        JsonObject out = jsonObject();
        out->set("contacts", items);
        out->set("next", list.size() == static_cast<size_t>(limit) ? Poco::Dynamic::Var(list.back().id) : Poco::Dynamic::Var());
        ctx.sendJson(200, out);
    });
    // {"name", "email", "phone", "tags": [...]}: an email or a phone is required.
    router.add("POST", base, Guard::signed_in, [](RequestContext& ctx) {
        std::string tid = ctx.param("tenant_id", true);
        requireAccess(ctx.principal(), tid, Access::manage);
        JsonObject body = ctx.json();
        Contact c;
        c.id = newUuid();
        c.tenant_id = tid;
        c.name = Poco::trim(optString(body, "name", 200).value_or(""));
        c.email = Poco::toLower(Poco::trim(optString(body, "email", 254).value_or("")));
        c.phone = Poco::trim(optString(body, "phone", 40).value_or(""));
        if (c.email.empty() && c.phone.empty()) throw invalidField("phone", "or 'email' is required");
        if (!c.email.empty() && c.email.find('@') == std::string::npos) throw invalidField("email", "is not an email address");
        c.tags = normalizeTags(optStringArray(body, "tags", 20, 50).value_or(std::vector<std::string>{}), "tags");
        c.created_at = c.updated_at = nowMs();
        ctx.app.db->write([&](soci::session& sql) {
            requireTenant(sql, tid);
            ContactRepository(sql).insert(c);
        });
        ctx.sendJson(201, contactBody(c));
    });
    // {"tags": [...]}: replaces the contact's tags.
    router.add("PUT", base + "/{contact_id}/tags", Guard::signed_in, [](RequestContext& ctx) {
        std::string tid = ctx.param("tenant_id", true);
        std::string id = Poco::toLower(ctx.param("contact_id"));
        requireAccess(ctx.principal(), tid, Access::manage);
        JsonObject body = ctx.json();
        if (!body->has("tags")) throw invalidField("tags", "is required (an array of tags; [] removes them all)");
        auto tags = normalizeTags(optStringArray(body, "tags", 20, 50).value_or(std::vector<std::string>{}), "tags");
        auto contact = ctx.app.db->write([&](soci::session& sql) {
            requireTenant(sql, tid);
            ContactRepository repo(sql);
            if (!isUuid(id) || !repo.find(tid, id)) throw notFound("contact '" + id + "' not found in this tenant");
            repo.setTags(tid, id, tags, nowMs());
            return *repo.find(tid, id);
        });
        ctx.sendJson(200, contactBody(contact));
    });
}

}  // namespace parley::core

// Read-only figures for the control panel and the inbox: the tenant's leads and its conversation analytics
// (counts by status, leads, ratings, average wait, first response and resolution) over a period.
#include "app/app.hpp"
#include "app/errors.hpp"
#include "http/json.hpp"
#include "http/router.hpp"
#include "http/routes.hpp"
#include "store/database.hpp"
#include "store/row.hpp"

namespace parley::core {

namespace {

// ?since=&until= in milliseconds; default the last 30 days. 400 invalid_query for non-numbers.
std::pair<long long, long long> period(RequestContext& ctx) {
    long long now = nowMs();
    return {ctx.queryInt("since", now - 30LL * 86'400'000, 0, RequestContext::kLatestMs, "milliseconds since the epoch"),
            ctx.queryInt("until", now, 0, RequestContext::kLatestMs, "milliseconds since the epoch")};
}

Poco::Dynamic::Var nullableInt(const soci::row& r, std::size_t i) {
    return rowIsNull(r, i) ? Poco::Dynamic::Var() : Poco::Dynamic::Var(static_cast<Poco::Int64>(rowInt(r, i)));
}

}  // namespace

void registerAnalyticsRoutes(Router& router) {
    // Leads, newest first: ?conversation_id= narrows to one conversation, ?widget_id= to one widget; at most
    // `limit` (1–1000, default 200) created in the period.
    router.add("GET", "/api/v1/agent/leads", Guard::signed_in, [](RequestContext& ctx) {
        std::string tenant = agentTenant(ctx, false);
        auto [since, until] = period(ctx);
        std::string conversation = ctx.query("conversation_id").value_or("");
        std::string widget = ctx.query("widget_id").value_or("");
        if ((!conversation.empty() && !isUuid(conversation)) || (!widget.empty() && !isUuid(widget)))
            throw badRequest("invalid_query", "conversation_id and widget_id must be UUIDs");
        long long limit = ctx.queryInt("limit", 200, 1, 1000);
        // A conversation's leads whatever their age: the inbox asks for them.
        if (!conversation.empty()) since = 0;
        JsonArray list = jsonArray();
        ctx.app.db->read([&](soci::session& sql) {
            soci::rowset<soci::row> rows =
                (sql.prepare << "SELECT CAST(id AS TEXT), CAST(contact_id AS TEXT), CAST(conversation_id AS TEXT), "
                                "CAST(widget_id AS TEXT), source, name, email, phone, consent, "
                                "CAST(attribution AS TEXT), created_at FROM leads WHERE tenant_id = :t "
                                "AND created_at >= :s AND created_at < :u "
                                "AND (:c1 = '' OR CAST(conversation_id AS TEXT) = :c2) "
                                "AND (:w1 = '' OR CAST(widget_id AS TEXT) = :w2) "
                                "ORDER BY created_at DESC LIMIT " + std::to_string(limit),
                 soci::use(tenant), soci::use(since), soci::use(until), soci::use(conversation),
                 soci::use(conversation), soci::use(widget), soci::use(widget));
            for (const auto& r : rows) {
                JsonObject l = jsonObject();
                const char* names[] = {"id", "contact_id", "conversation_id", "widget_id", "source", "name", "email", "phone"};
                for (std::size_t i = 0; i < 8; ++i)
                    l->set(names[i], rowIsNull(r, i) ? Poco::Dynamic::Var() : Poco::Dynamic::Var(rowText(r, i)));
                l->set("consent", rowInt(r, 8) != 0);
                l->set("attribution", storedObject(rowText(r, 9)));
                l->set("created_at", static_cast<Poco::Int64>(rowInt(r, 10)));
                list->add(l);
            }
        });
        JsonObject out = jsonObject();
        out->set("leads", list);
        ctx.sendJson(200, out);
    });

    // The tenant's conversations started in the period: counts by status, leads, ratings, average times.
    router.add("GET", "/api/v1/agent/analytics", Guard::signed_in, [](RequestContext& ctx) {
        std::string tenant = agentTenant(ctx, false);
        auto [since, until] = period(ctx);
        JsonObject out = jsonObject();
        out->set("since", since);
        out->set("until", until);
        ctx.app.db->read([&](soci::session& sql) {
            JsonObject counts = jsonObject();
            for (const char* s : {"bot", "queued", "active", "closed"}) counts->set(s, 0);
            long long total = 0;
            soci::rowset<soci::row> by_status =
                (sql.prepare << "SELECT status, COUNT(*) FROM conversations WHERE tenant_id = :t AND created_at >= :s "
                                "AND created_at < :u GROUP BY status",
                 soci::use(tenant), soci::use(since), soci::use(until));
            for (const auto& r : by_status) {
                counts->set(rowText(r, 0), rowInt(r, 1));
                total += rowInt(r, 1);
            }
            counts->set("total", total);
            out->set("conversations", counts);

            soci::rowset<soci::row> times =
                (sql.prepare << "SELECT AVG(CASE WHEN queued_at IS NOT NULL AND first_assigned_at IS NOT NULL "
                                "THEN first_assigned_at - queued_at END), "
                                "AVG(CASE WHEN first_response_at IS NOT NULL THEN first_response_at - COALESCE(queued_at, created_at) END), "
                                "AVG(CASE WHEN closed_at IS NOT NULL THEN closed_at - created_at END), "
                                "COUNT(rating), AVG(rating) FROM conversations WHERE tenant_id = :t AND created_at >= :s "
                                "AND created_at < :u",
                 soci::use(tenant), soci::use(since), soci::use(until));
            for (const auto& r : times) {
                out->set("avg_wait_ms", nullableInt(r, 0));
                out->set("avg_first_response_ms", nullableInt(r, 1));
                out->set("avg_resolution_ms", nullableInt(r, 2));
                JsonObject ratings = jsonObject();
                ratings->set("count", rowInt(r, 3));
                // AVG(rating) is fractional: read it as text so neither backend truncates it.
                std::string avg = rowText(r, 4);
                ratings->set("average", avg.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(std::stod(avg)));
                JsonArray distribution = jsonArray();
                for (int i = 0; i < 5; ++i) distribution->add(0);
                ratings->set("distribution", distribution);
                out->set("ratings", ratings);
            }
            soci::rowset<soci::row> stars =
                (sql.prepare << "SELECT rating, COUNT(*) FROM conversations WHERE tenant_id = :t AND created_at >= :s "
                                "AND created_at < :u AND rating IS NOT NULL GROUP BY rating",
                 soci::use(tenant), soci::use(since), soci::use(until));
            JsonArray distribution = jsonArray();
            long long per_star[5] = {0, 0, 0, 0, 0};
            for (const auto& r : stars) {
                long long star = rowInt(r, 0);
                if (star >= 1 && star <= 5) per_star[star - 1] = rowInt(r, 1);
            }
            for (long long n : per_star) distribution->add(n);
            out->getObject("ratings")->set("distribution", distribution);

            long long leads = 0;
            sql << "SELECT COUNT(*) FROM leads WHERE tenant_id = :t AND created_at >= :s AND created_at < :u",
                soci::into(leads), soci::use(tenant), soci::use(since), soci::use(until);
            out->set("leads", leads);
        });
        ctx.sendJson(200, out);
    });
}

}  // namespace parley::core

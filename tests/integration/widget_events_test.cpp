// Widget events: the embedded widget reports loaded, opened and closed; the server counts them in /metrics and
// turns opened and closed into chat.opened / chat.closed outbox events; the visitor routes answer CORS preflights.
#include "fixtures.hpp"
#include "store/database.hpp"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

using namespace parley::test;

namespace {

const std::string kOrigin = "https://shop.example.com";

struct EventServer : ServerFixture {
    std::string tenant = createTenant("Acme");
    JsonObject widget = createWidget(tenant);
    std::string key = widget->getValue<std::string>("public_key");

    std::string path() const { return "/api/v1/widgets/" + key + "/events"; }
    Response post(const std::string& body, const std::string& origin = kOrigin) const {
        return anonymous().post(path(), body, {{"Origin", origin}});
    }
    long long count(const std::string& sql_text) const {
        soci::session sql;
        if (db.url().rfind("sqlite:", 0) == 0) sql.open(soci::sqlite3, "db=" + db.url().substr(7));
        else sql.open(soci::postgresql, parley::core::postgresKeywords(db.url()));
        long long n = 0;
        sql << sql_text, soci::into(n);
        return n;
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(widget_events)

BOOST_FIXTURE_TEST_CASE(opened_and_closed_become_outbox_events_and_every_type_is_counted, EventServer) {
    const std::string utm = R"("utm":{"utm_source":"google","utm_campaign":"spring"})";
    BOOST_TEST(post(R"({"type":"loaded","page_url":"https://shop.example.com/a",)" + utm + "}").status == 204);
    Response opened = post(R"({"type":"opened","page_url":"https://shop.example.com/a","visitor_id":"v_1",)" + utm + "}");
    BOOST_TEST(opened.status == 204);
    BOOST_TEST(opened.header("Access-Control-Allow-Origin") == kOrigin);
    BOOST_TEST(post(R"({"type":"closed","page_url":"https://shop.example.com/a"})").status == 204);
    BOOST_TEST(post(R"({"type":"opened"})").status == 204);

    BOOST_TEST(count("SELECT COUNT(*) FROM outbox_events WHERE name = 'chat.opened'") == 2);
    BOOST_TEST(count("SELECT COUNT(*) FROM outbox_events WHERE name = 'chat.closed'") == 1);
    BOOST_TEST(count("SELECT COUNT(*) FROM outbox_events WHERE name LIKE 'chat.loaded%'") == 0);
    BOOST_TEST(count("SELECT COUNT(*) FROM outbox_events WHERE name = 'chat.opened' AND CAST(payload AS TEXT) LIKE '%spring%'") == 1);

    std::string metrics = anonymous().get("/metrics").body;
    BOOST_TEST(metrics.find("parley_widget_loaded_total 1") != std::string::npos);
    BOOST_TEST(metrics.find("parley_widget_opened_total 2") != std::string::npos);
    BOOST_TEST(metrics.find("parley_widget_closed_total 1") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(an_unknown_type_is_422_and_a_foreign_origin_is_refused, EventServer) {
    Response bad = post(R"({"type":"clicked"})");
    BOOST_TEST(bad.status == 422);
    BOOST_TEST(bad.body.find("type") != std::string::npos);
    Response foreign = post(R"({"type":"opened"})", "https://evil.example");
    BOOST_TEST(foreign.status == 403);
    BOOST_TEST(foreign.errorCode() == "origin_not_allowed");
    BOOST_TEST(count("SELECT COUNT(*) FROM outbox_events WHERE name = 'chat.opened'") == 0);
}

BOOST_FIXTURE_TEST_CASE(the_visitor_routes_answer_a_cors_preflight_for_allowed_origins_only, EventServer) {
    for (const std::string suffix : {"/conversations", "/conversations/6b0c/messages", "/events"}) {
        Response ok = anonymous().request("OPTIONS", "/api/v1/widgets/" + key + suffix, "", {{"Origin", kOrigin}});
        BOOST_TEST(ok.status == 204, suffix);
        BOOST_TEST(ok.header("Access-Control-Allow-Origin") == kOrigin);
        BOOST_TEST(ok.header("Access-Control-Allow-Headers").find("X-Visitor-Token") != std::string::npos);
        Response no = anonymous().request("OPTIONS", "/api/v1/widgets/" + key + suffix, "",
                                          {{"Origin", "https://evil.example"}});
        BOOST_TEST(no.status == 403, suffix);
        BOOST_TEST(no.header("Access-Control-Allow-Origin").empty());
    }
}

BOOST_AUTO_TEST_SUITE_END()

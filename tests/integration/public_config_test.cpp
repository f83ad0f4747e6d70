// The public widget config: origins, CORS, ETags, working hours, installations, rate limits, seed 000's route.
#include "fixtures.hpp"

using namespace parley::test;
using parley::core::jsonArray;
using parley::core::jsonObject;

namespace {

const std::string kOrigin = "https://shop.example.com";

std::string configPath(const JsonObject& widget) {
    return "/api/v1/widgets/" + widget->getValue<std::string>("public_key") + "/config";
}

Response patchWidget(ServerFixture& f, const std::string& tenant, const JsonObject& widget, const JsonObject& body) {
    return f.root().patch("/api/v1/tenants/" + tenant + "/widgets/" + widget->getValue<std::string>("id"), json(body));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(public_config)

BOOST_FIXTURE_TEST_CASE(an_allowed_origin_gets_the_config_with_cors_and_an_etag, ServerFixture) {
    std::string tenant = createTenant("Acme");
    JsonObject widget = createWidget(tenant, "*.example.com");
    Response r = anonymous().get(configPath(widget), {{"Origin", kOrigin}});
    BOOST_TEST(r.status == 200);
    BOOST_TEST(r.header("Access-Control-Allow-Origin") == kOrigin);
    BOOST_TEST(r.header("Vary") == "Origin");
    BOOST_TEST(!r.header("ETag").empty());
    BOOST_TEST(r.header("Cache-Control") == "no-cache");  // revalidated on every load: edits show at once
    JsonObject config = r.json();
    BOOST_TEST(config->getValue<std::string>("public_key") == widget->getValue<std::string>("public_key"));
    BOOST_TEST(config->getObject("branding")->getValue<std::string>("primary_color") == "#3B82F6");
    BOOST_TEST(config->getObject("status")->getValue<bool>("open"));
    // No secret of any kind reaches the public.
    BOOST_TEST(r.body.find("ws_") == std::string::npos);
    BOOST_TEST(r.body.find("secret") == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(if_none_match_with_the_current_etag_is_304_and_an_edit_changes_it, ServerFixture) {
    std::string tenant = createTenant("Acme");
    JsonObject widget = createWidget(tenant);
    std::string etag = anonymous().get(configPath(widget), {{"Origin", kOrigin}}).header("ETag");
    Response same = anonymous().get(configPath(widget), {{"Origin", kOrigin}, {"If-None-Match", etag}});
    BOOST_TEST(same.status == 304);
    BOOST_TEST(same.body.empty());
    BOOST_TEST(same.header("Access-Control-Allow-Origin") == kOrigin);

    auto edit = jsonObject();
    auto config = jsonObject();
    auto branding = jsonObject();
    branding->set("primary_color", std::string("#FF0000"));
    config->set("branding", branding);
    edit->set("config", config);
    BOOST_REQUIRE(patchWidget(*this, tenant, widget, edit).status == 200);
    Response changed = anonymous().get(configPath(widget), {{"Origin", kOrigin}, {"If-None-Match", etag}});
    BOOST_TEST(changed.status == 200);
    BOOST_TEST(changed.header("ETag") != etag);
    BOOST_TEST(changed.json()->getObject("branding")->getValue<std::string>("primary_color") == "#FF0000");
    BOOST_TEST(changed.json()->getValue<int>("version") == 2);
}

BOOST_FIXTURE_TEST_CASE(origins_outside_the_allow_list_or_on_the_block_list_get_403_without_cors, ServerFixture) {
    std::string tenant = createTenant("Acme");
    JsonObject widget = createWidget(tenant, "*.example.com");
    auto edit = jsonObject();
    auto blocked = jsonArray();
    blocked->add(std::string("bad.example.com"));
    edit->set("blocked_domains", blocked);
    BOOST_REQUIRE(patchWidget(*this, tenant, widget, edit).status == 200);

    Response outside = anonymous().get(configPath(widget), {{"Origin", "https://evil.test"}});
    BOOST_TEST(outside.status == 403);
    BOOST_TEST(outside.errorCode() == "origin_not_allowed");
    BOOST_TEST(outside.body.find("https://evil.test") != std::string::npos);
    BOOST_TEST(outside.body.find("*.example.com") != std::string::npos);
    BOOST_TEST(outside.header("Access-Control-Allow-Origin").empty());

    Response blocked_r = anonymous().get(configPath(widget), {{"Origin", "https://bad.example.com"}});
    BOOST_TEST(blocked_r.status == 403);
    BOOST_TEST(blocked_r.errorCode() == "origin_blocked");
    BOOST_TEST(blocked_r.header("Access-Control-Allow-Origin").empty());

    // The apex is not a subdomain: *.example.com does not cover example.com.
    BOOST_TEST(anonymous().get(configPath(widget), {{"Origin", "https://example.com"}}).status == 403);
}

BOOST_FIXTURE_TEST_CASE(unknown_and_inactive_widgets_are_refused, ServerFixture) {
    Response unknown = anonymous().get("/api/v1/widgets/pk_doesnotexist/config", {{"Origin", kOrigin}});
    BOOST_TEST(unknown.status == 404);
    BOOST_TEST(unknown.errorCode() == "widget_not_found");

    std::string tenant = createTenant("Acme");
    JsonObject widget = createWidget(tenant);
    auto off = jsonObject();
    off->set("is_active", false);
    BOOST_REQUIRE(patchWidget(*this, tenant, widget, off).status == 200);
    Response inactive = anonymous().get(configPath(widget), {{"Origin", kOrigin}});
    BOOST_TEST(inactive.status == 403);
    BOOST_TEST(inactive.errorCode() == "widget_inactive");
}

BOOST_FIXTURE_TEST_CASE(a_deactivated_tenant_switches_its_widgets_off_at_once, ServerFixture) {
    std::string tenant = createTenant("Acme");
    JsonObject widget = createWidget(tenant);
    BOOST_REQUIRE(anonymous().get(configPath(widget), {{"Origin", kOrigin}}).status == 200);
    auto off = jsonObject();
    off->set("is_active", false);
    BOOST_REQUIRE(root().patch("/api/v1/tenants/" + tenant, json(off)).status == 200);
    BOOST_TEST(anonymous().get(configPath(widget), {{"Origin", kOrigin}}).errorCode() == "widget_inactive");
}

BOOST_FIXTURE_TEST_CASE(closed_working_hours_show_the_offline_message, ServerFixture) {
    std::string tenant = createTenant("Acme");
    JsonObject widget = createWidget(tenant);
    // Open only on an empty schedule: closed at every hour of every day.
    auto edit = jsonObject();
    auto config = jsonObject();
    auto hours = jsonObject();
    hours->set("enabled", true);
    hours->set("timezone", std::string("Asia/Tokyo"));
    auto schedule = jsonObject();
    for (const char* day : {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}) schedule->set(day, jsonArray());
    hours->set("schedule", schedule);
    config->set("working_hours", hours);
    edit->set("config", config);
    BOOST_REQUIRE(patchWidget(*this, tenant, widget, edit).status == 200);
    JsonObject status = anonymous().get(configPath(widget), {{"Origin", kOrigin}}).json()->getObject("status");
    BOOST_TEST(!status->getValue<bool>("open"));
    BOOST_TEST(status->getValue<std::string>("message").find("offline") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(each_new_domain_is_recorded_as_an_installation, ServerFixture) {
    std::string tenant = createTenant("Acme");
    JsonObject widget = createWidget(tenant, "*.example.com");
    anonymous().get(configPath(widget), {{"Origin", "https://shop.example.com"}});
    anonymous().get(configPath(widget), {{"Origin", "https://shop.example.com"}});
    anonymous().get(configPath(widget), {{"Origin", "https://blog.example.com:8443"}});
    anonymous().get(configPath(widget), {{"Origin", "https://evil.test"}});  // refused: not recorded
    Response r = root().get("/api/v1/tenants/" + tenant + "/widgets/" + widget->getValue<std::string>("id") +
                            "/installations");
    BOOST_REQUIRE(r.status == 200);
    JsonArray list = r.json()->getArray("installations");
    std::set<std::string> domains;
    for (const auto& item : *list) domains.insert(item.extract<JsonObject>()->getValue<std::string>("domain"));
    BOOST_TEST(domains == (std::set<std::string>{"shop.example.com", "blog.example.com"}));
}

BOOST_FIXTURE_TEST_CASE(seed_000_load_config_answers_in_its_shape_by_site_id, ServerFixture) {
    std::string tenant = createTenant("Acme Clinic");
    JsonObject widget = createWidget(tenant);
    auto edit = jsonObject();
    edit->set("site_id", std::string("acme-clinic"));
    BOOST_REQUIRE(patchWidget(*this, tenant, widget, edit).status == 200);
    Response r = anonymous().get("/api/load-config?siteId=acme-clinic", {{"Origin", kOrigin}});
    BOOST_TEST(r.status == 200);
    JsonObject body = r.json();
    BOOST_TEST(body->getValue<bool>("success"));
    BOOST_TEST(body->getValue<std::string>("siteId") == "acme-clinic");
    BOOST_TEST(body->getValue<std::string>("clientName") == "Acme Clinic");
    BOOST_TEST(body->getObject("config")->getValue<std::string>("public_key") ==
               widget->getValue<std::string>("public_key"));
    BOOST_TEST(anonymous().get("/api/load-config?siteId=nope", {{"Origin", kOrigin}}).status == 404);
    Response missing = anonymous().get("/api/load-config", {{"Origin", kOrigin}});
    BOOST_TEST(missing.status == 400);
    BOOST_TEST(missing.errorCode() == "missing_parameter");
}

BOOST_FIXTURE_TEST_CASE(cors_preflight_is_answered_for_allowed_origins_only, ServerFixture) {
    std::string tenant = createTenant("Acme");
    JsonObject widget = createWidget(tenant);
    Response ok = anonymous().request("OPTIONS", configPath(widget), "", {{"Origin", kOrigin}}, "");
    BOOST_TEST(ok.status == 204);
    BOOST_TEST(ok.header("Access-Control-Allow-Origin") == kOrigin);
    BOOST_TEST(ok.header("Access-Control-Allow-Methods").find("GET") != std::string::npos);
    Response no = anonymous().request("OPTIONS", configPath(widget), "", {{"Origin", "https://evil.test"}}, "");
    BOOST_TEST(no.status == 403);
}

BOOST_AUTO_TEST_SUITE_END()

namespace {
struct RateLimitedServer : ServerFixture {
    RateLimitedServer() : ServerFixture(std::map<std::string, std::string>{{"PARLEY_PUBLIC_RATE_LIMIT", "5"}}) {}
};
}  // namespace

BOOST_AUTO_TEST_SUITE(public_rate_limits)

BOOST_FIXTURE_TEST_CASE(one_address_beyond_its_limit_gets_429_with_retry_after, RateLimitedServer) {
    std::string tenant = createTenant("Acme");
    JsonObject widget = createWidget(tenant);
    int ok = 0;
    Response last;
    for (int i = 0; i < 8; ++i) {
        last = anonymous().get(configPath(widget), {{"Origin", kOrigin}});
        if (last.status == 200) ok++;
    }
    BOOST_TEST(ok == 5);
    BOOST_TEST(last.status == 429);
    BOOST_TEST(last.errorCode() == "rate_limited");
    int retry = std::stoi(last.header("Retry-After"));
    BOOST_TEST(retry >= 1);
    BOOST_TEST(retry <= 60);
}

BOOST_FIXTURE_TEST_CASE(a_tenant_beyond_its_plan_rate_gets_429, ServerFixture) {
    std::string tenant = createTenant("Acme");
    auto limits = jsonObject();
    auto l = jsonObject();
    l->set("rate_limit_per_minute", 3);
    limits->set("limits", l);
    BOOST_REQUIRE(root().patch("/api/v1/tenants/" + tenant, json(limits)).status == 200);
    JsonObject widget = createWidget(tenant);
    std::vector<int> statuses;
    for (int i = 0; i < 5; ++i) statuses.push_back(anonymous().get(configPath(widget), {{"Origin", kOrigin}}).status);
    BOOST_TEST(statuses == (std::vector<int>{200, 200, 200, 429, 429}));
    BOOST_TEST(anonymous().get(configPath(widget), {{"Origin", kOrigin}}).errorCode() == "tenant_rate_limited");
}

BOOST_AUTO_TEST_SUITE_END()

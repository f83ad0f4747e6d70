// Malformed, mistyped, oversized and misaddressed requests: exact status, stable code, one error shape, nothing stored.
#include "fixtures.hpp"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

using namespace parley::test;
using parley::core::jsonObject;

namespace {

// Every error body is exactly {"error":{"code":"…","message":"…"}}, both non-empty strings, served as JSON.
void checkErrorShape(const Response& r) {
    BOOST_TEST(r.header("Content-Type").rfind("application/json", 0) == 0u);
    auto body = r.json();
    BOOST_TEST(body->size() == 1u);
    auto error = body->getObject("error");
    BOOST_REQUIRE_MESSAGE(error, "no 'error' object in: " + r.body);
    BOOST_TEST(error->size() == 2u);
    BOOST_REQUIRE(error->has("code"));
    BOOST_REQUIRE(error->has("message"));
    BOOST_TEST(error->get("code").isString());
    BOOST_TEST(error->get("message").isString());
    BOOST_TEST(!error->get("code").toString().empty());
    BOOST_TEST(!error->get("message").toString().empty());
}

// Checks status, code and shape of an error response.
void expectError(const Response& r, int status, const std::string& code) {
    BOOST_TEST_INFO("response: " << r.body);
    BOOST_TEST(r.status == status);
    BOOST_TEST(r.errorCode() == code);
    checkErrorShape(r);
}

std::string repeat(const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
}

// A JSON object that nests `depth` levels deep in total (the outer object counts as one).
std::string nestedTenantBody(int depth) {
    return R"({"name":"Deep","slug":")" + uniqueName("deep-") + R"(","x":)" + repeat("[", depth - 1) +
           repeat("]", depth - 1) + "}";
}

// A tenant with a widget, and counters to prove rejected requests stored nothing.
struct BadInput : ServerFixture {
    std::string tenant, widget;

    BadInput() {
        tenant = createTenant("Acme");
        widget = createWidget(tenant)->getValue<std::string>("id");
    }
    explicit BadInput(std::map<std::string, std::string> env) : ServerFixture(std::move(env)) {
        tenant = createTenant("Acme");
        widget = createWidget(tenant)->getValue<std::string>("id");
    }

    std::string tenantsPath() const { return "/api/v1/tenants"; }
    std::string widgetsPath() const { return "/api/v1/tenants/" + tenant + "/widgets"; }
    std::string widgetPath() const { return widgetsPath() + "/" + widget; }
    std::string usersPath() const { return "/api/v1/tenants/" + tenant + "/users"; }

    size_t count(const std::string& path, const std::string& key) {
        Response r = root().get(path);
        BOOST_REQUIRE(r.status == 200);
        return r.json()->getArray(key)->size();
    }
    size_t tenantCount() { return count(tenantsPath(), "tenants"); }
    size_t widgetCount() { return count(widgetsPath(), "widgets"); }
    size_t memberCount() { return count(usersPath(), "users"); }
    int widgetVersion() { return root().get(widgetPath()).json()->getValue<int>("version"); }
};

struct SmallBodyLimit : BadInput {
    SmallBodyLimit() : BadInput(std::map<std::string, std::string>{{"PARLEY_HTTP_MAX_BODY_BYTES", "1024"}}) {}
};

}  // namespace

BOOST_AUTO_TEST_SUITE(bad_input)

BOOST_FIXTURE_TEST_CASE(malformed_json_is_400_invalid_json_and_stores_nothing, BadInput) {
    size_t tenants = tenantCount(), widgets = widgetCount();
    int version = widgetVersion();
    for (const std::string body : {R"({"name": "Acme")", R"({name: "Acme"})", "not json at all", R"({"name":"x",})"}) {
        BOOST_TEST_CONTEXT("body " << body) {
            expectError(root().post(tenantsPath(), body), 400, "invalid_json");
            expectError(root().post(widgetsPath(), body), 400, "invalid_json");
            expectError(root().patch(widgetPath(), body), 400, "invalid_json");
        }
    }
    BOOST_TEST(tenantCount() == tenants);
    BOOST_TEST(widgetCount() == widgets);
    BOOST_TEST(widgetVersion() == version);
}

BOOST_FIXTURE_TEST_CASE(a_json_body_that_is_not_an_object_is_400_invalid_body, BadInput) {
    size_t tenants = tenantCount();
    for (const std::string body : {R"([{"name":"Acme"}])", "[]", R"([1,2])"}) {
        BOOST_TEST_CONTEXT("body " << body) {
            expectError(root().post(tenantsPath(), body), 400, "invalid_body");
            expectError(root().patch(widgetPath(), body), 400, "invalid_body");
        }
    }
    BOOST_TEST(tenantCount() == tenants);
}

BOOST_FIXTURE_TEST_CASE(wrong_types_and_values_are_422_naming_the_field_and_store_nothing, BadInput) {
    struct Case {
        std::string method, path, body, field;
    };
    const std::string member = R"("email":"someone@example.com","password":"a-good-password")";
    std::vector<Case> cases = {
        {"POST", tenantsPath(), R"({"name":5})", "name"},
        {"POST", tenantsPath(), R"({"name":"  "})", "name"},
        {"POST", tenantsPath(), R"({"name":")" + std::string(201, 'n') + R"("})", "name"},
        {"POST", tenantsPath(), R"({"name":"X","slug":"Not A Slug"})", "slug"},
        {"POST", tenantsPath(), R"({"name":"X","plan":"gold"})", "plan"},
        {"POST", tenantsPath(), R"({"name":"X","is_active":"yes"})", "is_active"},
        {"POST", tenantsPath(), R"({"name":"X","limits":{"max_widgets":"ten"}})", "limits.max_widgets"},
        {"POST", tenantsPath(), R"({"name":"X","limits":{"max_agents":-1}})", "limits.max_agents"},
        {"POST", widgetsPath(), R"({"name":5})", "name"},
        {"POST", widgetsPath(), R"({})", "name"},
        {"POST", widgetsPath(), R"({"name":"w","allowed_domains":"x"})", "allowed_domains"},
        {"POST", widgetsPath(), R"({"name":"w","allowed_domains":["ok.com",3]})", "allowed_domains[1]"},
        {"POST", widgetsPath(), R"({"name":"w","blocked_domains":{"a":1}})", "blocked_domains"},
        {"POST", widgetsPath(), R"({"name":"w","is_active":"yes"})", "is_active"},
        {"POST", widgetsPath(), R"({"name":"w","site_id":"has space"})", "site_id"},
        {"POST", widgetsPath(), R"({"name":"w","config":"x"})", "config"},
        {"POST", widgetsPath(), R"({"name":"w","config":{"branding":"red"}})", "config.branding"},
        {"POST", widgetsPath(), R"({"name":"w","config":{"branding":{"primary_color":7}}})",
         "config.branding.primary_color"},
        {"POST", widgetsPath(), R"({"name":"w","config":{"branding":{"primary_color":"red"}}})",
         "config.branding.primary_color"},
        {"POST", widgetsPath(), R"({"name":"w","config":{"behavior":{"position":"middle"}}})",
         "config.behavior.position"},
        {"POST", widgetsPath(), R"({"name":"w","config":{"behavior":{"offset_x":501}}})", "config.behavior.offset_x"},
        {"POST", widgetsPath(), R"({"name":"w","config":{"features":{"emoji_enabled":"yes"}}})",
         "config.features.emoji_enabled"},
        {"POST", widgetsPath(), R"({"name":"w","config":{"working_hours":{"schedule":{"mon":[{"start":"18:00","end":"09:00"}]}}}})",
         "config.working_hours.schedule.mon"},
        {"PATCH", widgetPath(), R"({"is_active":"yes"})", "is_active"},
        {"PATCH", widgetPath(), R"({"name":5})", "name"},
        {"PATCH", widgetPath(), R"({"expected_version":"1"})", "expected_version"},
        {"PATCH", widgetPath(), R"({"config":{"branding":{"primary_color":7}}})", "config.branding.primary_color"},
        {"POST", usersPath(), "{" + member + R"(,"role":"boss"})", "role"},
        {"POST", usersPath(), R"({"email":5,"role":"agent"})", "email"},
        {"POST", usersPath(), R"({"email":"not-an-email","role":"agent"})", "email"},
        {"POST", usersPath(), R"({"email":"x@example.com","role":"agent","password":"short"})", "password"},
    };
    size_t tenants = tenantCount(), widgets = widgetCount(), members = memberCount();
    int version = widgetVersion();
    for (const auto& c : cases) {
        Response r = root().request(c.method, c.path, c.body);
        BOOST_TEST_CONTEXT(c.method << " " << c.path << " " << c.body) {
            expectError(r, 422, "invalid_field");
            BOOST_TEST_INFO("message: " << r.body);
            BOOST_TEST(r.body.find("field '" + c.field + "'") != std::string::npos);
        }
    }
    BOOST_TEST(tenantCount() == tenants);
    BOOST_TEST(widgetCount() == widgets);
    BOOST_TEST(memberCount() == members);
    BOOST_TEST(widgetVersion() == version);
}

BOOST_FIXTURE_TEST_CASE(an_empty_body_is_400, BadInput) {
    size_t tenants = tenantCount(), widgets = widgetCount();
    expectError(root().post(tenantsPath(), ""), 400, "invalid_json");
    expectError(root().post(widgetsPath(), ""), 400, "invalid_json");
    expectError(root().patch(widgetPath(), ""), 400, "invalid_json");
    expectError(root().post(usersPath(), ""), 400, "invalid_json");
    BOOST_TEST(tenantCount() == tenants);
    BOOST_TEST(widgetCount() == widgets);
}

BOOST_FIXTURE_TEST_CASE(a_body_that_is_not_json_by_content_type_is_415, BadInput) {
    size_t tenants = tenantCount();
    const std::string body = R"({"name":"Typed"})";
    for (const std::string type : {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                                   "application/xml"}) {
        BOOST_TEST_CONTEXT("Content-Type " << type) {
            expectError(root().request("POST", tenantsPath(), body, {}, type), 415, "unsupported_media_type");
            expectError(root().request("PATCH", widgetPath(), body, {}, type), 415, "unsupported_media_type");
        }
    }
    BOOST_TEST(tenantCount() == tenants);
    // JSON types with parameters or a +json suffix, and no Content-Type at all, are read as JSON.
    BOOST_TEST(root().request("PATCH", widgetPath(), body, {}, "application/json; charset=utf-8").status == 200);
    BOOST_TEST(root().request("PATCH", widgetPath(), body, {}, "application/merge-patch+json").status == 200);
    BOOST_TEST(root().request("PATCH", widgetPath(), body, {}, "").status == 200);
}

BOOST_FIXTURE_TEST_CASE(a_body_above_the_configured_limit_is_413, SmallBodyLimit) {
    size_t tenants = tenantCount();
    std::string big = R"({"name":"Big","pad":")" + std::string(2048, 'x') + R"("})";
    expectError(root().post(tenantsPath(), big), 413, "body_too_large");
    expectError(root().patch(widgetPath(), big), 413, "body_too_large");

    // The same body sent chunked, without a Content-Length, is cut off while it is read.
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(server.port()));
    session.setTimeout(Poco::Timespan(20, 0));
    Poco::Net::HTTPRequest req("POST", tenantsPath(), Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Authorization", "Bearer " + root_token);
    req.setContentType("application/json");
    req.setChunkedTransferEncoding(true);
    session.sendRequest(req) << big;
    Poco::Net::HTTPResponse resp;
    Response chunked;
    Poco::StreamCopier::copyToString(session.receiveResponse(resp), chunked.body);
    chunked.status = resp.getStatus();
    chunked.headers["content-type"] = resp.getContentType();
    expectError(chunked, 413, "body_too_large");

    BOOST_TEST(tenantCount() == tenants);
    // A body under the limit still goes through, and the server is unharmed.
    std::string small = R"({"name":"Small","pad":")" + std::string(900, 'x') + R"("})";
    BOOST_TEST(root().post(tenantsPath(), small).status == 201);
    BOOST_TEST(tenantCount() == tenants + 1);
}

BOOST_FIXTURE_TEST_CASE(json_nested_deeper_than_the_limit_is_400_json_too_deep, BadInput) {
    size_t tenants = tenantCount();
    expectError(root().post(tenantsPath(), nestedTenantBody(40)), 400, "json_too_deep");
    expectError(root().patch(widgetPath(), R"({"x":)" + repeat("{\"a\":", 40) + "1" + repeat("}", 40) + "}"), 400,
                "json_too_deep");
    BOOST_TEST(tenantCount() == tenants);
    // Brackets inside strings do not count.
    std::string in_string = R"({"name":"Brackets )" + repeat("[", 100) + R"(","slug":")" + uniqueName("b-") + R"("})";
    BOOST_TEST(root().post(tenantsPath(), in_string).status == 201);
    BOOST_TEST(root().post(tenantsPath(), nestedTenantBody(30)).status == 201);
    BOOST_TEST(tenantCount() == tenants + 2);
}

BOOST_FIXTURE_TEST_CASE(unknown_fields_are_ignored, BadInput) {
    auto body = jsonObject();
    body->set("name", std::string("Extra"));
    body->set("slug", uniqueName("extra-"));
    body->set("favourite_colour", std::string("blue"));
    body->set("nested", jsonObject());
    Response t = root().post(tenantsPath(), json(body));
    BOOST_TEST(t.status == 201);
    BOOST_TEST(t.json()->has("favourite_colour") == false);
    Response w = root().post(widgetsPath(), R"({"name":"w","colour":"blue"})");
    BOOST_TEST(w.status == 201);
    BOOST_TEST(root().patch(widgetPath(), R"({"nonsense":true})").status == 200);
    // null counts as absent
    BOOST_TEST(root().patch(widgetPath(), R"({"name":null,"is_active":null})").status == 200);
}

BOOST_FIXTURE_TEST_CASE(an_unknown_route_is_404_with_a_json_error, BadInput) {
    expectError(root().get("/api/v1/nope"), 404, "not_found");
    expectError(root().post("/api/v1/nope", "{}"), 404, "not_found");
    expectError(root().get("/api/v1/tenants/" + tenant + "/nope"), 404, "not_found");
    expectError(root().get(widgetPath() + "/nope"), 404, "not_found");
    expectError(root().del("/api/v2/tenants"), 404, "not_found");
    expectError(anonymous().get("/api/v1/nope"), 404, "not_found");
    expectError(anonymous().post("/hooks/nothing", "{}"), 404, "not_found");
}

BOOST_FIXTURE_TEST_CASE(a_wrong_method_is_405_listing_the_allowed_ones, BadInput) {
    struct Case {
        std::string method, path;
        std::vector<std::string> allowed;
    };
    std::vector<Case> cases = {
        {"PUT", tenantsPath(), {"GET", "POST"}},
        {"DELETE", "/api/v1/plans", {"GET"}},
        {"POST", "/api/v1/tenants/" + tenant, {"GET", "PATCH", "DELETE"}},
        {"PUT", widgetPath(), {"GET", "PATCH", "DELETE"}},
        {"GET", widgetPath() + "/rotate-key", {"POST"}},
        {"DELETE", usersPath(), {"GET", "POST"}},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.method << " " << c.path) {
            Response r = root().request(c.method, c.path, c.method == "GET" || c.method == "DELETE" ? "" : "{}");
            expectError(r, 405, "method_not_allowed");
            std::string allow = r.header("Allow");
            for (const auto& m : c.allowed) {
                BOOST_TEST_INFO("Allow: " << allow);
                BOOST_TEST(allow.find(m) != std::string::npos);
            }
        }
    }
}

BOOST_FIXTURE_TEST_CASE(a_malformed_or_unknown_id_in_the_path_is_404, BadInput) {
    const std::string unknown = "00000000-0000-4000-8000-000000000000";
    std::vector<std::pair<std::string, std::string>> cases = {
        {"GET", "/api/v1/tenants/not-a-uuid"},
        {"GET", "/api/v1/tenants/" + tenant + "x"},
        {"GET", "/api/v1/tenants/" + tenant.substr(1)},
        {"GET", "/api/v1/tenants/" + unknown},
        {"PATCH", "/api/v1/tenants/" + unknown},
        {"GET", "/api/v1/tenants/" + unknown + "/widgets"},
        {"GET", widgetsPath() + "/12345"},
        {"GET", widgetsPath() + "/" + unknown},
        {"PATCH", widgetsPath() + "/" + unknown},
        {"DELETE", widgetsPath() + "/" + unknown},
        {"POST", widgetsPath() + "/" + unknown + "/rotate-key"},
        {"GET", widgetsPath() + "/" + unknown + "/embed"},
        {"PATCH", usersPath() + "/xyz"},
        {"DELETE", usersPath() + "/" + unknown},
    };
    for (const auto& [method, path] : cases) {
        BOOST_TEST_CONTEXT(method << " " << path) {
            expectError(root().request(method, path, method == "PATCH" ? R"({"name":"n"})" : ""), 404, "not_found");
        }
    }
}

BOOST_FIXTURE_TEST_CASE(a_domain_that_is_not_a_host_pattern_is_422, BadInput) {
    size_t widgets = widgetCount();
    for (const std::string bad : {"ac me.com", "acme.com.", ".acme.com", "acme_corp.com", "*.", ""}) {
        BOOST_TEST_CONTEXT("domain '" << bad << "'") {
            auto body = jsonObject();
            body->set("name", std::string("w"));
            auto list = parley::core::jsonArray();
            list->add(bad);
            body->set("allowed_domains", list);
            Response r = root().post(widgetsPath(), json(body));
            expectError(r, 422, "invalid_field");
            BOOST_TEST(r.body.find("allowed_domains") != std::string::npos);
            body->remove("allowed_domains");
            body->set("blocked_domains", list);
            Response patched = root().patch(widgetPath(), json(body));
            expectError(patched, 422, "invalid_field");
            BOOST_TEST(patched.body.find("blocked_domains") != std::string::npos);
        }
    }
    BOOST_TEST(widgetCount() == widgets);
    // Schemes, paths, ports and capitals are normalized away.
    Response ok = root().patch(widgetPath(), R"({"allowed_domains":["https://www.Acme.com:8443/shop","*.acme.com"]})");
    BOOST_REQUIRE(ok.status == 200);
    auto stored = ok.json()->getArray("allowed_domains");
    BOOST_TEST(stored->getElement<std::string>(0) == "www.acme.com");
    BOOST_TEST(stored->getElement<std::string>(1) == "*.acme.com");
}

BOOST_FIXTURE_TEST_CASE(an_unknown_time_zone_is_422_naming_the_field, BadInput) {
    size_t widgets = widgetCount();
    int version = widgetVersion();
    const std::string config = R"({"working_hours":{"enabled":true,"timezone":"Mars/Olympus_Mons"}})";
    Response created = root().post(widgetsPath(), R"({"name":"w","config":)" + config + "}");
    expectError(created, 422, "invalid_field");
    BOOST_TEST(created.body.find("config.working_hours.timezone") != std::string::npos);
    Response patched = root().patch(widgetPath(), R"({"config":)" + config + "}");
    expectError(patched, 422, "invalid_field");
    BOOST_TEST(patched.body.find("config.working_hours.timezone") != std::string::npos);
    BOOST_TEST(widgetCount() == widgets);
    BOOST_TEST(widgetVersion() == version);
    BOOST_TEST(root().patch(widgetPath(), R"({"config":{"working_hours":{"timezone":"Europe/Madrid"}}})").status == 200);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(bad_headers)

BOOST_FIXTURE_TEST_CASE(an_oversize_header_or_too_many_headers_are_refused_before_any_route, ServerFixture) {
    Response big = anonymous().get("/healthz", {{"X-Big", std::string(20000, 'a')}});
    BOOST_TEST(big.status == 400);
    std::map<std::string, std::string> many;
    for (int i = 0; i < 120; ++i) many["X-H" + std::to_string(i)] = "v";
    BOOST_TEST(anonymous().get("/healthz", many).status == 400);
    BOOST_TEST(anonymous().get("/healthz").status == 200);  // and the server serves on
}

BOOST_AUTO_TEST_SUITE_END()

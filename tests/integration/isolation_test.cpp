// Tenant isolation: every admin route, called by every role on its own tenant and on a foreign one.
#include "fixtures.hpp"

#include <functional>

using namespace parley::test;
using parley::core::jsonObject;

namespace {

const std::vector<std::string> kRoles = {"super_admin", "client_admin", "client_user", "agent"};

// One call of a row: the path to hit and the body to send.
struct Call {
    std::string path;
    std::string body;
    std::string check_path;  // destructive calls: a path root can GET while the target exists ("" otherwise)
};

// Expected status per role on the caller's own tenant. On a foreign tenant every role but the super admin
// gets 404; the super admin gets what it gets on its own.
using Expected = std::map<std::string, int>;

Expected readAccess(int ok = 200) { return {{"super_admin", ok}, {"client_admin", ok}, {"client_user", ok}, {"agent", ok}}; }
Expected readPeople() { return {{"super_admin", 200}, {"client_admin", 200}, {"client_user", 200}, {"agent", 403}}; }
Expected manage(int ok) { return {{"super_admin", ok}, {"client_admin", ok}, {"client_user", 403}, {"agent", 403}}; }
Expected superOnly(int ok) { return {{"super_admin", ok}, {"client_admin", 403}, {"client_user", 403}, {"agent", 403}}; }

struct TwoTenants;

struct Row {
    std::string method;
    std::string route;  // the pattern, for failure messages
    bool tenant_scoped;
    Expected own;
    // Builds the call for `role` against `tenant` (A or B), creating fresh targets when the call destroys one.
    std::function<Call(TwoTenants&, const std::string& tenant, const std::string& role)> make;
};

// Tenants A and B, each with a widget; members of A in each tenant role; a super admin.
struct TwoTenants : ServerFixture {
    std::string a, b, widget_a, widget_b;
    std::map<std::string, std::string> tokens, emails;  // role -> bearer token / email

    TwoTenants() {
        a = createTenant("Tenant A", "unlimited");
        b = createTenant("Tenant B", "unlimited");
        widget_a = createWidget(a)->getValue<std::string>("id");
        widget_b = createWidget(b)->getValue<std::string>("id");
        tokens["super_admin"] = root_token;
        for (const std::string role : {"client_admin", "client_user", "agent"}) {
            auto [id, token] = createMember(a, role);
            tokens[role] = token;
            emails[role] = Client(server.port()).bearer(token).get("/api/v1/auth/me").json()->getObject("user")->getValue<std::string>("email");
        }
    }

    Client as(const std::string& role) { return Client(server.port()).bearer(tokens.at(role)); }

    // A new member of `tenant` (made by root), to be changed or removed by one row.
    std::string freshMember(const std::string& tenant) { return createMember(tenant, "client_user").first; }

    // A new tenant to be deleted by one row; the caller is a member with `role` when `own`.
    std::string freshTenant(bool own, const std::string& role) {
        std::string t = createTenant(uniqueName("Doomed "), "unlimited");
        if (own && role != "super_admin") {
            auto body = jsonObject();
            body->set("email", emails.at(role));
            body->set("role", role);
            Response r = root().post("/api/v1/tenants/" + t + "/users", json(body));
            BOOST_REQUIRE_MESSAGE(r.status == 201, "adding the caller to a fresh tenant failed: " + r.body);
        }
        return t;
    }

    // Runs every row for every role, on A (own) and B (foreign), and checks the exact status.
    void run(const std::vector<Row>& rows) {
        for (const auto& row : rows) {
            for (const auto& role : kRoles) {
                std::vector<std::string> where = row.tenant_scoped ? std::vector<std::string>{"own", "foreign"}
                                                                   : std::vector<std::string>{"-"};
                for (const auto& place : where) {
                    int expected = place == "foreign" && role != "super_admin" ? 404 : row.own.at(role);
                    Call call = row.make(*this, place == "foreign" ? b : a, role);
                    Response r = as(role).request(row.method, call.path, call.body);
                    BOOST_TEST_CONTEXT(row.method << " " << row.route << " as " << role << " on " << place
                                                  << " tenant (" << call.path << ")") {
                        BOOST_TEST_INFO("response: " << r.body);
                        BOOST_TEST(r.status == expected);
                        if (expected == 403) BOOST_TEST(r.errorCode() == "forbidden");
                        if (expected == 404) BOOST_TEST(r.errorCode() == "not_found");
                        if (!call.check_path.empty() && expected >= 400)
                            BOOST_TEST(root().get(call.check_path).status == 200, "a refused call removed its target");
                    }
                }
            }
        }
    }
};

std::string tenantPath(const std::string& t) { return "/api/v1/tenants/" + t; }

std::string named(const std::string& prefix) {
    auto body = jsonObject();
    body->set("name", uniqueName(prefix));
    return json(body);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(isolation)

BOOST_FIXTURE_TEST_CASE(tenant_routes_answer_each_role_per_its_access_level_and_hide_foreign_tenants, TwoTenants) {
    std::vector<Row> rows = {
        {"GET", "/api/v1/plans", false, readAccess(),
         [](TwoTenants&, const std::string&, const std::string&) { return Call{"/api/v1/plans"}; }},
        {"GET", "/api/v1/tenants", false, readAccess(),
         [](TwoTenants&, const std::string&, const std::string&) { return Call{"/api/v1/tenants"}; }},
        {"POST", "/api/v1/tenants", false, superOnly(201),
         [](TwoTenants&, const std::string&, const std::string&) {
             auto body = jsonObject();
             body->set("name", uniqueName("New "));
             body->set("slug", uniqueName("new-"));
             return Call{"/api/v1/tenants", json(body)};
         }},
        {"GET", "/api/v1/tenants/{id}", true, readAccess(),
         [](TwoTenants&, const std::string& t, const std::string&) { return Call{tenantPath(t)}; }},
        {"PATCH", "/api/v1/tenants/{id} (name)", true, manage(200),
         [](TwoTenants&, const std::string& t, const std::string&) { return Call{tenantPath(t), named("Renamed ")}; }},
        {"PATCH", "/api/v1/tenants/{id} (plan)", true, superOnly(200),
         [](TwoTenants&, const std::string& t, const std::string&) {
             return Call{tenantPath(t), R"({"plan":"unlimited"})"};
         }},
        {"PATCH", "/api/v1/tenants/{id} (limits)", true, superOnly(200),
         [](TwoTenants&, const std::string& t, const std::string&) {
             return Call{tenantPath(t), R"({"limits":{"max_widgets":0}})"};
         }},
        {"DELETE", "/api/v1/tenants/{id}", true, superOnly(204),
         [](TwoTenants& w, const std::string& t, const std::string& role) {
             std::string doomed = w.freshTenant(t == w.a, role);
             return Call{tenantPath(doomed), "", tenantPath(doomed)};
         }},
    };
    run(rows);
}

BOOST_FIXTURE_TEST_CASE(user_routes_answer_each_role_per_its_access_level_and_hide_foreign_tenants, TwoTenants) {
    std::vector<Row> rows = {
        {"GET", "/api/v1/tenants/{id}/users", true, readPeople(),
         [](TwoTenants&, const std::string& t, const std::string&) { return Call{tenantPath(t) + "/users"}; }},
        {"POST", "/api/v1/tenants/{id}/users", true, manage(201),
         [](TwoTenants&, const std::string& t, const std::string&) {
             auto body = jsonObject();
             body->set("email", uniqueName("invitee") + "@example.com");
             body->set("role", std::string("client_user"));
             body->set("password", std::string("invitee-password-1"));
             return Call{tenantPath(t) + "/users", json(body)};
         }},
        {"PATCH", "/api/v1/tenants/{id}/users/{uid}", true, manage(200),
         [](TwoTenants& w, const std::string& t, const std::string&) {
             return Call{tenantPath(t) + "/users/" + w.freshMember(t), R"({"role":"client_admin"})"};
         }},
        {"DELETE", "/api/v1/tenants/{id}/users/{uid}", true, manage(204),
         [](TwoTenants& w, const std::string& t, const std::string&) {
             std::string path = tenantPath(t) + "/users/" + w.freshMember(t);
             return Call{path, "", ""};
         }},
        {"GET", "/api/v1/tenants/{id}/audit-log", true, readPeople(),
         [](TwoTenants&, const std::string& t, const std::string&) { return Call{tenantPath(t) + "/audit-log"}; }},
    };
    run(rows);
}

BOOST_FIXTURE_TEST_CASE(widget_routes_answer_each_role_per_its_access_level_and_hide_foreign_tenants, TwoTenants) {
    auto widgetOf = [](TwoTenants& w, const std::string& t) {
        return tenantPath(t) + "/widgets/" + (t == w.a ? w.widget_a : w.widget_b);
    };
    std::vector<Row> rows = {
        {"GET", "/api/v1/tenants/{id}/widgets", true, readAccess(),
         [](TwoTenants&, const std::string& t, const std::string&) { return Call{tenantPath(t) + "/widgets"}; }},
        {"POST", "/api/v1/tenants/{id}/widgets", true, manage(201),
         [](TwoTenants&, const std::string& t, const std::string&) {
             return Call{tenantPath(t) + "/widgets", named("widget-")};
         }},
        {"GET", "/api/v1/tenants/{id}/widgets/{wid}", true, readAccess(),
         [widgetOf](TwoTenants& w, const std::string& t, const std::string&) { return Call{widgetOf(w, t)}; }},
        {"PATCH", "/api/v1/tenants/{id}/widgets/{wid}", true, manage(200),
         [widgetOf](TwoTenants& w, const std::string& t, const std::string&) {
             return Call{widgetOf(w, t), named("renamed-")};
         }},
        {"DELETE", "/api/v1/tenants/{id}/widgets/{wid}", true, manage(204),
         [](TwoTenants& w, const std::string& t, const std::string&) {
             std::string path = tenantPath(t) + "/widgets/" + w.createWidget(t)->getValue<std::string>("id");
             return Call{path, "", path};
         }},
        {"POST", "/api/v1/tenants/{id}/widgets/{wid}/rotate-key", true, manage(200),
         [widgetOf](TwoTenants& w, const std::string& t, const std::string&) {
             return Call{widgetOf(w, t) + "/rotate-key"};
         }},
        {"POST", "/api/v1/tenants/{id}/widgets/{wid}/rotate-secret", true, manage(200),
         [widgetOf](TwoTenants& w, const std::string& t, const std::string&) {
             return Call{widgetOf(w, t) + "/rotate-secret"};
         }},
        {"GET", "/api/v1/tenants/{id}/widgets/{wid}/embed", true, readAccess(),
         [widgetOf](TwoTenants& w, const std::string& t, const std::string&) { return Call{widgetOf(w, t) + "/embed"}; }},
        {"GET", "/api/v1/tenants/{id}/widgets/{wid}/installations", true, readAccess(),
         [widgetOf](TwoTenants& w, const std::string& t, const std::string&) {
             return Call{widgetOf(w, t) + "/installations"};
         }},
    };
    run(rows);
}

BOOST_FIXTURE_TEST_CASE(tenant_list_shows_members_only_their_own_tenants, TwoTenants) {
    for (const std::string role : {"client_admin", "client_user", "agent"}) {
        BOOST_TEST_CONTEXT("role " << role) {
            Response r = as(role).get("/api/v1/tenants");
            BOOST_REQUIRE(r.status == 200);
            auto list = r.json()->getArray("tenants");
            BOOST_REQUIRE(list->size() == 1u);
            BOOST_TEST(list->getObject(0)->getValue<std::string>("id") == a);
            BOOST_TEST(r.body.find(b) == std::string::npos);
        }
    }
    std::string all = as("super_admin").get("/api/v1/tenants").body;
    BOOST_TEST(all.find(a) != std::string::npos);
    BOOST_TEST(all.find(b) != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(a_foreign_widget_addressed_under_the_own_tenant_is_not_found, TwoTenants) {
    const std::string path = tenantPath(a) + "/widgets/" + widget_b;
    int version_before = root().get(tenantPath(b) + "/widgets/" + widget_b).json()->getValue<int>("version");
    struct Attempt {
        std::string method, suffix, body;
        bool needs_manage;
    };
    std::vector<Attempt> attempts = {
        {"GET", "", "", false},
        {"PATCH", "", R"({"name":"hijacked"})", true},
        {"POST", "/rotate-key", "", true},
        {"POST", "/rotate-secret", "", true},
        {"GET", "/embed", "", false},
        {"GET", "/installations", "", false},
        {"DELETE", "", "", true},
    };
    for (const auto& role : kRoles) {
        for (const auto& at : attempts) {
            // A role too weak to manage is refused before the widget is looked up: 403 reveals nothing either.
            bool weak = at.needs_manage && (role == "client_user" || role == "agent");
            int expected = weak ? 403 : 404;
            Response r = as(role).request(at.method, path + at.suffix, at.body);
            BOOST_TEST_CONTEXT(at.method << " " << path + at.suffix << " as " << role) {
                BOOST_TEST_INFO("response: " << r.body);
                BOOST_TEST(r.status == expected);
            }
        }
    }
    Response after = root().get(tenantPath(b) + "/widgets/" + widget_b);
    BOOST_REQUIRE(after.status == 200);
    BOOST_TEST(after.json()->getValue<int>("version") == version_before);
    BOOST_TEST(after.json()->getValue<std::string>("name") != "hijacked");
}

BOOST_FIXTURE_TEST_CASE(a_foreign_member_addressed_under_the_own_tenant_is_not_found, TwoTenants) {
    std::string outsider = createMember(b, "client_user").first;
    const std::string path = tenantPath(a) + "/users/" + outsider;
    for (const std::string role : {"super_admin", "client_admin"}) {
        BOOST_TEST_CONTEXT("role " << role) {
            BOOST_TEST(as(role).patch(path, R"({"role":"client_admin"})").status == 404);
            BOOST_TEST(as(role).del(path).status == 404);
        }
    }
    Response members = root().get(tenantPath(b) + "/users");
    BOOST_TEST(members.body.find(outsider) != std::string::npos);
    BOOST_TEST(members.body.find("\"role\":\"client_admin\"") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

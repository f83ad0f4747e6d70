// Shared fixtures: a running server with a super admin, and helpers to make tenants, users and widgets.
#pragma once

#include "harness.hpp"

#include <boost/test/unit_test.hpp>

namespace parley::test {

// One parleyd on its own fresh database, with a super admin client.
struct ServerFixture {
    TestDatabase db;
    Parleyd server;
    std::string root_token;

    explicit ServerFixture(std::map<std::string, std::string> env = {}) : server(db, std::move(env)) {
        server.start();
        root_token = server.superAdminToken();
    }
    Client root() const { return Client(server.port()).bearer(root_token); }
    Client anonymous() const { return Client(server.port()); }

    // Creates a tenant (plan `plan`) and returns its id.
    std::string createTenant(const std::string& name, const std::string& plan = "business") {
        auto body = parley::core::jsonObject();
        body->set("name", name);
        body->set("slug", uniqueName("t-"));
        body->set("plan", plan);
        Response r = root().post("/api/v1/tenants", json(body));
        BOOST_REQUIRE_MESSAGE(r.status == 201, "tenant creation failed: " + r.body);
        return r.json()->getValue<std::string>("id");
    }

    // Adds a member with a known password and returns {user id, bearer token}.
    std::pair<std::string, std::string> createMember(const std::string& tenant_id, const std::string& role) {
        std::string email = uniqueName(role) + "@example.com";
        auto body = parley::core::jsonObject();
        body->set("email", email);
        body->set("role", role);
        body->set("password", std::string("member-password-1"));
        Response r = root().post("/api/v1/tenants/" + tenant_id + "/users", json(body));
        BOOST_REQUIRE_MESSAGE(r.status == 201, "member creation failed: " + r.body);
        std::string id = r.json()->getObject("user")->getValue<std::string>("id");
        return {id, login(server.port(), email, "member-password-1")};
    }

    // Creates a widget in the tenant (as super admin) and returns its JSON (with the one-time secret).
    JsonObject createWidget(const std::string& tenant_id, const std::string& allowed = "shop.example.com") {
        auto body = parley::core::jsonObject();
        body->set("name", uniqueName("widget-"));
        auto domains = parley::core::jsonArray();
        if (!allowed.empty()) domains->add(allowed);
        body->set("allowed_domains", domains);
        Response r = root().post("/api/v1/tenants/" + tenant_id + "/widgets", json(body));
        BOOST_REQUIRE_MESSAGE(r.status == 201, "widget creation failed: " + r.body);
        return r.json();
    }
};

}  // namespace parley::test

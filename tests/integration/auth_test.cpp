// Sign-in, sessions, CSRF, lockout and password changes against a real parleyd.
#include "fixtures.hpp"
#include "store/database.hpp"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

using namespace parley::test;
using parley::core::jsonObject;

namespace {

std::string loginBody(const std::string& email, const std::string& password, const std::string& mode = "bearer") {
    auto b = jsonObject();
    b->set("email", email);
    b->set("password", password);
    b->set("mode", mode);
    return json(b);
}

// Direct database access, to move a session's clock without waiting.
void expireAllSessions(const TestDatabase& db) {
    soci::session sql;
    if (db.url().rfind("sqlite:", 0) == 0) sql.open(soci::sqlite3, "db=" + db.url().substr(7));
    else sql.open(soci::postgresql, parley::core::postgresKeywords(db.url()));
    sql << "UPDATE sessions SET expires_at = 1";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(auth)

BOOST_FIXTURE_TEST_CASE(bearer_login_returns_a_token_that_identifies_the_user, ServerFixture) {
    Response me = root().get("/api/v1/auth/me");
    BOOST_TEST(me.status == 200);
    BOOST_TEST(me.json()->getObject("user")->getValue<bool>("is_super_admin"));
}

BOOST_FIXTURE_TEST_CASE(wrong_password_and_unknown_email_get_the_same_401, ServerFixture) {
    std::string tenant = createTenant("Acme");
    auto [uid, token] = createMember(tenant, "client_admin");
    Response me = Client(server.port()).bearer(token).get("/api/v1/auth/me");
    std::string email = me.json()->getObject("user")->getValue<std::string>("email");
    Response wrong = anonymous().post("/api/v1/auth/login", loginBody(email, "not-the-password"));
    Response unknown = anonymous().post("/api/v1/auth/login", loginBody("nobody@example.com", "not-the-password"));
    BOOST_TEST(wrong.status == 401);
    BOOST_TEST(unknown.status == 401);
    BOOST_TEST(wrong.errorCode() == "invalid_credentials");
    BOOST_TEST(wrong.body == unknown.body);
}

BOOST_FIXTURE_TEST_CASE(five_failures_lock_the_account_even_for_the_right_password, ServerFixture) {
    std::string tenant = createTenant("Acme");
    auto [uid, token] = createMember(tenant, "agent");
    std::string email =
        Client(server.port()).bearer(token).get("/api/v1/auth/me").json()->getObject("user")->getValue<std::string>("email");
    for (int i = 0; i < 5; ++i)
        BOOST_TEST(anonymous().post("/api/v1/auth/login", loginBody(email, "wrong-password")).status == 401);
    Response locked = anonymous().post("/api/v1/auth/login", loginBody(email, "member-password-1"));
    BOOST_TEST(locked.status == 429);
    BOOST_TEST(locked.errorCode() == "login_locked");
    BOOST_TEST(!locked.header("Retry-After").empty());
}

BOOST_FIXTURE_TEST_CASE(cookie_session_needs_the_csrf_header_to_write, ServerFixture) {
    std::string tenant = createTenant("Acme");
    auto [uid, token] = createMember(tenant, "client_admin");
    std::string email =
        Client(server.port()).bearer(token).get("/api/v1/auth/me").json()->getObject("user")->getValue<std::string>("email");
    Response login = anonymous().post("/api/v1/auth/login", loginBody(email, "member-password-1", "cookie"));
    BOOST_REQUIRE(login.status == 200);
    std::string cookies = login.header("Set-Cookie");
    BOOST_TEST(cookies.find("HttpOnly") != std::string::npos);
    BOOST_TEST(cookies.find("SameSite=Strict") != std::string::npos);
    BOOST_TEST(login.json()->has("token") == false);
    auto start = cookies.find("parley_session=") + 15;
    std::string session = cookies.substr(start, cookies.find(';', start) - start);
    std::string csrf = login.json()->getValue<std::string>("csrf_token");

    Client browser(server.port());
    browser.header("Cookie", "parley_session=" + session);
    BOOST_TEST(browser.get("/api/v1/tenants/" + tenant).status == 200);  // reads need no CSRF token
    auto rename = jsonObject();
    rename->set("name", std::string("Acme Renamed"));
    Response without = browser.patch("/api/v1/tenants/" + tenant, json(rename));
    BOOST_TEST(without.status == 403);
    BOOST_TEST(without.errorCode() == "csrf_failed");
    Response wrong = browser.patch("/api/v1/tenants/" + tenant, json(rename), {{"X-CSRF-Token", "forged"}});
    BOOST_TEST(wrong.status == 403);
    Response with = browser.patch("/api/v1/tenants/" + tenant, json(rename), {{"X-CSRF-Token", csrf}});
    BOOST_TEST(with.status == 200);
    BOOST_TEST(with.json()->getValue<std::string>("name") == "Acme Renamed");
}

BOOST_FIXTURE_TEST_CASE(logout_ends_the_session, ServerFixture) {
    Client c = root();
    BOOST_TEST(c.post("/api/v1/auth/logout", "").status == 204);
    Response after = c.get("/api/v1/auth/me");
    BOOST_TEST(after.status == 401);
    BOOST_TEST(after.errorCode() == "unauthorized");
}

BOOST_FIXTURE_TEST_CASE(an_expired_session_is_refused_with_session_expired, ServerFixture) {
    expireAllSessions(db);
    Response r = root().get("/api/v1/tenants");
    BOOST_TEST(r.status == 401);
    BOOST_TEST(r.errorCode() == "session_expired");
}

BOOST_FIXTURE_TEST_CASE(missing_or_malformed_credentials_get_401, ServerFixture) {
    BOOST_TEST(anonymous().get("/api/v1/tenants").status == 401);
    BOOST_TEST(anonymous().get("/api/v1/tenants", {{"Authorization", "Basic abc"}}).status == 401);
    BOOST_TEST(anonymous().get("/api/v1/tenants", {{"Authorization", "Bearer ps_forged"}}).status == 401);
}

BOOST_FIXTURE_TEST_CASE(one_time_password_must_be_changed_before_anything_else, ServerFixture) {
    std::string tenant = createTenant("Acme");
    auto body = jsonObject();
    body->set("email", std::string("new.hire@example.com"));
    body->set("role", std::string("client_user"));
    Response created = root().post("/api/v1/tenants/" + tenant + "/users", json(body));
    BOOST_REQUIRE(created.status == 201);
    std::string otp = created.json()->getValue<std::string>("one_time_password");
    std::string token = login(server.port(), "new.hire@example.com", otp);
    Client user = Client(server.port()).bearer(token);
    BOOST_TEST(user.get("/api/v1/auth/me").json()->getObject("user")->getValue<bool>("must_change_password"));
    Response blocked = user.get("/api/v1/tenants");
    BOOST_TEST(blocked.status == 403);
    BOOST_TEST(blocked.errorCode() == "password_change_required");

    auto change = jsonObject();
    change->set("current_password", otp);
    change->set("new_password", std::string("short"));
    Response weak = user.post("/api/v1/auth/password", json(change));
    BOOST_TEST(weak.status == 422);
    BOOST_TEST(weak.body.find("new_password") != std::string::npos);
    change->set("new_password", std::string("a much better password"));
    BOOST_TEST(user.post("/api/v1/auth/password", json(change)).status == 204);
    BOOST_TEST(user.get("/api/v1/tenants").status == 200);
    BOOST_TEST(anonymous().post("/api/v1/auth/login", loginBody("new.hire@example.com", otp)).status == 401);
    login(server.port(), "new.hire@example.com", "a much better password");
}

BOOST_FIXTURE_TEST_CASE(a_password_change_ends_the_users_other_sessions, ServerFixture) {
    std::string tenant = createTenant("Acme");
    auto [uid, first] = createMember(tenant, "client_admin");
    Client a = Client(server.port()).bearer(first);
    std::string email = a.get("/api/v1/auth/me").json()->getObject("user")->getValue<std::string>("email");
    std::string second = login(server.port(), email, "member-password-1");
    auto change = jsonObject();
    change->set("current_password", std::string("member-password-1"));
    change->set("new_password", std::string("member-password-2"));
    BOOST_TEST(Client(server.port()).bearer(second).post("/api/v1/auth/password", json(change)).status == 204);
    BOOST_TEST(a.get("/api/v1/auth/me").status == 401);
    BOOST_TEST(Client(server.port()).bearer(second).get("/api/v1/auth/me").status == 200);
}

BOOST_AUTO_TEST_SUITE_END()

// Widgets through the admin API: one-time secrets, embed forms, versioned merges, audit, plan limits, rotation.
#include "fixtures.hpp"

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>

using namespace parley::test;
using parley::core::jsonObject;

namespace {

// A tenant on the business plan, and helpers around its widgets.
struct WidgetWorld : ServerFixture {
    std::string tenant = createTenant("Acme");

    std::string widgetsPath(const std::string& t = "") const { return "/api/v1/tenants/" + (t.empty() ? tenant : t) + "/widgets"; }
    std::string widgetPath(const std::string& id) const { return widgetsPath() + "/" + id; }

    // The public config as a browser on the fixture's allowed domain asks for it.
    Response publicConfig(const std::string& public_key) {
        return anonymous().get("/api/v1/widgets/" + public_key + "/config", {{"Origin", "https://shop.example.com"}});
    }

    // Audit entries of the tenant for one widget and action, newest first.
    std::vector<JsonObject> auditOf(const std::string& widget_id, const std::string& action) {
        Response r = root().get("/api/v1/tenants/" + tenant + "/audit-log?limit=500");
        BOOST_REQUIRE(r.status == 200);
        std::vector<JsonObject> out;
        auto entries = r.json()->getArray("entries");
        for (size_t i = 0; i < entries->size(); ++i) {
            auto e = entries->getObject(static_cast<unsigned>(i));
            if (e->getValue<std::string>("resource_id") == widget_id && e->getValue<std::string>("action") == action)
                out.push_back(e);
        }
        return out;
    }

    std::string rootUserId() {
        return root().get("/api/v1/auth/me").json()->getObject("user")->getValue<std::string>("id");
    }
};

// JSON text with object keys sorted, so equal documents compare equal whatever order a database kept.
std::string canonical(const Poco::Dynamic::Var& value) {
    Poco::JSON::Parser parser;  // its default handler sorts keys
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(parser.parse(parley::core::toJson(value)), out);
    return out.str();
}

std::string str(const JsonObject& o, const std::string& key) { return o->getValue<std::string>(key); }

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(widgets)

BOOST_FIXTURE_TEST_CASE(create_returns_a_one_time_secret_and_the_embed_forms, WidgetWorld) {
    JsonObject w = createWidget(tenant);
    std::string key = str(w, "public_key"), secret = str(w, "secret");
    BOOST_TEST(key.rfind("pk_", 0) == 0u);
    BOOST_TEST(secret.rfind("ws_", 0) == 0u);
    BOOST_TEST(secret.size() > 20u);
    BOOST_TEST(str(w, "secret_hint") == "ws_••••" + secret.substr(secret.size() - 4));
    BOOST_TEST(w->getValue<int>("version") == 1);

    auto embed = w->getObject("embed");
    BOOST_REQUIRE(embed);
    auto forms = embed->getObject("forms");
    BOOST_TEST(str(embed, "public_key") == key);
    BOOST_TEST(str(embed, "snippet") == str(forms, "script_tag"));
    BOOST_TEST(contains(str(forms, "script_tag"), "data-key=\"" + key + "\""));
    BOOST_TEST(contains(str(forms, "script_tag"), "/widget/widget.js"));
    BOOST_TEST(contains(str(forms, "query"), "/widget/widget.js?id=" + key + "\""));
    BOOST_TEST(contains(str(forms, "setup"), "ChatWidget.setup({"));
    BOOST_TEST(contains(str(forms, "setup"), "siteId: \"" + key + "\""));  // no site_id: the key stands in

    // GET …/embed gives the same forms, and a site_id replaces the key in the setup form.
    Response got = root().get(widgetPath(str(w, "id")) + "/embed");
    BOOST_REQUIRE(got.status == 200);
    BOOST_TEST(canonical(got.json()) == canonical(embed));
    std::string site = uniqueName("shop-main-");
    Response with_site = root().post(widgetsPath(), R"({"name":"With site","site_id":")" + site + R"("})");
    BOOST_REQUIRE(with_site.status == 201);
    std::string setup = str(with_site.json()->getObject("embed")->getObject("forms"), "setup");
    BOOST_TEST(contains(setup, "siteId: \"" + site + "\""));
}

BOOST_FIXTURE_TEST_CASE(the_full_secret_is_never_shown_after_create, WidgetWorld) {
    JsonObject w = createWidget(tenant);
    std::string id = str(w, "id"), secret = str(w, "secret");
    std::string secret_tail = secret.substr(3, secret.size() - 7);  // the part the hint never shows

    Response one = root().get(widgetPath(id));
    BOOST_REQUIRE(one.status == 200);
    BOOST_TEST(!one.json()->has("secret"));
    BOOST_TEST(str(one.json(), "secret_hint") == str(w, "secret_hint"));
    std::vector<std::pair<std::string, Response>> responses = {
        {"GET widget", one},
        {"GET widgets", root().get(widgetsPath())},
        {"GET embed", root().get(widgetPath(id) + "/embed")},
        {"PATCH", root().patch(widgetPath(id), R"({"name":"Renamed"})")},
        {"rotate-key", root().post(widgetPath(id) + "/rotate-key", "")},
        {"GET audit-log", root().get("/api/v1/tenants/" + tenant + "/audit-log")},
        {"public config", publicConfig(str(root().get(widgetPath(id)).json(), "public_key"))},
    };
    for (const auto& [what, r] : responses) {
        BOOST_TEST_CONTEXT(what) {
            BOOST_TEST(r.status == 200);
            BOOST_TEST(!contains(r.body, secret_tail));
        }
    }
}

BOOST_FIXTURE_TEST_CASE(patch_increments_the_version_and_merges_config_one_section_deep, WidgetWorld) {
    Response created = root().post(
        widgetsPath(),
        R"({"name":"Merge","allowed_domains":["shop.example.com"],
            "config":{"branding":{"font_family":"Georgia","title":"Talk to Acme"},"behavior":{"position":"bottom-left"}}})");
    BOOST_REQUIRE(created.status == 201);
    std::string id = str(created.json(), "id"), key = str(created.json(), "public_key");
    BOOST_TEST(created.json()->getValue<int>("version") == 1);

    Response patched = root().patch(widgetPath(id), R"({"config":{"branding":{"primary_color":"#FF0000"}}})");
    BOOST_REQUIRE(patched.status == 200);
    auto config = patched.json()->getObject("config");
    BOOST_TEST(patched.json()->getValue<int>("version") == 2);
    BOOST_TEST(str(config->getObject("branding"), "primary_color") == "#FF0000");
    BOOST_TEST(str(config->getObject("branding"), "font_family") == "Georgia");
    BOOST_TEST(str(config->getObject("branding"), "title") == "Talk to Acme");
    BOOST_TEST(str(config->getObject("branding"), "secondary_color") == "#1E40AF");  // a default stays too
    BOOST_TEST(str(config->getObject("behavior"), "position") == "bottom-left");

    Response renamed = root().patch(widgetPath(id), R"({"name":"Merge 2"})");
    BOOST_REQUIRE(renamed.status == 200);
    BOOST_TEST(renamed.json()->getValue<int>("version") == 3);
    BOOST_TEST(canonical(renamed.json()->getObject("config")) == canonical(config));

    // The public config follows at once.
    Response pub = publicConfig(key);
    BOOST_REQUIRE(pub.status == 200);
    BOOST_TEST(pub.json()->getValue<int>("version") == 3);
    BOOST_TEST(str(pub.json()->getObject("branding"), "primary_color") == "#FF0000");
    BOOST_TEST(str(pub.json()->getObject("branding"), "font_family") == "Georgia");
    BOOST_TEST(str(pub.json(), "name") == "Merge 2");
}

BOOST_FIXTURE_TEST_CASE(a_stale_expected_version_is_409_version_conflict, WidgetWorld) {
    std::string id = str(createWidget(tenant), "id");
    BOOST_REQUIRE(root().patch(widgetPath(id), R"({"name":"Second"})").status == 200);  // now version 2

    Response stale = root().patch(widgetPath(id), R"({"name":"Lost update","expected_version":1})");
    BOOST_TEST(stale.status == 409);
    BOOST_TEST(stale.errorCode() == "version_conflict");
    Response now = root().get(widgetPath(id));
    BOOST_TEST(now.json()->getValue<int>("version") == 2);
    BOOST_TEST(str(now.json(), "name") == "Second");

    Response fresh = root().patch(widgetPath(id), R"({"name":"Third","expected_version":2})");
    BOOST_TEST(fresh.status == 200);
    BOOST_TEST(fresh.json()->getValue<int>("version") == 3);
}

BOOST_FIXTURE_TEST_CASE(every_widget_change_is_audited_with_before_and_after, WidgetWorld) {
    JsonObject w = createWidget(tenant);
    std::string id = str(w, "id"), old_key = str(w, "public_key"), secret = str(w, "secret");
    BOOST_REQUIRE(root().patch(widgetPath(id), R"({"name":"Audited"})").status == 200);
    Response rotated = root().post(widgetPath(id) + "/rotate-key", "");
    BOOST_REQUIRE(rotated.status == 200);
    Response resecret = root().post(widgetPath(id) + "/rotate-secret", "");
    BOOST_REQUIRE(resecret.status == 200);
    BOOST_REQUIRE(root().del(widgetPath(id)).status == 204);
    std::string actor = rootUserId();

    auto created = auditOf(id, "widget.created");
    BOOST_REQUIRE(created.size() == 1u);
    BOOST_TEST(created[0]->isNull("before"));
    BOOST_TEST(created[0]->getObject("after")->getValue<int>("version") == 1);
    BOOST_TEST(str(created[0], "actor_user_id") == actor);
    BOOST_TEST(str(created[0], "resource_type") == "widget");

    auto updated = auditOf(id, "widget.updated");
    BOOST_REQUIRE(updated.size() == 1u);
    BOOST_TEST(updated[0]->getObject("before")->getValue<int>("version") == 1);
    BOOST_TEST(updated[0]->getObject("after")->getValue<int>("version") == 2);
    BOOST_TEST(str(updated[0]->getObject("before"), "name") == str(w, "name"));
    BOOST_TEST(str(updated[0]->getObject("after"), "name") == "Audited");

    auto key_rotated = auditOf(id, "widget.key_rotated");
    BOOST_REQUIRE(key_rotated.size() == 1u);
    BOOST_TEST(str(key_rotated[0]->getObject("before"), "public_key") == old_key);
    BOOST_TEST(str(key_rotated[0]->getObject("after"), "public_key") == str(rotated.json(), "public_key"));
    BOOST_TEST(key_rotated[0]->getObject("after")->getValue<int>("version") == 3);

    auto secret_rotated = auditOf(id, "widget.secret_rotated");
    BOOST_REQUIRE(secret_rotated.size() == 1u);
    BOOST_TEST(str(secret_rotated[0]->getObject("before"), "secret_hint") == str(w, "secret_hint"));
    BOOST_TEST(str(secret_rotated[0]->getObject("after"), "secret_hint") == str(resecret.json(), "secret_hint"));

    auto deleted = auditOf(id, "widget.deleted");
    BOOST_REQUIRE(deleted.size() == 1u);
    BOOST_TEST(deleted[0]->getObject("before")->getValue<int>("version") == 4);
    BOOST_TEST(deleted[0]->isNull("after"));

    // Neither secret is ever written to the log.
    std::string log = root().get("/api/v1/tenants/" + tenant + "/audit-log?limit=500").body;
    BOOST_TEST(!contains(log, secret));
    BOOST_TEST(!contains(log, str(resecret.json(), "secret")));
}

BOOST_FIXTURE_TEST_CASE(the_free_plan_allows_one_widget_then_409_plan_limit_reached, WidgetWorld) {
    std::string small = createTenant("Small Shop", "free");
    Response first = root().post(widgetsPath(small), R"({"name":"Only"})");
    BOOST_REQUIRE(first.status == 201);
    Response second = root().post(widgetsPath(small), R"({"name":"One too many"})");
    BOOST_TEST(second.status == 409);
    BOOST_TEST(second.errorCode() == "plan_limit_reached");
    BOOST_TEST_INFO("message: " << second.body);
    BOOST_TEST(contains(second.body, "maximum of 1 widgets"));
    BOOST_TEST(contains(second.body, "'free'"));
    BOOST_TEST(root().get(widgetsPath(small)).json()->getArray("widgets")->size() == 1u);

    // Deleting the one widget frees its place.
    BOOST_REQUIRE(root().del(widgetsPath(small) + "/" + str(first.json(), "id")).status == 204);
    BOOST_TEST(root().post(widgetsPath(small), R"({"name":"Replacement"})").status == 201);
}

BOOST_FIXTURE_TEST_CASE(the_free_plan_allows_two_agents_then_409_plan_limit_reached, WidgetWorld) {
    std::string small = createTenant("Small Shop", "free");
    const std::string users = "/api/v1/tenants/" + small + "/users";
    createMember(small, "agent");
    createMember(small, "agent");
    Response third = root().post(users, R"({"email":"agent3@example.com","role":"agent","password":"agent-password-1"})");
    BOOST_TEST(third.status == 409);
    BOOST_TEST(third.errorCode() == "plan_limit_reached");
    BOOST_TEST_INFO("message: " << third.body);
    BOOST_TEST(contains(third.body, "maximum of 2 agents"));
    BOOST_TEST(root().get(users).json()->getArray("users")->size() == 2u);

    // Other roles are not counted, but turning one into an agent is.
    auto [viewer, token] = createMember(small, "client_user");
    Response promote = root().patch(users + "/" + viewer, R"({"role":"agent"})");
    BOOST_TEST(promote.status == 409);
    BOOST_TEST(promote.errorCode() == "plan_limit_reached");
}

BOOST_FIXTURE_TEST_CASE(rotate_key_retires_the_old_public_key_at_once, WidgetWorld) {
    JsonObject w = createWidget(tenant);
    std::string id = str(w, "id"), old_key = str(w, "public_key");
    BOOST_REQUIRE(publicConfig(old_key).status == 200);  // cached now

    Response rotated = root().post(widgetPath(id) + "/rotate-key", "");
    BOOST_REQUIRE(rotated.status == 200);
    std::string new_key = str(rotated.json(), "public_key");
    BOOST_TEST(new_key != old_key);
    BOOST_TEST(new_key.rfind("pk_", 0) == 0u);
    BOOST_TEST(rotated.json()->getValue<int>("version") == 2);
    BOOST_TEST(str(rotated.json()->getObject("embed"), "public_key") == new_key);
    BOOST_TEST(!rotated.json()->has("secret"));

    Response old_config = publicConfig(old_key);
    BOOST_TEST(old_config.status == 404);
    BOOST_TEST(old_config.errorCode() == "widget_not_found");
    Response new_config = publicConfig(new_key);
    BOOST_TEST(new_config.status == 200);
    BOOST_TEST(str(new_config.json(), "public_key") == new_key);
    BOOST_TEST(str(new_config.json(), "widget_id") == id);
}

BOOST_FIXTURE_TEST_CASE(rotate_secret_returns_a_new_secret_once, WidgetWorld) {
    JsonObject w = createWidget(tenant);
    std::string id = str(w, "id"), first = str(w, "secret");
    Response rotated = root().post(widgetPath(id) + "/rotate-secret", "");
    BOOST_REQUIRE(rotated.status == 200);
    std::string second = str(rotated.json(), "secret");
    BOOST_TEST(second.rfind("ws_", 0) == 0u);
    BOOST_TEST(second != first);
    BOOST_TEST(str(rotated.json(), "secret_hint") == "ws_••••" + second.substr(second.size() - 4));
    BOOST_TEST(str(rotated.json(), "public_key") == str(w, "public_key"));  // the key stays
    Response again = root().get(widgetPath(id));
    BOOST_TEST(!again.json()->has("secret"));
    BOOST_TEST(str(again.json(), "secret_hint") == str(rotated.json(), "secret_hint"));
}

BOOST_FIXTURE_TEST_CASE(a_site_id_in_use_by_another_widget_is_409_site_id_taken, WidgetWorld) {
    std::string other_tenant = createTenant("Other");
    std::string site = uniqueName("main-");
    Response first = root().post(widgetsPath(), R"({"name":"First","site_id":")" + site + R"("})");
    BOOST_REQUIRE(first.status == 201);
    std::string first_id = str(first.json(), "id");

    // Unique across tenants, on create and on update.
    Response elsewhere = root().post(widgetsPath(other_tenant), R"({"name":"Copy","site_id":")" + site + R"("})");
    BOOST_TEST(elsewhere.status == 409);
    BOOST_TEST(elsewhere.errorCode() == "site_id_taken");
    std::string second_id = str(createWidget(tenant), "id");
    Response taken = root().patch(widgetPath(second_id), R"({"site_id":")" + site + R"("})");
    BOOST_TEST(taken.status == 409);
    BOOST_TEST(taken.errorCode() == "site_id_taken");
    BOOST_TEST(root().get(widgetPath(second_id)).json()->getValue<int>("version") == 1);

    // A widget keeping its own site id is no conflict; clearing it frees the id for others.
    BOOST_TEST(root().patch(widgetPath(first_id), R"({"site_id":")" + site + R"(","name":"Kept"})").status == 200);
    Response cleared = root().patch(widgetPath(first_id), R"({"site_id":null})");
    BOOST_REQUIRE(cleared.status == 200);
    BOOST_TEST(cleared.json()->isNull("site_id"));
    BOOST_TEST(root().patch(widgetPath(second_id), R"({"site_id":")" + site + R"("})").status == 200);
}

BOOST_FIXTURE_TEST_CASE(deleting_a_widget_makes_its_public_config_404, WidgetWorld) {
    JsonObject w = createWidget(tenant);
    std::string id = str(w, "id"), key = str(w, "public_key");
    BOOST_REQUIRE(publicConfig(key).status == 200);  // cached now
    BOOST_REQUIRE(root().del(widgetPath(id)).status == 204);

    Response gone = publicConfig(key);
    BOOST_TEST(gone.status == 404);
    BOOST_TEST(gone.errorCode() == "widget_not_found");
    BOOST_TEST(root().get(widgetPath(id)).status == 404);
    BOOST_TEST(root().get(widgetPath(id) + "/embed").status == 404);
    BOOST_TEST(root().del(widgetPath(id)).status == 404);
}

BOOST_AUTO_TEST_SUITE_END()

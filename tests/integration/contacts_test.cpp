// Contacts and their tags through the admin API on both databases: created with tags, listed by tag in id order
// with paging, tags replaced, other tenants' contacts invisible, and clear errors for bad input and roles.
#include "fixtures.hpp"

#include <map>

using namespace parley::test;

namespace {

struct ContactsServer : ServerFixture {
    std::string tenant = createTenant("Tagged");
    std::string path = "/api/v1/tenants/" + tenant + "/contacts";

    std::string create(const std::string& body) {
        Response r = root().post(path, body);
        BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
        return r.json()->getObject("contact")->getValue<std::string>("id");
    }
    std::vector<std::string> names(const std::string& query) {
        Response r = root().get(path + query);
        BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
        std::vector<std::string> out;
        auto list = r.json()->getArray("contacts");
        for (size_t i = 0; i < list->size(); ++i) out.push_back(list->getObject(i)->getValue<std::string>("name"));
        std::sort(out.begin(), out.end());
        return out;
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(contacts)

BOOST_FIXTURE_TEST_CASE(contacts_are_listed_by_tag_and_their_tags_replaced, ContactsServer) {
    std::string ana = create(R"({"name":"Ana","phone":"+16505550101","tags":["VIP"," newsletter ","vip"]})");
    create(R"({"name":"Bo","email":"Bo@Example.com","tags":["newsletter"]})");
    create(R"({"name":"Cy","phone":"+16505550103"})");
    Response one = root().get(path + "?tag=vip");
    BOOST_REQUIRE(one.status == 200);
    auto contact = one.json()->getArray("contacts")->getObject(0);
    BOOST_TEST(contact->getValue<std::string>("name") == "Ana");
    BOOST_TEST(contact->getArray("tags")->size() == 2u);  // lower case, trimmed, once each
    BOOST_TEST(contact->getArray("tags")->getElement<std::string>(0) == "newsletter");
    BOOST_TEST(contact->getArray("tags")->getElement<std::string>(1) == "vip");
    BOOST_TEST((names("?tag=newsletter") == std::vector<std::string>{"Ana", "Bo"}));
    BOOST_TEST((names("") == std::vector<std::string>{"Ana", "Bo", "Cy"}));
    // Every contact of a page carries its own tags (read for the whole page at once).
    std::map<std::string, std::string> tags_by_name;
    auto everyone = root().get(path).json()->getArray("contacts");
    for (std::size_t i = 0; i < everyone->size(); ++i) {
        auto c = everyone->getObject(static_cast<unsigned>(i));
        std::string joined;
        for (const auto& t : *c->getArray("tags")) joined += (joined.empty() ? "" : ",") + t.convert<std::string>();
        tags_by_name[c->getValue<std::string>("name")] = joined;
    }
    BOOST_TEST(tags_by_name["Ana"] == "newsletter,vip");
    BOOST_TEST(tags_by_name["Bo"] == "newsletter");
    BOOST_TEST(tags_by_name["Cy"] == "");
    BOOST_TEST(names("?tag=nobody").empty());
    // Paging: limit 2 gives a next id, the page after it the rest.
    Response first = root().get(path + "?limit=2");
    std::string next = first.json()->getValue<std::string>("next");
    Response rest = root().get(path + "?limit=2&after=" + next);
    BOOST_TEST(rest.json()->getArray("contacts")->size() == 1u);
    BOOST_TEST(rest.json()->isNull("next"));
    // Replace Ana's tags: she leaves "vip".
    Response put = root().request("PUT", path + "/" + ana + "/tags", R"({"tags":["newsletter","customer"]})");
    BOOST_REQUIRE_MESSAGE(put.status == 200, put.body);
    BOOST_TEST(names("?tag=vip").empty());
    BOOST_TEST((names("?tag=customer") == std::vector<std::string>{"Ana"}));
    // Another tenant sees none of them.
    std::string other = createTenant("Other");
    Response foreign = root().get("/api/v1/tenants/" + other + "/contacts?tag=newsletter");
    BOOST_TEST(foreign.json()->getArray("contacts")->size() == 0u);
    BOOST_TEST(root().request("PUT", "/api/v1/tenants/" + other + "/contacts/" + ana + "/tags", R"({"tags":[]})").status == 404);
}

BOOST_FIXTURE_TEST_CASE(bad_contact_requests_get_clear_errors, ContactsServer) {
    auto [agent_id, agent] = createMember(tenant, "agent");
    auto [viewer_id, viewer] = createMember(tenant, "client_user");
    struct Case {
        std::string name, method, path, body, token;
        int status;
        std::string code;
    };
    std::string id = create(R"({"name":"Ana","phone":"+16505550101"})");
    std::vector<Case> cases = {
        {"no phone or email", "POST", path, R"({"name":"X"})", root_token, 422, "invalid_field"},
        {"bad email", "POST", path, R"({"email":"nope"})", root_token, 422, "invalid_field"},
        {"bad tag", "POST", path, R"({"phone":"+1","tags":["no spaces"]})", root_token, 422, "invalid_field"},
        {"tags not strings", "POST", path, R"({"phone":"+1","tags":[1]})", root_token, 422, "invalid_field"},
        {"not JSON", "POST", path, "{", root_token, 400, "invalid_json"},
        {"bad limit", "GET", path + "?limit=0", "", root_token, 400, "invalid_query"},
        {"bad tag query", "GET", path + "?tag=a%20b", "", root_token, 422, "invalid_field"},
        {"unknown contact", "PUT", path + "/00000000-0000-4000-8000-000000000000/tags", R"({"tags":[]})", root_token, 404, "not_found"},
        {"tags missing", "PUT", path + "/" + id + "/tags", "{}", root_token, 422, "invalid_field"},
        {"agent reads", "GET", path, "", agent, 403, "forbidden"},
        {"viewer writes", "POST", path, R"({"phone":"+1"})", viewer, 403, "forbidden"},
    };
    for (const auto& c : cases) {
        Response r = Client(server.port()).bearer(c.token).request(c.method, c.path, c.body);
        BOOST_TEST(r.status == c.status, c.name << ": " << r.status << " " << r.body);
        BOOST_TEST(r.errorCode() == c.code, c.name << ": " << r.body);
    }
    BOOST_TEST(Client(server.port()).bearer(viewer).get(path).status == 200);  // client_user reads
}

BOOST_AUTO_TEST_SUITE_END()

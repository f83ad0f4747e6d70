// The agent's side: presence makes agents available, the queue lists conversations, an agent assigns one,
// replies (the visitor reads it), and closes it; client_user reads but never writes; foreign tenants are 404.
#include "fixtures.hpp"

using namespace parley::test;

namespace {

struct AgentDesk : ServerFixture {
    std::string tenant, other, key, agent_token, viewer_token;
    AgentDesk() {
        tenant = createTenant("Acme");
        other = createTenant("Other");
        key = createWidget(tenant)->getValue<std::string>("public_key");
        agent_token = createMember(tenant, "agent").second;
        viewer_token = createMember(tenant, "client_user").second;
    }
    Client agent(const std::string& t) const {
        return Client(server.port()).bearer(agent_token).header("X-Parley-Tenant", t);
    }
    Client viewer() const { return Client(server.port()).bearer(viewer_token).header("X-Parley-Tenant", tenant); }
    // Starts a visitor conversation and returns {id, token, agents_available}.
    std::tuple<std::string, std::string, bool> visit() const {
        Response r = Client(server.port()).header("Origin", "https://shop.example.com")
                         .post("/api/v1/widgets/" + key + "/conversations", R"({"visitor_id":"v1"})");
        BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
        JsonObject o = r.json();
        return {o->getObject("conversation")->getValue<std::string>("id"), o->getValue<std::string>("visitor_token"),
                o->getValue<bool>("agents_available")};
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(agents)

BOOST_FIXTURE_TEST_CASE(an_online_agent_assigns_replies_and_closes_while_the_visitor_reads_along, AgentDesk) {
    BOOST_TEST(!std::get<2>(visit()));  // nobody online yet
    BOOST_TEST(agent(tenant).post("/api/v1/agent/presence", R"({"status":"online"})").status == 200);
    auto [id, token, available] = visit();
    BOOST_TEST(available);
    Response queue = agent(tenant).get("/api/v1/agent/conversations?status=bot");
    BOOST_TEST(queue.status == 200);
    BOOST_TEST(queue.json()->getArray("conversations")->size() == 2u);
    Response assigned = agent(tenant).post("/api/v1/agent/conversations/" + id + "/assign", "{}");
    BOOST_TEST(assigned.status == 200);
    BOOST_TEST(assigned.json()->getValue<std::string>("status") == "active");
    BOOST_TEST(agent(tenant).get("/api/v1/agent/conversations?mine=true").json()->getArray("conversations")->size() == 1u);
    Response reply = agent(tenant).post("/api/v1/agent/conversations/" + id + "/messages", R"({"text":"Hi, I am Ana"})");
    BOOST_TEST(reply.status == 201);
    Response seen = Client(server.port()).header("Origin", "https://shop.example.com")
                        .get("/api/v1/widgets/" + key + "/conversations/" + id + "/messages", {{"X-Visitor-Token", token}});
    JsonArray messages = seen.json()->getArray("messages");
    BOOST_REQUIRE(messages->size() == 1u);
    BOOST_TEST(messages->getObject(0)->getValue<std::string>("sender_type") == "agent");
    BOOST_TEST(messages->getObject(0)->getValue<std::string>("text") == "Hi, I am Ana");
    BOOST_TEST(agent(tenant).post("/api/v1/agent/conversations/" + id + "/close", "{}").status == 200);
    BOOST_TEST(agent(tenant).post("/api/v1/agent/conversations/" + id + "/messages", R"({"text":"late"})").status == 409);
    BOOST_TEST(agent(tenant).post("/api/v1/agent/presence", R"({"status":"offline"})").status == 200);
    BOOST_TEST(!std::get<2>(visit()));
}

BOOST_FIXTURE_TEST_CASE(a_client_user_reads_but_never_writes_and_foreign_tenants_are_404, AgentDesk) {
    auto [id, token, available] = visit();
    BOOST_TEST(viewer().get("/api/v1/agent/conversations").status == 200);
    BOOST_TEST(viewer().get("/api/v1/agent/conversations/" + id + "/messages").status == 200);
    for (const std::string& path : {"/api/v1/agent/conversations/" + id + "/assign",
                                    "/api/v1/agent/conversations/" + id + "/close"})
        BOOST_TEST(viewer().post(path, "{}").status == 403);
    BOOST_TEST(viewer().post("/api/v1/agent/conversations/" + id + "/messages", R"({"text":"x"})").status == 403);
    BOOST_TEST(viewer().post("/api/v1/agent/presence", R"({"status":"online"})").status == 403);
    // The agent is not a member of the other tenant; the conversation is not the other tenant's.
    BOOST_TEST(agent(other).get("/api/v1/agent/conversations").status == 404);
    BOOST_TEST(root().header("X-Parley-Tenant", other).get("/api/v1/agent/conversations/" + id + "/messages").status == 404);
    Response missing = Client(server.port()).bearer(agent_token).get("/api/v1/agent/conversations");
    BOOST_TEST(missing.status == 400);
    BOOST_TEST(missing.errorCode() == "missing_tenant");
    BOOST_TEST(agent(tenant).post("/api/v1/agent/presence", R"({"status":"busy"})").status == 422);
    BOOST_TEST(agent(tenant).get("/api/v1/agent/conversations?status=weird").status == 400);
}

BOOST_AUTO_TEST_SUITE_END()

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

BOOST_FIXTURE_TEST_CASE(the_leads_list_takes_a_limit_of_1_to_1000_and_names_a_bad_one, AgentDesk) {
    Response ok = viewer().get("/api/v1/agent/leads?limit=5");
    BOOST_REQUIRE_MESSAGE(ok.status == 200, ok.body);
    BOOST_TEST(ok.json()->getArray("leads")->size() == 0u);
    for (const char* bad : {"0", "1001", "abc", "5x", "", "%205"}) {
        Response r = viewer().get(std::string("/api/v1/agent/leads?limit=") + bad);
        BOOST_TEST(r.status == 400, bad);
        BOOST_TEST(r.errorCode() == "invalid_query", bad);
        BOOST_TEST(r.body.find("limit must be 1 to 1000") != std::string::npos, r.body);
    }
}

BOOST_FIXTURE_TEST_CASE(numbers_in_query_strings_are_whole_integers_in_range_or_a_400_that_names_them, AgentDesk) {
    auto [id, token, available] = visit();
    Client visitor = Client(server.port()).header("Origin", "https://shop.example.com").header("X-Visitor-Token", token);
    std::string history = "/api/v1/widgets/" + key + "/conversations/" + id + "/messages";
    BOOST_TEST(visitor.get(history + "?after_seq=0&limit=200").status == 200);
    struct Case {
        Client client;
        std::string path, says;
    };
    const std::string agent_history = "/api/v1/agent/conversations/" + id + "/messages";
    for (const Case& c : std::vector<Case>{
             {viewer(), "/api/v1/agent/metrics?since=1700000000000x", "since must be 0 to 253402300799999 (milliseconds since the epoch)"},
             {viewer(), "/api/v1/agent/metrics?until=-1", "until must be 0 to"},
             {viewer(), "/api/v1/agent/analytics?since=soon", "since must be 0 to"},
             {viewer(), agent_history + "?after_seq=3x", "after_seq must be 0 to"},
             {visitor, history + "?after_seq=-1", "after_seq must be 0 to"},
             {visitor, history + "?limit=201", "limit must be 1 to 200"},
             {visitor, history + "?limit=10abc", "limit must be 1 to 200"},
         }) {
        Response r = Client(c.client).get(c.path);
        BOOST_TEST(r.status == 400, c.path);
        BOOST_TEST(r.errorCode() == "invalid_query", c.path);
        BOOST_TEST(r.body.find(c.says) != std::string::npos, c.path << ": " << r.body);
    }
}

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

BOOST_FIXTURE_TEST_CASE(unassign_transfer_reopen_and_notes_the_visitor_never_sees, AgentDesk) {
    auto [id, token, available] = visit();
    std::string path = "/api/v1/agent/conversations/" + id;
    std::string second_agent = createMember(tenant, "agent").first;
    BOOST_TEST(agent(tenant).post(path + "/assign", "{}").status == 200);
    Response queued = agent(tenant).post(path + "/unassign", "{}");
    BOOST_TEST(queued.json()->getValue<std::string>("status") == "queued");
    BOOST_TEST(queued.json()->isNull("assigned_agent_id"));
    Response moved = agent(tenant).post(path + "/transfer", R"({"agent_id":")" + second_agent + R"("})");
    BOOST_TEST(moved.status == 200);
    BOOST_TEST(moved.json()->getValue<std::string>("assigned_agent_id") == second_agent);
    Response foreign = agent(tenant).post(path + "/transfer", R"({"agent_id":"00000000-0000-4000-8000-000000000000"})");
    BOOST_TEST(foreign.status == 422);
    BOOST_TEST(foreign.body.find("agent_id") != std::string::npos);
    BOOST_TEST(agent(tenant).post(path + "/notes", R"({"text":"VIP customer, be nice"})").status == 201);
    BOOST_TEST(agent(tenant).post(path + "/messages", R"({"text":"Hello!"})").status == 201);
    Response visitor_view = Client(server.port()).header("Origin", "https://shop.example.com")
                                .get("/api/v1/widgets/" + key + "/conversations/" + id + "/messages", {{"X-Visitor-Token", token}});
    BOOST_TEST(visitor_view.body.find("VIP customer") == std::string::npos);
    BOOST_TEST(visitor_view.body.find("Hello!") != std::string::npos);
    BOOST_TEST(agent(tenant).get(path + "/messages").body.find("VIP customer") != std::string::npos);
    BOOST_TEST(agent(tenant).post(path + "/reopen", "{}").status == 409);  // not closed
    BOOST_TEST(agent(tenant).post(path + "/close", "{}").status == 200);
    Response reopened = agent(tenant).post(path + "/reopen", "{}");
    BOOST_TEST(reopened.json()->getValue<std::string>("status") == "active");
    BOOST_TEST(viewer().post(path + "/notes", R"({"text":"x"})").status == 403);
}

BOOST_FIXTURE_TEST_CASE(canned_responses_are_read_by_members_and_written_by_client_admins, AgentDesk) {
    Client admin = root().header("X-Parley-Tenant", tenant);
    Response created = admin.post("/api/v1/agent/canned-responses", R"({"shortcut":"hours","text":"We open 9-17."})");
    BOOST_TEST(created.status == 201);
    BOOST_TEST(admin.post("/api/v1/agent/canned-responses", R"({"shortcut":"hours","text":"again"})").status == 409);
    BOOST_TEST(admin.post("/api/v1/agent/canned-responses", R"({"shortcut":"two words","text":"x"})").status == 422);
    BOOST_TEST(agent(tenant).post("/api/v1/agent/canned-responses", R"({"shortcut":"x","text":"x"})").status == 403);
    JsonArray list = agent(tenant).get("/api/v1/agent/canned-responses").json()->getArray("canned_responses");
    BOOST_REQUIRE(list->size() == 1u);
    BOOST_TEST(list->getObject(0)->getValue<std::string>("text") == "We open 9-17.");
    BOOST_TEST(viewer().get("/api/v1/agent/canned-responses").status == 200);
    BOOST_TEST(root().header("X-Parley-Tenant", other).get("/api/v1/agent/canned-responses").json()->getArray("canned_responses")->size() == 0u);
    std::string id = created.json()->getValue<std::string>("id");
    BOOST_TEST(root().header("X-Parley-Tenant", other).del("/api/v1/agent/canned-responses/" + id).status == 404);
    BOOST_TEST(admin.del("/api/v1/agent/canned-responses/" + id).status == 204);
    BOOST_TEST(admin.del("/api/v1/agent/canned-responses/" + id).status == 404);
}

BOOST_AUTO_TEST_SUITE_END()

// Two parleyd nodes on one PostgreSQL database: a visitor on node A and an agent on node B talk live through
// LISTEN/NOTIFY; then node A dies (kill -9) and the visitor reconnects to node B, losing nothing.
#include "fixtures.hpp"
#include "ws_client.hpp"

using namespace parley::test;

namespace {

const std::string kOrigin = "https://shop.example.com";

JsonObject nextMessage(WsClient& ws) { return ws.nextOf("message", 8000)->getObject("message"); }

// The next message with this text (bots in scripts/ may have spoken in between).
JsonObject nextWithText(WsClient& ws, const std::string& text) {
    for (int i = 0; i < 20; ++i) {
        JsonObject m = nextMessage(ws);
        if (m->getValue<std::string>("text") == text) return m;
    }
    BOOST_FAIL("no message '" + text + "'");
    return nullptr;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(realtime_cluster)

BOOST_AUTO_TEST_CASE(a_visitor_on_one_node_and_an_agent_on_another_talk_and_survive_a_node_dying) {
    if (backendUnderTest() != "postgresql") {
        BOOST_TEST_MESSAGE("skipped on SQLite: a SQLite server is a single node");
        return;
    }
    TestDatabase db;
    Parleyd a(db), b(db);
    a.start();  // migrates first
    b.start();
    BOOST_TEST(a.waitForOutput("realtime: clustered through PostgreSQL"));
    std::string root_token = a.superAdminToken();
    Client root = Client(a.port()).bearer(root_token);
    std::string tenant = root.post("/api/v1/tenants", R"({"name":"Acme"})").json()->getValue<std::string>("id");
    std::string key = root.post("/api/v1/tenants/" + tenant + "/widgets", R"({"name":"Shop","allowed_domains":["shop.example.com"]})")
                          .json()->getValue<std::string>("public_key");
    Response member = root.post("/api/v1/tenants/" + tenant + "/users",
                                R"({"email":"agent@example.com","role":"agent","password":"member-password-1"})");
    BOOST_REQUIRE_MESSAGE(member.status == 201, member.body);
    std::string agent_id = member.json()->getObject("user")->getValue<std::string>("id");
    std::string agent_token = login(b.port(), "agent@example.com", "member-password-1");

    // The agent is on node B.
    WsClient agent(b.port(), "/api/v1/realtime", {{"Authorization", "Bearer " + agent_token}});
    agent.send(frame({{"type", "hello"}, {"tenant_id", tenant}}));
    agent.nextOf("welcome");
    agent.send(frame({{"type", "presence"}, {"status", "online"}}));
    agent.nextOf("presence");  // recorded in the database both nodes share

    // The visitor is on node A.
    Response started = Client(a.port()).header("Origin", kOrigin)
                           .post("/api/v1/widgets/" + key + "/conversations", R"({"visitor_id":"v1"})");
    std::string id = started.json()->getObject("conversation")->getValue<std::string>("id");
    std::string token = started.json()->getValue<std::string>("visitor_token");
    auto hello = [&](WsClient& ws, long long last_seq) {
        JsonObject f = frame({{"type", "hello"}, {"conversation_id", id}, {"visitor_token", token}});
        f->set("last_seq", last_seq);
        ws.send(f);
        ws.nextOf("welcome");
    };
    auto visitor = std::make_unique<WsClient>(a.port(), "/api/v1/realtime?key=" + key, std::map<std::string, std::string>{{"Origin", kOrigin}});
    hello(*visitor, 0);
    visitor->send(frame({{"type", "message"}, {"text", "I need a human"}}));
    BOOST_TEST(visitor->nextOf("ack")->getObject("message")->getValue<long long>("seq") == 1);
    // Node A routed it to the agent whose presence node B recorded; node B's socket hears both.
    BOOST_TEST(nextWithText(agent, "I need a human")->getValue<long long>("seq") == 1);
    for (;;) {
        JsonObject s = visitor->nextOf("status", 8000);
        if (s->getValue<std::string>("status") == "active") break;
    }
    agent.send(frame({{"type", "message"}, {"conversation_id", id}, {"text", "Hello from node B"}}));
    agent.nextOf("ack");
    long long seen = nextWithText(*visitor, "Hello from node B")->getValue<long long>("seq");
    // Typing crosses nodes too.
    visitor->send(frame({{"type", "typing"}}));
    BOOST_TEST(agent.nextOf("typing", 8000)->getValue<std::string>("from") == "visitor");

    // Node A dies. While the visitor is away the agent writes twice; the visitor reconnects to node B and gets
    // exactly what the history holds after the last seq it saw: in order, each once.
    a.kill9();
    visitor.reset();
    for (const char* text : {"Are you still there?", "I will wait"}) {
        agent.send(frame({{"type", "message"}, {"conversation_id", id}, {"text", text}}));
        agent.nextOf("ack");
    }
    Response history = Client(b.port()).bearer(agent_token).header("X-Parley-Tenant", tenant)
                           .get("/api/v1/agent/conversations/" + id + "/messages?after_seq=" + std::to_string(seen));
    std::vector<long long> expected;
    JsonArray missed = history.json()->getArray("messages");
    for (size_t i = 0; i < missed->size(); ++i) expected.push_back(missed->getObject(static_cast<unsigned>(i))->getValue<long long>("seq"));
    BOOST_TEST(expected.size() >= 2u);
    WsClient again(b.port(), "/api/v1/realtime?key=" + key, {{"Origin", kOrigin}});
    hello(again, seen);
    std::vector<long long> got;
    for (size_t i = 0; i < expected.size(); ++i) got.push_back(nextMessage(again)->getValue<long long>("seq"));
    BOOST_TEST(got == expected);
    again.send(frame({{"type", "message"}, {"text", "back"}, {"client_message_id", "after-failover"}}));
    long long back = again.nextOf("ack")->getObject("message")->getValue<long long>("seq");
    BOOST_TEST(back == expected.back() + 1);
    BOOST_TEST(nextWithText(agent, "back")->getValue<long long>("seq") == back);
    BOOST_TEST(nextMessage(again)->getValue<long long>("seq") == back);  // its own, once
}

BOOST_AUTO_TEST_SUITE_END()

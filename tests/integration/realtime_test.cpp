// The realtime side over real WebSockets: a visitor and an agent talking, typing and read receipts, idempotent
// retries, reconnect and resume with nothing lost or doubled, the queue with capacity and transfers, offline lead
// capture, read-only client users, and every bad frame, token and tenant.
#include "fixtures.hpp"
#include "ws_client.hpp"

#include <set>

using namespace parley::test;

namespace {

const std::string kOrigin = "https://shop.example.com";

struct Desk : ServerFixture {
    std::string tenant, key;
    std::string agent_id, agent_token;
    Desk() {
        tenant = createTenant("Acme");
        key = createWidget(tenant)->getValue<std::string>("public_key");
        std::tie(agent_id, agent_token) = createMember(tenant, "agent");
    }
    std::string base() const { return "/api/v1/widgets/" + key + "/conversations"; }
    Client visitorHttp() const { return Client(server.port()).header("Origin", kOrigin); }
    Client agentHttp(const std::string& token) const {
        return Client(server.port()).bearer(token).header("X-Parley-Tenant", tenant);
    }
    // Starts a conversation over HTTP: {id, token}.
    std::pair<std::string, std::string> start(const std::string& visitor = "v1") const {
        Response r = visitorHttp().post(base(), R"({"visitor_id":")" + visitor + R"("})");
        BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
        return {r.json()->getObject("conversation")->getValue<std::string>("id"), r.json()->getValue<std::string>("visitor_token")};
    }
    // A visitor socket that said hello; the welcome frame is consumed and returned in `welcome`.
    std::unique_ptr<WsClient> visitorSocket(const std::pair<std::string, std::string>& c, long long last_seq = 0,
                                            JsonObject* welcome = nullptr) const {
        auto ws = std::make_unique<WsClient>(server.port(), "/api/v1/realtime?key=" + key, std::map<std::string, std::string>{{"Origin", kOrigin}});
        JsonObject hello = frame({{"type", "hello"}, {"conversation_id", c.first}, {"visitor_token", c.second}});
        hello->set("last_seq", last_seq);
        ws->send(hello);
        JsonObject w = ws->nextOf("welcome");
        if (welcome) *welcome = w;
        return ws;
    }
    std::unique_ptr<WsClient> agentSocket(const std::string& token, bool online = true) const {
        auto ws = std::make_unique<WsClient>(server.port(), "/api/v1/realtime",
                                             std::map<std::string, std::string>{{"Authorization", "Bearer " + token}});
        ws->send(frame({{"type", "hello"}, {"tenant_id", tenant}}));
        ws->nextOf("welcome");
        if (online) {
            ws->send(frame({{"type", "presence"}, {"status", "online"}}));
            ws->nextOf("presence");  // recorded: routing counts this agent from here on
        }
        return ws;
    }
    void setCapacity(const std::string& user, int capacity) const {
        Response r = root().request("PUT", "/api/v1/agent/agents/" + user, R"({"capacity":)" + std::to_string(capacity) + "}",
                                    {{"X-Parley-Tenant", tenant}});
        BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
    }
};

JsonObject textMessage(const std::string& text, const std::string& client_id = "") {
    JsonObject f = frame({{"type", "message"}, {"text", text}});
    if (!client_id.empty()) f->set("client_message_id", client_id);
    return f;
}

// The next message frame's message.
JsonObject nextMessage(WsClient& ws, int timeout_ms = 5000) { return ws.nextOf("message", timeout_ms)->getObject("message"); }

// The next message from this kind of sender (the example Lua rules in scripts/ may answer in between).
JsonObject nextFrom(WsClient& ws, const std::string& sender_type) {
    for (int i = 0; i < 20; ++i) {
        JsonObject m = nextMessage(ws);
        if (m->getValue<std::string>("sender_type") == sender_type) return m;
    }
    BOOST_FAIL("no message from a " + sender_type);
    return nullptr;
}

// The next status frame for this conversation with this status.
JsonObject waitStatus(WsClient& ws, const std::string& status) {
    for (;;) {
        JsonObject f = ws.nextOf("status");
        if (f->getValue<std::string>("status") == status) return f;
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(realtime)

BOOST_FIXTURE_TEST_CASE(a_visitor_and_an_agent_talk_live_with_typing_and_read_receipts, Desk) {
    auto agent = agentSocket(agent_token);
    auto c = start();
    JsonObject welcome;
    auto visitor = visitorSocket(c, 0, &welcome);
    BOOST_TEST(welcome->getObject("conversation")->getValue<std::string>("id") == c.first);
    BOOST_TEST(welcome->getValue<bool>("agents_available"));

    // Asking for a human hands the conversation to the only online agent.
    visitor->send(textMessage("I want to talk to a human please", "c1"));
    JsonObject ack = visitor->nextOf("ack");
    BOOST_TEST(ack->getObject("message")->getValue<long long>("seq") == 1);
    JsonObject status = waitStatus(*visitor, "active");
    BOOST_TEST(status->getObject("agent")->getValue<std::string>("id") == agent_id);
    BOOST_TEST(nextFrom(*agent, "visitor")->getValue<std::string>("text") == "I want to talk to a human please");
    JsonObject inbox = agent->nextOf("conversation");
    BOOST_TEST(inbox->getObject("conversation")->getValue<std::string>("id") == c.first);

    // Typing both ways.
    JsonObject typing = frame({{"type", "typing"}});
    typing->set("state", true);
    visitor->send(typing);
    JsonObject seen = agent->nextOf("typing");
    BOOST_TEST(seen->getValue<std::string>("from") == "visitor");
    BOOST_TEST(seen->getValue<std::string>("conversation_id") == c.first);
    JsonObject agent_typing = frame({{"type", "typing"}, {"conversation_id", c.first}});
    agent->send(agent_typing);
    BOOST_TEST(visitor->nextOf("typing")->getValue<std::string>("from") == "agent");

    // The agent answers; the visitor gets it with the next seq and marks it read; the agent sees the receipt.
    JsonObject reply = frame({{"type", "message"}, {"conversation_id", c.first}, {"text", "Hi, I am here"}, {"id", "r1"}});
    agent->send(reply);
    JsonObject reply_ack = agent->nextOf("ack");
    BOOST_TEST(reply_ack->getValue<std::string>("ref") == "r1");
    JsonObject got = nextFrom(*visitor, "agent");
    BOOST_TEST(got->getValue<std::string>("text") == "Hi, I am here");
    BOOST_TEST(got->getValue<std::string>("sender_type") == "agent");
    long long seq = got->getValue<long long>("seq");
    JsonObject read = frame({{"type", "read"}});
    read->set("seq", seq);
    visitor->send(read);
    JsonObject receipt = agent->nextOf("read");
    BOOST_TEST(receipt->getValue<std::string>("by") == "visitor");
    BOOST_TEST(receipt->getValue<long long>("seq") == seq);
    // Recorded: the agent API shows it, and the first response time is measured.
    Response r = agentHttp(agent_token).get("/api/v1/agent/conversations?status=active");
    JsonObject conv = r.json()->getArray("conversations")->getObject(0);
    BOOST_TEST(conv->getValue<long long>("visitor_read_seq") == seq);
    BOOST_TEST(!conv->getObject("metrics")->isNull("first_response_ms"));
    BOOST_TEST(!conv->getObject("metrics")->isNull("wait_ms"));

    // Internal notes reach agents, never the visitor.
    BOOST_TEST(agentHttp(agent_token).post("/api/v1/agent/conversations/" + c.first + "/notes", R"({"text":"VIP"})").status == 201);
    BOOST_TEST(nextFrom(*agent, "note")->getValue<std::string>("text") == "VIP");
    visitor->send(textMessage("thanks"));
    BOOST_TEST(nextFrom(*visitor, "visitor")->getValue<std::string>("text") == "thanks");  // the note was skipped
}

BOOST_FIXTURE_TEST_CASE(a_retried_message_is_stored_once_and_acknowledged_with_the_first_result, Desk) {
    auto c = start();
    auto visitor = visitorSocket(c);
    visitor->send(textMessage("hello", "same-id"));
    JsonObject first = visitor->nextOf("ack");
    visitor->send(textMessage("hello", "same-id"));
    JsonObject second = visitor->nextOf("ack");
    BOOST_TEST(!first->getValue<bool>("duplicate"));
    BOOST_TEST(second->getValue<bool>("duplicate"));
    BOOST_TEST(first->getObject("message")->getValue<std::string>("id") == second->getObject("message")->getValue<std::string>("id"));
    // Over HTTP too, with the same id: still one message.
    Response r = visitorHttp().post(base() + "/" + c.first + "/messages", R"({"text":"hello","client_message_id":"same-id"})",
                                    {{"X-Visitor-Token", c.second}});
    BOOST_TEST(r.status == 200);
    Response h = visitorHttp().get(base() + "/" + c.first + "/messages", {{"X-Visitor-Token", c.second}});
    JsonArray all = h.json()->getArray("messages");
    int from_visitor = 0;
    for (size_t i = 0; i < all->size(); ++i)
        from_visitor += all->getObject(static_cast<unsigned>(i))->getValue<std::string>("sender_type") == "visitor";
    BOOST_TEST(from_visitor == 1);  // (the example greeting rule may have answered)
}

BOOST_FIXTURE_TEST_CASE(a_reconnecting_visitor_gets_exactly_what_it_missed, Desk) {
    auto agent_http = agentHttp(agent_token);
    auto c = start();
    BOOST_TEST(agent_http.post("/api/v1/agent/conversations/" + c.first + "/assign", "").status == 200);
    long long last = 0;
    {
        auto visitor = visitorSocket(c);
        for (int i = 1; i <= 3; ++i) {
            visitor->send(textMessage("v" + std::to_string(i), "cv" + std::to_string(i)));
            last = visitor->nextOf("ack")->getObject("message")->getValue<long long>("seq");
        }
        // Let the socket see its own messages (it gets every message of its conversation, in order).
        for (int i = 1; i <= 3; ++i) BOOST_TEST(nextMessage(*visitor)->getValue<long long>("seq") == i);
    }  // the network drops
    for (int i = 1; i <= 5; ++i)
        BOOST_TEST(agent_http.post("/api/v1/agent/conversations/" + c.first + "/messages",
                                   R"({"text":"a)" + std::to_string(i) + R"("})").status == 201);
    auto visitor = visitorSocket(c, last);
    std::vector<long long> seqs;
    for (int i = 0; i < 5; ++i) seqs.push_back(nextMessage(*visitor)->getValue<long long>("seq"));
    BOOST_TEST((seqs == std::vector<long long>{4, 5, 6, 7, 8}));
    // Live from here, no repeats: the next message is 9.
    BOOST_TEST(agent_http.post("/api/v1/agent/conversations/" + c.first + "/messages", R"({"text":"live"})").status == 201);
    JsonObject live = nextMessage(*visitor);
    BOOST_TEST(live->getValue<long long>("seq") == 9);
    BOOST_TEST(!visitor->receivesOf("message", 300));
}

BOOST_FIXTURE_TEST_CASE(routing_respects_capacity_and_the_queue_moves_when_a_chat_closes, Desk) {
    setCapacity(agent_id, 1);
    auto agent = agentSocket(agent_token);
    auto a = start("va");
    auto b = start("vb");
    auto va = visitorSocket(a);
    auto vb = visitorSocket(b);
    BOOST_TEST(visitorHttp().post(base() + "/" + a.first + "/handoff", "", {{"X-Visitor-Token", a.second}}).status == 200);
    waitStatus(*va, "active");
    Response second = visitorHttp().post(base() + "/" + b.first + "/handoff", "", {{"X-Visitor-Token", b.second}});
    BOOST_TEST(second.json()->getObject("conversation")->getValue<std::string>("status") == "queued");
    BOOST_TEST(second.json()->getValue<int>("queue_position") == 1);
    BOOST_TEST(vb->nextOf("queue")->getValue<int>("position") == 1);
    // The agent closes the first chat: capacity frees and the second is assigned.
    BOOST_TEST(agentHttp(agent_token).post("/api/v1/agent/conversations/" + a.first + "/close", "").status == 200);
    waitStatus(*va, "closed");
    JsonObject active = waitStatus(*vb, "active");
    BOOST_TEST(active->getObject("agent")->getValue<std::string>("id") == agent_id);
    // Per-agent metrics count both.
    Response m = agentHttp(agent_token).get("/api/v1/agent/metrics");
    BOOST_REQUIRE(m.status == 200);
    JsonObject mine = m.json()->getArray("agents")->getObject(0);
    BOOST_TEST(mine->getValue<int>("conversations") == 2);
    BOOST_TEST(mine->getValue<int>("resolved") == 1);
}

BOOST_FIXTURE_TEST_CASE(transfers_go_to_an_agent_or_a_department_queue, Desk) {
    auto [second_id, second_token] = createMember(tenant, "agent");
    Response dep = root().request("PUT", "/api/v1/agent/agents/" + second_id, R"({"departments":["billing"]})",
                                  {{"X-Parley-Tenant", tenant}});
    BOOST_REQUIRE_MESSAGE(dep.status == 200, dep.body);
    auto c = start();
    auto visitor = visitorSocket(c);
    auto http = agentHttp(agent_token);
    BOOST_TEST(http.post("/api/v1/agent/conversations/" + c.first + "/assign", "").status == 200);
    waitStatus(*visitor, "active");
    // To a named agent.
    Response t = http.post("/api/v1/agent/conversations/" + c.first + "/transfer", R"({"agent_id":")" + second_id + R"("})");
    BOOST_TEST(t.status == 200);
    BOOST_TEST(t.json()->getValue<std::string>("assigned_agent_id") == second_id);
    // To the billing queue: the billing agent comes online and gets it; the other agent (online, all
    // departments) would too, so keep them away.
    auto billing = agentSocket(second_token);
    Response q = http.post("/api/v1/agent/conversations/" + c.first + "/transfer", R"({"department":"billing"})");
    BOOST_TEST(q.status == 200);
    JsonObject now = agentHttp(agent_token).get("/api/v1/agent/conversations?status=active").json()->getArray("conversations")->getObject(0);
    BOOST_TEST(now->getValue<std::string>("department") == "billing");
    BOOST_TEST(now->getValue<std::string>("assigned_agent_id") == second_id);
    // Bad transfers.
    BOOST_TEST(http.post("/api/v1/agent/conversations/" + c.first + "/transfer", R"({})").errorCode() == "invalid_transfer");
    BOOST_TEST(http.post("/api/v1/agent/conversations/" + c.first + "/transfer", R"({"agent_id":"00000000-0000-4000-8000-000000000000"})").status == 422);
}

BOOST_FIXTURE_TEST_CASE(with_no_agent_online_a_handoff_asks_for_contact_details, Desk) {
    auto c = start();
    auto visitor = visitorSocket(c);
    visitor->send(textMessage("can I speak to a real person?"));
    visitor->nextOf("ack");
    JsonObject form;
    for (int i = 0; i < 10; ++i) {
        form = nextMessage(*visitor);
        if (form->getValue<std::string>("type") == "form") break;
    }
    BOOST_TEST(form->getValue<std::string>("type") == "form");
    BOOST_TEST(form->getValue<std::string>("sender_type") == "bot");
    BOOST_TEST(form->getObject("payload")->getValue<std::string>("form") == "lead");
    BOOST_TEST(waitStatus(*visitor, "queued")->getValue<std::string>("conversation_id") == c.first);
    // The visitor fills the form in over the socket (message_type "form"), and the widget leaves the lead.
    JsonObject submit = parley::core::parseJson(
        R"({"type":"message","id":"f1","message_type":"form","payload":{"form":"lead","fields":{"name":"Ana","email":"ana@example.com"}}})")
                            .extract<JsonObject>();
    visitor->send(submit);
    JsonObject ack = visitor->nextOf("ack");
    BOOST_TEST(ack->getObject("message")->getValue<std::string>("type") == "form");
    Response lead = visitorHttp().post(base() + "/" + c.first + "/lead", R"({"name":"Ana","email":"ana@example.com","consent":true})",
                                       {{"X-Visitor-Token", c.second}});
    BOOST_TEST(lead.status == 201);
}

BOOST_FIXTURE_TEST_CASE(a_client_user_watches_but_cannot_write, Desk) {
    auto [viewer_id, viewer_token] = createMember(tenant, "client_user");
    auto c = start();
    auto viewer = agentSocket(viewer_token, false);
    viewer->send(frame({{"type", "presence"}, {"status", "online"}, {"id", "p"}}));
    BOOST_TEST(viewer->nextOf("error")->getObject("error")->getValue<std::string>("code") == "forbidden");
    viewer->send(frame({{"type", "message"}, {"conversation_id", c.first}, {"text", "hi"}, {"id", "m"}}));
    JsonObject e = viewer->nextOf("error");
    BOOST_TEST(e->getValue<std::string>("ref") == "m");
    BOOST_TEST(e->getObject("error")->getValue<std::string>("code") == "forbidden");
    // It still sees the conversation live.
    auto visitor = visitorSocket(c);
    visitor->send(textMessage("hello"));
    BOOST_TEST(nextMessage(*viewer)->getValue<std::string>("text") == "hello");
}

BOOST_FIXTURE_TEST_CASE(bad_upgrades_frames_tokens_and_foreign_ids_get_clear_answers, Desk) {
    // Not a WebSocket, no credentials, wrong version: JSON errors before any upgrade.
    Response plain = Client(server.port()).get("/api/v1/realtime");
    BOOST_TEST(plain.status == 400);
    BOOST_TEST(plain.errorCode() == "not_a_websocket");
    BOOST_TEST(WsClient::refused(server.port(), "/api/v1/realtime").status == 401);
    Response version = WsClient::refused(server.port(), "/api/v1/realtime?key=" + key,
                                         {{"Sec-WebSocket-Version", "8"}, {"Origin", kOrigin}});
    BOOST_TEST(version.status == 426);
    BOOST_TEST(version.header("sec-websocket-version") == "13");
    BOOST_TEST(WsClient::refused(server.port(), "/api/v1/realtime?key=pk_unknown", {{"Origin", kOrigin}}).status == 404);
    BOOST_TEST(WsClient::refused(server.port(), "/api/v1/realtime?key=" + key, {{"Origin", "https://evil.example"}}).status == 403);

    auto c = start();
    {  // A frame before hello ends the socket with a policy close.
        WsClient ws(server.port(), "/api/v1/realtime?key=" + key, {{"Origin", kOrigin}});
        ws.send(textMessage("hi"));
        BOOST_TEST(ws.nextOf("error")->getObject("error")->getValue<std::string>("code") == "hello_expected");
        BOOST_TEST(ws.closeCode() == 1008);
    }
    {  // A wrong visitor token: not found, closed.
        WsClient ws(server.port(), "/api/v1/realtime?key=" + key, {{"Origin", kOrigin}});
        ws.send(frame({{"type", "hello"}, {"conversation_id", c.first}, {"visitor_token", "vt_wrong"}}));
        BOOST_TEST(ws.nextOf("error")->getObject("error")->getValue<std::string>("code") == "not_found");
        BOOST_TEST(ws.closeCode() == 1008);
    }
    {  // Malformed JSON and unknown frames: an error each, the socket stays usable.
        auto ws = visitorSocket(c);
        ws->send("{not json");
        BOOST_TEST(ws->nextOf("error")->getObject("error")->getValue<std::string>("code") == "invalid_json");
        ws->send(R"({"type":"dance"})");
        BOOST_TEST(ws->nextOf("error")->getObject("error")->getValue<std::string>("code") == "unknown_frame");
        ws->send(R"({"type":"message","text":42})");
        BOOST_TEST(ws->nextOf("error")->getObject("error")->getValue<std::string>("code") == "invalid_field");
        ws->send(R"({"type":"message","text":"ok","id":"after"})");
        BOOST_TEST(ws->nextOf("ack")->getValue<std::string>("ref") == "after");
        // Binary frames are not part of the protocol; an oversize message closes with 1009.
        ws->send(std::string(70000, 'x'));
        BOOST_TEST(ws->closeCode() == 1009);
    }
    {  // An agent naming another tenant's conversation, or another tenant: not found.
        std::string other = createTenant("Other");
        std::string other_key = createWidget(other)->getValue<std::string>("public_key");
        Response started = Client(server.port()).header("Origin", kOrigin)
                               .post("/api/v1/widgets/" + other_key + "/conversations", R"({"visitor_id":"x"})");
        std::string foreign = started.json()->getObject("conversation")->getValue<std::string>("id");
        auto agent = agentSocket(agent_token, false);
        agent->send(frame({{"type", "message"}, {"conversation_id", foreign}, {"text", "hi"}}));
        BOOST_TEST(agent->nextOf("error")->getObject("error")->getValue<std::string>("code") == "not_found");
        agent->send(frame({{"type", "resume"}, {"conversation_id", "not-a-uuid"}}));
        BOOST_TEST(agent->nextOf("error")->getObject("error")->getValue<std::string>("code") == "not_found");
        WsClient ws(server.port(), "/api/v1/realtime", {{"Authorization", "Bearer " + agent_token}});
        ws.send(frame({{"type", "hello"}, {"tenant_id", other}}));
        BOOST_TEST(ws.nextOf("error")->getObject("error")->getValue<std::string>("code") == "not_found");
        BOOST_TEST(ws.closeCode() == 1008);
    }
}

BOOST_FIXTURE_TEST_CASE(files_images_cards_and_quick_replies_travel_as_messages, Desk) {
    auto c = start();
    auto visitor = visitorSocket(c);
    std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(100, 'p');
    Response up = visitorHttp().request("POST", base() + "/" + c.first + "/files", png,
                                        {{"X-Visitor-Token", c.second}, {"X-File-Name", "shot.png"}}, "image/png");
    BOOST_REQUIRE_MESSAGE(up.status == 201, up.body);
    JsonObject file = up.json()->getObject("file");
    BOOST_TEST(file->getValue<long long>("size") == 108);
    // A file claiming to be a PNG that is not, and a type not accepted.
    BOOST_TEST(visitorHttp().request("POST", base() + "/" + c.first + "/files", "<html>", {{"X-Visitor-Token", c.second}, {"X-File-Name", "x.png"}}, "image/png").status == 415);
    BOOST_TEST(visitorHttp().request("POST", base() + "/" + c.first + "/files", "x", {{"X-Visitor-Token", c.second}, {"X-File-Name", "x.html"}}, "text/html").status == 415);
    Response sent = visitorHttp().post(base() + "/" + c.first + "/messages",
                                       R"({"type":"image","payload":{"file_id":")" + file->getValue<std::string>("id") + R"("}})",
                                       {{"X-Visitor-Token", c.second}});
    BOOST_REQUIRE_MESSAGE(sent.status == 201, sent.body);
    JsonObject stored = sent.json()->getObject("message")->getObject("payload")->getObject("file");
    BOOST_TEST(stored->getValue<std::string>("content_type") == "image/png");
    // The capability URL serves the bytes; a wrong token does not.
    std::string url = stored->getValue<std::string>("url");
    std::string path = url.substr(url.find("/api/v1/files/"));
    Response download = Client(server.port()).get(path);
    BOOST_TEST(download.status == 200);
    BOOST_TEST(download.body == png);
    BOOST_TEST(download.header("x-content-type-options") == "nosniff");
    BOOST_TEST(Client(server.port()).get(path.substr(0, path.size() - 3) + "abc").status == 404);
    // Quick reply and form from the visitor; a card from the agent.
    BOOST_TEST(visitorHttp().post(base() + "/" + c.first + "/messages", R"({"type":"quick_reply","payload":{"value":"pricing"}})",
                                  {{"X-Visitor-Token", c.second}}).status == 201);
    BOOST_TEST(visitorHttp().post(base() + "/" + c.first + "/messages", R"({"type":"form","payload":{"form":"survey","fields":{"size":"M"}}})",
                                  {{"X-Visitor-Token", c.second}}).status == 201);
    BOOST_TEST(visitorHttp().post(base() + "/" + c.first + "/messages", R"({"type":"card","text":"x"})",
                                  {{"X-Visitor-Token", c.second}}).errorCode() == "invalid_field");
    BOOST_TEST(visitorHttp().post(base() + "/" + c.first + "/messages", R"({"type":"image","payload":{"file_id":"00000000-0000-4000-8000-000000000000"}})",
                                  {{"X-Visitor-Token", c.second}}).errorCode() == "invalid_field");
    Response card = agentHttp(agent_token).post("/api/v1/agent/conversations/" + c.first + "/messages",
        R"({"type":"card","payload":{"card":{"title":"Winter sale","text":"20% off","image_url":"https://shop.example.com/a.png","buttons":[{"label":"Shop","url":"https://shop.example.com"}]}}})");
    BOOST_REQUIRE_MESSAGE(card.status == 201, card.body);
    std::set<std::string> types;
    for (int i = 0; i < 20 && !types.count("card"); ++i) types.insert(nextMessage(*visitor)->getValue<std::string>("type"));
    for (const char* t : {"image", "quick_reply", "form", "card"}) BOOST_TEST(types.count(t) == 1u, t);
}

BOOST_AUTO_TEST_SUITE_END()

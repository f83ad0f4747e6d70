// Incoming commands (seed 000): signed with the widget's secret in the Standard Webhooks format, delivered live to
// the widget's sockets (whole site, one visitor, one conversation), kept briefly for a visitor who is away; bad
// signatures, stale timestamps and replays refused with clear errors.
#include "auth/crypto.hpp"
#include "fixtures.hpp"
#include "store/database.hpp"
#include "ws_client.hpp"

using namespace parley::test;

namespace {

const std::string kOrigin = "https://shop.example.com";

struct CommandDesk : ServerFixture {
    std::string tenant, key, secret;
    CommandDesk() {
        tenant = createTenant("Acme");
        JsonObject w = createWidget(tenant);
        key = w->getValue<std::string>("public_key");
        secret = w->getValue<std::string>("secret");
    }
    // Signs like a Standard Webhooks sender: v1,base64(HMAC-SHA256(key, id.timestamp.body)).
    Response send(const std::string& body, const std::string& id, long long timestamp = 0, const std::string& with = "") const {
        if (!timestamp) timestamp = parley::core::nowMs() / 1000;
        std::string k = parley::core::base64UrlDecode((with.empty() ? secret : with).substr(3));
        std::string sig = parley::core::base64Encode(
            parley::core::hmacSha256(k, id + "." + std::to_string(timestamp) + "." + body));
        return Client(server.port()).post("/api/v1/widgets/" + key + "/commands", body,
                                          {{"webhook-id", id}, {"webhook-timestamp", std::to_string(timestamp)},
                                           {"webhook-signature", "v1,bm90IGl0 v1," + sig}});
    }
    std::unique_ptr<WsClient> lobby(const std::string& visitor) const {
        auto ws = std::make_unique<WsClient>(server.port(), "/api/v1/realtime?key=" + key,
                                             std::map<std::string, std::string>{{"Origin", kOrigin}});
        ws->send(frame({{"type", "hello"}, {"visitor_id", visitor}}));
        ws->nextOf("welcome");
        return ws;
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(commands)

BOOST_FIXTURE_TEST_CASE(commands_reach_the_site_one_visitor_or_one_conversation_live, CommandDesk) {
    auto ana = lobby("ana");
    auto bob = lobby("bob");
    Response site = send(R"({"command":"show_notification","data":{"text":"Sale ends tonight"}})", "msg_1");
    BOOST_REQUIRE_MESSAGE(site.status == 202, site.body);
    BOOST_TEST(site.json()->getValue<int>("delivered") == 2);
    for (auto* ws : {ana.get(), bob.get()}) {
        JsonObject f = ws->nextOf("command");
        BOOST_TEST(f->getValue<std::string>("command") == "show_notification");
        BOOST_TEST(f->getValue<std::string>("id") == "msg_1");
        BOOST_TEST(f->getObject("data")->getValue<std::string>("text") == "Sale ends tonight");
    }
    Response one = send(R"({"command":"open_chat","target":{"visitor_id":"ana"}})", "msg_2");
    BOOST_TEST(one.json()->getValue<int>("delivered") == 1);
    BOOST_TEST(ana->nextOf("command")->getValue<std::string>("command") == "open_chat");
    BOOST_TEST(!bob->receivesOf("command", 300));

    // Into a conversation: a message as the bot, and identify fills in who the visitor is.
    Response started = Client(server.port()).header("Origin", kOrigin)
                           .post("/api/v1/widgets/" + key + "/conversations", R"({"visitor_id":"ana"})");
    std::string id = started.json()->getObject("conversation")->getValue<std::string>("id");
    std::string token = started.json()->getValue<std::string>("visitor_token");
    auto chat = std::make_unique<WsClient>(server.port(), "/api/v1/realtime?key=" + key,
                                           std::map<std::string, std::string>{{"Origin", kOrigin}});
    chat->send(frame({{"type", "hello"}, {"conversation_id", id}, {"visitor_token", token}}));
    chat->nextOf("welcome");
    Response msg = send(R"({"command":"send_message","target":{"conversation_id":")" + id +
                            R"("},"data":{"text":"Your order shipped","as":"agent","agent_name":"Lee"}})", "msg_3");
    BOOST_REQUIRE_MESSAGE(msg.status == 202, msg.body);
    JsonObject got = chat->nextOf("message")->getObject("message");
    BOOST_TEST(got->getValue<std::string>("text") == "Your order shipped");
    BOOST_TEST(got->getValue<std::string>("sender_type") == "agent");
    BOOST_TEST(send(R"({"command":"identify","target":{"visitor_id":"ana"},"data":{"name":"Ana","email":"ana@example.com"}})", "msg_4").status == 202);
    BOOST_TEST(ana->nextOf("command")->getValue<std::string>("command") == "identify");
    Response history = Client(server.port()).header("Origin", kOrigin)
                           .get("/api/v1/widgets/" + key + "/conversations/" + id + "/messages", {{"X-Visitor-Token", token}});
    BOOST_TEST(history.json()->getObject("conversation")->getObject("visitor_info")->getValue<std::string>("email") ==
               "ana@example.com");
}

BOOST_FIXTURE_TEST_CASE(a_command_for_an_absent_visitor_waits_for_them_once, CommandDesk) {
    Response r = send(R"({"command":"open_chat","target":{"visitor_id":"carla"},"ttl_seconds":60})", "wait_1");
    BOOST_REQUIRE_MESSAGE(r.status == 202, r.body);
    BOOST_TEST(r.json()->getValue<int>("delivered") == 0);
    BOOST_TEST(r.json()->getValue<bool>("queued"));
    {
        auto carla = lobby("carla");
        BOOST_TEST(carla->nextOf("command")->getValue<std::string>("id") == "wait_1");
    }
    auto again = lobby("carla");
    BOOST_TEST(!again->receivesOf("command", 300));  // delivered once, then forgotten
}

BOOST_FIXTURE_TEST_CASE(bad_signatures_stale_timestamps_replays_and_bad_commands_are_refused, CommandDesk) {
    const std::string body = R"({"command":"open_chat"})";
    BOOST_TEST(Client(server.port()).post("/api/v1/widgets/" + key + "/commands", body).errorCode() == "missing_signature");
    Response wrong = send(body, "bad_1", 0, "ws_c29tZSBvdGhlciBzZWNyZXQ");
    BOOST_TEST(wrong.status == 401);
    BOOST_TEST(wrong.errorCode() == "invalid_signature");
    Response stale = send(body, "old_1", parley::core::nowMs() / 1000 - 3600);
    BOOST_TEST(stale.status == 401);
    BOOST_TEST(stale.errorCode() == "stale_timestamp");
    BOOST_TEST(send(body, "once").status == 202);
    Response replay = send(body, "once");
    BOOST_TEST(replay.status == 409);
    BOOST_TEST(replay.errorCode() == "replayed");
    BOOST_TEST(send(R"({"command":"dance"})", "c1").errorCode() == "invalid_field");
    BOOST_TEST(send(R"({"command":"show_notification","data":{}})", "c2").errorCode() == "invalid_field");
    BOOST_TEST(send(R"({"command":"send_message","data":{"text":"x"}})", "c3").errorCode() == "invalid_field");
    BOOST_TEST(send(R"({"command":"open_chat","target":{"conversation_id":"00000000-0000-4000-8000-000000000000"}})", "c4").status == 404);
    BOOST_TEST(send("{not json", "c5").errorCode() == "invalid_json");
    BOOST_TEST(Client(server.port()).post("/api/v1/widgets/pk_nope/commands", body, {{"webhook-id", "x"}}).status == 404);
    // A signed body changed by one byte no longer verifies.
    long long ts = parley::core::nowMs() / 1000;
    std::string k = parley::core::base64UrlDecode(secret.substr(3));
    std::string sig = parley::core::base64Encode(parley::core::hmacSha256(k, "t1." + std::to_string(ts) + "." + body));
    Response tampered = Client(server.port()).post("/api/v1/widgets/" + key + "/commands", R"({"command":"open_chaT"})",
                                                   {{"webhook-id", "t1"}, {"webhook-timestamp", std::to_string(ts)},
                                                    {"webhook-signature", "v1," + sig}});
    BOOST_TEST(tampered.errorCode() == "invalid_signature");
}

BOOST_AUTO_TEST_SUITE_END()

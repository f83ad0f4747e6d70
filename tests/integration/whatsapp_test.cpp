// WhatsApp in a real parleyd on both databases, against a fake Graph API on loopback: the handshake, signatures,
// every fixture stored as the right message, duplicates (also concurrent) stored once, multi-entry payloads,
// statuses out of order, the 24-hour window, the send pace and retries, error 190 stopping a broadcast, a
// broadcast killed with kill -9 and resumed without duplicates, flows, and a WhatsApp user talking with an agent
// in the inbox.
#include "fixtures.hpp"
#include "whatsapp/fake_graph.hpp"
#include "ws_client.hpp"
#include "store/database.hpp"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <Poco/File.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

using namespace parley::test;

namespace {

const std::string kNumber = "106540352242922";  // the inbound fixtures' phone_number_id
const std::string kStatusNumber = "1122334455667";  // the status fixtures'
const std::string kSecret = "test-app-secret";
const std::string kToken = "token-1";
const std::string kWaId = "16505551234";
const std::string kTextWamid = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=";

std::string nowSeconds() {
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

// The text fixture with its timestamp moved to now (inside the 24-hour window), and optionally another wamid.
std::string freshText(const std::string& wamid = kTextWamid, const std::string& body = "") {
    std::vector<std::pair<std::string, std::string>> r = {{"\"1749416383\"", "\"" + nowSeconds() + "\""}};
    if (wamid != kTextWamid) r.emplace_back(kTextWamid, wamid);
    if (!body.empty()) r.emplace_back("Does it come in another color?", body);
    return rewrite(waFixture("meta_inbound_text.json"), r);
}

// A status fixture for one of our sends: its wamid, recipient and number put in.
std::string statusFor(const std::string& fixture_name, const std::string& wamid, const std::string& recipient = kWaId) {
    return rewrite(waFixture(fixture_name), {{"wamid.xyzxyz", wamid}, {"972987654321", recipient}, {kStatusNumber, kNumber}});
}

struct WaServer {
    FakeGraph graph;
    TestDatabase db;
    std::string scripts_dir;
    Parleyd server;
    std::string root_token, tenant, widget, admin, agent_id, agent;

    static std::string emptyScripts(const TestDatabase& db) {
        std::string dir = db.dataDir() + "/no-scripts";
        Poco::File(dir).createDirectories();
        return dir;
    }
    static std::string config(const FakeGraph& graph, double rate) {
        return R"({"plugins":{"whatsapp":{"graph_base_url":")" + graph.baseUrl() +
               R"(","send_rate_per_second":)" + std::to_string(rate) +
               R"(,"retry_base_ms":20,"graph_timeout_ms":1000,"sender_poll_ms":20}}})";
    }
    explicit WaServer(double rate = 200)
        : server(db,
                 {{"PARLEY_PLUGINS", "whatsapp"},
                  {"PARLEY_PLUGINS_PATH", std::string(PARLEY_BINARY_DIR) + "/plugins"},
                  {"PARLEY_OUTBOUND_ALLOW_PRIVATE", "true"},
                  {"PARLEY_LUA_SCRIPTS_DIR", emptyScripts(db)}},
                 config(graph, rate)) {
        graph.setToken(kNumber, kToken);
        server.start();
        root_token = server.superAdminToken();
        Client root = Client(server.port()).bearer(root_token);
        tenant = root.post("/api/v1/tenants", R"({"name":"Finnegans"})").json()->getValue<std::string>("id");
        widget = root.post("/api/v1/tenants/" + tenant + "/widgets", R"({"name":"WhatsApp","allowed_domains":["shop.example.com"]})")
                     .json()->getValue<std::string>("id");
        admin = member("client_admin").second;
        std::tie(agent_id, agent) = member("agent");
        Response r = as(admin).post(api("/numbers"), R"({"phone_number_id":")" + kNumber + R"(","business_account_id":"419561257915477",)"
                                    R"("display_number":"+1 555 078 3881","widget_id":")" + widget + R"(","app_secret":")" + kSecret +
                                    R"(","access_token":")" + kToken + R"(","verify_token":"verify-token-1"})");
        BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
    }
    std::pair<std::string, std::string> member(const std::string& role) {
        std::string email = uniqueName(role) + "@example.com";
        Response r = Client(server.port()).bearer(root_token).post("/api/v1/tenants/" + tenant + "/users",
            R"({"email":")" + email + R"(","role":")" + role + R"(","password":"member-password-1","name":"Agent Smith"})");
        BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
        return {r.json()->getObject("user")->getValue<std::string>("id"), login(server.port(), email, "member-password-1")};
    }
    Client as(const std::string& token) const { return Client(server.port()).bearer(token).header("X-Parley-Tenant", tenant); }
    static std::string api(const std::string& rest) { return "/api/v1/plugins/whatsapp" + rest; }

    Response webhook(const std::string& body, const std::string& secret = kSecret) const {
        return Client(server.port()).post("/hooks/whatsapp", body, {{"X-Hub-Signature-256", metaSignature(secret, body)}});
    }
    void deliver(const std::string& body) const {
        Response r = webhook(body);
        BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
    }

    void open(soci::session& sql) const {
        if (db.url().rfind("sqlite:", 0) == 0) sql.open(soci::sqlite3, "db=" + db.url().substr(7));
        else sql.open(soci::postgresql, parley::core::postgresKeywords(db.url()));
    }
    long long count(const std::string& sql_text) const {
        soci::session sql;
        open(sql);
        long long n = 0;
        sql << sql_text, soci::into(n);
        return n;
    }
    std::string text(const std::string& sql_text) const {
        soci::session sql;
        open(sql);
        std::string v;
        soci::indicator ind = soci::i_null;
        sql << sql_text, soci::into(v, ind);
        return ind == soci::i_ok ? v : "";
    }
    // Polls until `sql_text` counts at least `at_least` (10 s at most).
    long long waitForCount(const std::string& sql_text, long long at_least, int seconds = 10) const {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
        long long n = count(sql_text);
        while (n < at_least && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::yield();
            n = count(sql_text);
        }
        return n;
    }
    std::string conversationOf(const std::string& wa_id = kWaId) const {
        return text("SELECT id FROM conversations WHERE channel = 'whatsapp' AND visitor_id = '" + wa_id + "'");
    }
    // An agent's reply through the agent API; returns the stored message id.
    std::string agentReply(const std::string& conversation, const std::string& body_json) const {
        Response r = as(agent).post("/api/v1/agent/conversations/" + conversation + "/messages", body_json);
        BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
        return r.json()->getObject("message")->getValue<std::string>("id");
    }
    JsonObject delivery(const std::string& message_id) const {
        std::string payload = text("SELECT payload FROM messages WHERE id = '" + message_id + "'");
        auto p = parley::core::storedObject(payload);
        return p->getObject("delivery") ? p->getObject("delivery") : parley::core::jsonObject();
    }
    // Polls the message's delivery status until it is `status`.
    JsonObject waitForDelivery(const std::string& message_id, const std::string& status) const {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        JsonObject d = delivery(message_id);
        while (d->optValue<std::string>("status", "") != status && std::chrono::steady_clock::now() < deadline) d = delivery(message_id);
        BOOST_REQUIRE_MESSAGE(d->optValue<std::string>("status", "") == status,
                              "delivery of " + message_id + " is '" + d->optValue<std::string>("status", "") + "', not " + status);
        return d;
    }
};

JsonObject parseBody(const std::string& body) { return parley::core::parseJsonObject(body, 64); }

}  // namespace

BOOST_AUTO_TEST_SUITE(whatsapp)

BOOST_FIXTURE_TEST_CASE(handshake_answers_the_challenge_for_a_known_verify_token_and_403_otherwise, WaServer) {
    Client c(server.port());
    Response ok = c.get("/hooks/whatsapp?hub.mode=subscribe&hub.verify_token=verify-token-1&hub.challenge=1158201444");
    BOOST_TEST(ok.status == 200);
    BOOST_TEST(ok.body == "1158201444");
    BOOST_TEST(ok.header("content-type").find("text/plain") == 0u);
    Response wrong = c.get("/hooks/whatsapp?hub.mode=subscribe&hub.verify_token=nope-nope&hub.challenge=1");
    BOOST_TEST(wrong.status == 403);
    BOOST_TEST(wrong.errorCode() == "verification_failed");
    BOOST_TEST(c.get("/hooks/whatsapp?hub.mode=unsubscribe&hub.verify_token=verify-token-1&hub.challenge=1").status == 403);
    Response missing = c.get("/hooks/whatsapp?hub.mode=subscribe");
    BOOST_TEST(missing.status == 400);
    BOOST_TEST(missing.errorCode() == "invalid_request");
}

BOOST_FIXTURE_TEST_CASE(signatures_missing_401_wrong_403_one_byte_403_and_nothing_stored, WaServer) {
    std::string body = waFixture("meta_inbound_text.json");
    Client c(server.port());
    Response missing = c.post("/hooks/whatsapp", body);
    BOOST_TEST(missing.status == 401);
    BOOST_TEST(missing.errorCode() == "signature_missing");
    Response wrong = webhook(body, "another-secret");
    BOOST_TEST(wrong.status == 403);
    BOOST_TEST(wrong.errorCode() == "signature_mismatch");
    std::string changed = body;
    changed[changed.find("color")] = 'C';  // one byte, signature of the original
    Response one_byte = c.post("/hooks/whatsapp", changed, {{"X-Hub-Signature-256", metaSignature(kSecret, body)}});
    BOOST_TEST(one_byte.status == 403);
    BOOST_TEST(c.post("/hooks/whatsapp", body, {{"X-Hub-Signature-256", "sha256=zz"}}).status == 403);
    BOOST_TEST(count("SELECT COUNT(*) FROM messages") == 0);
    BOOST_TEST(count("SELECT COUNT(*) FROM conversations") == 0);
    // Signed but not JSON: a clear 400.
    Response junk = webhook("not json");
    BOOST_TEST(junk.status == 400);
    BOOST_TEST(junk.errorCode() == "invalid_json");
}

BOOST_FIXTURE_TEST_CASE(non_ascii_body_escaped_as_meta_sends_it_verifies_and_is_stored_decoded, WaServer) {
    // Meta signs the body with non-ASCII escaped as \uXXXX: the check runs over those raw bytes.
    std::string body = rewrite(waFixture("meta_inbound_text.json"),
                               {{"Does it come in another color?", "\\u00bfLo tienen en otro color? \\ud83d\\ude00"}});
    deliver(body);
    BOOST_TEST(text("SELECT text FROM messages WHERE client_message_id = '" + kTextWamid + "'") == "\xc2\xbfLo tienen en otro color? \xf0\x9f\x98\x80");
}

BOOST_FIXTURE_TEST_CASE(text_fixture_is_stored_as_a_text_message_in_a_whatsapp_conversation_with_the_contact, WaServer) {
    deliver(waFixture("meta_inbound_text.json"));
    BOOST_TEST(count("SELECT COUNT(*) FROM messages WHERE type = 'text' AND sender_type = 'visitor' AND text = 'Does it come in another color?'") == 1);
    std::string conversation = conversationOf();
    BOOST_REQUIRE(!conversation.empty());
    auto info = parley::core::storedObject(text("SELECT visitor_info FROM conversations WHERE id = '" + conversation + "'"));
    BOOST_TEST(info->getValue<std::string>("name") == "Sheena Nelson");
    BOOST_TEST(info->getValue<std::string>("phone") == "+16505551234");
    BOOST_TEST(text("SELECT widget_id FROM conversations WHERE id = '" + conversation + "'") == widget);
    // The agent API shows it like any conversation.
    Response list = as(agent).get("/api/v1/agent/conversations");
    BOOST_TEST(list.body.find(conversation) != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(image_fixture_is_stored_as_an_image_message_with_its_media, WaServer) {
    deliver(waFixture("meta_inbound_image.json"));
    auto payload = parley::core::storedObject(text("SELECT payload FROM messages WHERE type = 'image'"));
    BOOST_REQUIRE(payload->getObject("media"));
    BOOST_TEST(payload->getObject("media")->getValue<std::string>("id") == "1003383421387256");
    BOOST_TEST(text("SELECT text FROM messages WHERE type = 'image'") == "Taj Mahal");
}

// The image fixture's media id, and bytes that look like what their types claim (the file store sniffs them).
const std::string kImageMedia = "1003383421387256";
std::string jpegBytes(size_t size) {
    std::string b = "\xff\xd8\xff\xe0";
    b.resize(size, 'j');
    return b;
}
std::string mp4Bytes(size_t size) {
    std::string b("\x00\x00\x00\x18" "ftypmp42", 12);
    b.resize(size, 'v');
    return b;
}

BOOST_FIXTURE_TEST_CASE(inbound_image_is_fetched_through_graph_after_the_200_and_stored_with_its_type_and_size, WaServer) {
    graph.addMedia(kImageMedia, "image/jpeg", jpegBytes(5000));
    deliver(waFixture("meta_inbound_image.json"));
    std::string message = text("SELECT id FROM messages WHERE type = 'image'");
    BOOST_REQUIRE(!message.empty());
    BOOST_REQUIRE_MESSAGE(waitForCount("SELECT COUNT(*) FROM whatsapp_media WHERE status = 'stored'", 1) == 1,
                          text("SELECT error FROM whatsapp_media"));
    // Looked up with the number's token, then downloaded from the URL Graph named, with the same token.
    auto media = graph.mediaRequests();
    BOOST_REQUIRE(media.size() == 2u);
    BOOST_TEST(media[0].path == "/v21.0/" + kImageMedia);
    BOOST_TEST(media[1].path == "/media-download/" + kImageMedia);
    for (const auto& m : media) BOOST_TEST(m.authorization == "Bearer " + kToken);
    // The core's file store has it, linked from the message, served from the same download route as uploads.
    BOOST_TEST(count("SELECT COUNT(*) FROM files WHERE content_type = 'image/jpeg' AND size = 5000 AND uploaded_by = 'plugin:whatsapp'") == 1);
    auto payload = parley::core::storedObject(text("SELECT payload FROM messages WHERE id = '" + message + "'"));
    BOOST_REQUIRE(payload->getObject("file"));
    BOOST_TEST(payload->getObject("file")->getValue<std::string>("content_type") == "image/jpeg");
    BOOST_TEST(payload->getObject("file")->getValue<int>("size") == 5000);
    BOOST_TEST(payload->getObject("file")->getValue<std::string>("name") == "image-1003383421387256.jpg");
    BOOST_TEST(payload->getObject("media")->getValue<std::string>("id") == kImageMedia);  // what Meta said stays
    std::string url = payload->getObject("file")->getValue<std::string>("url");
    Response download = Client(server.port()).get(url.substr(url.find("/api/v1/files/")));
    BOOST_TEST(download.status == 200);
    BOOST_TEST(download.body == jpegBytes(5000));
    BOOST_TEST(download.header("content-type") == "image/jpeg");
    BOOST_TEST(text("SELECT file_id FROM whatsapp_media WHERE message_id = '" + message + "'") ==
               payload->getObject("file")->getValue<std::string>("id"));
    // The agent API shows the linked file.
    std::string conversation = conversationOf();
    Response messages = as(agent).get("/api/v1/agent/conversations/" + conversation + "/messages");
    BOOST_TEST(messages.body.find(payload->getObject("file")->getValue<std::string>("id")) != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(inbound_video_is_stored_as_video_mp4, WaServer) {
    graph.addMedia("vid-1", "video/mp4", mp4Bytes(3000));
    deliver(rewrite(waFixture("meta_inbound_image.json"), {{"\"type\": \"image\"", "\"type\": \"video\""},
                                                           {"\"image\": {", "\"video\": {"},
                                                           {"image/jpeg", "video/mp4"},
                                                           {kImageMedia, "vid-1"}}));
    BOOST_REQUIRE_MESSAGE(waitForCount("SELECT COUNT(*) FROM whatsapp_media WHERE status = 'stored'", 1) == 1,
                          text("SELECT error FROM whatsapp_media"));
    BOOST_TEST(count("SELECT COUNT(*) FROM files WHERE content_type = 'video/mp4' AND size = 3000") == 1);
    BOOST_TEST(text("SELECT type FROM messages WHERE client_message_id LIKE 'wamid.%'") == "video");
}

BOOST_FIXTURE_TEST_CASE(oversize_media_is_refused_and_recorded_without_being_downloaded, WaServer) {
    // Graph says 20 MiB: over the plugin's cap (16 MiB), so it is never downloaded.
    graph.addMedia(kImageMedia, "image/jpeg", jpegBytes(100), 20LL << 20);
    deliver(waFixture("meta_inbound_image.json"));
    BOOST_REQUIRE(waitForCount("SELECT COUNT(*) FROM whatsapp_media WHERE status = 'refused'", 1) == 1);
    auto error = parley::core::storedObject(text("SELECT error FROM whatsapp_media"));
    BOOST_TEST(error->getValue<std::string>("code") == "too_large");
    BOOST_TEST(count("SELECT size FROM whatsapp_media") == (20LL << 20));
    BOOST_TEST(graph.mediaRequests().size() == 1u);  // the look-up only
    BOOST_TEST(count("SELECT COUNT(*) FROM files") == 0);
    // Under the plugin's cap but over the widget's max_file_size: the host's file store refuses it the same way.
    Response patch = Client(server.port()).bearer(root_token).patch("/api/v1/tenants/" + tenant + "/widgets/" + widget,
                                                                    R"({"config":{"features":{"max_file_size":1000}}})");
    BOOST_REQUIRE_MESSAGE(patch.status == 200, patch.body);
    graph.addMedia("small-lie", "image/jpeg", jpegBytes(2000), 500);
    deliver(rewrite(waFixture("meta_inbound_image.json"), {{kImageMedia, "small-lie"}, {"ASGBQzQTRBNjU5", "ASGBQzQTRBNjU6"}}));
    BOOST_REQUIRE(waitForCount("SELECT COUNT(*) FROM whatsapp_media WHERE status = 'refused'", 2) == 2);
    auto second = parley::core::storedObject(text("SELECT error FROM whatsapp_media WHERE media_id = 'small-lie'"));
    BOOST_TEST(second->getValue<std::string>("code") == "too_large");
    BOOST_TEST(second->getValue<std::string>("message").find("limit is 1000") != std::string::npos);
    BOOST_TEST(count("SELECT COUNT(*) FROM files") == 0);
}

BOOST_FIXTURE_TEST_CASE(graph_errors_fail_the_media_with_metas_error_and_a_5xx_is_retried, WaServer) {
    // No such media on Graph: error 100, recorded as Meta sent it, not retried.
    deliver(waFixture("meta_inbound_image.json"));
    BOOST_REQUIRE(waitForCount("SELECT COUNT(*) FROM whatsapp_media WHERE status = 'failed'", 1) == 1);
    auto error = parley::core::storedObject(text("SELECT error FROM whatsapp_media"));
    BOOST_TEST(error->getValue<int>("code") == 100);
    BOOST_TEST(error->getValue<std::string>("type") == "GraphMethodException");
    BOOST_TEST(count("SELECT attempts FROM whatsapp_media") == 0);
    BOOST_TEST(graph.mediaRequests().size() == 1u);
    // The message is there all the same, with Meta's media description.
    auto payload = parley::core::storedObject(text("SELECT payload FROM messages WHERE type = 'image'"));
    BOOST_TEST(!payload->has("file"));
    // A 500 first: retried with back-off, then stored.
    graph.addMedia("retry-me", "image/jpeg", jpegBytes(64));
    graph.failNext(500, R"({"message":"An unknown error occurred","type":"OAuthException","code":1,"is_transient":true})");
    deliver(rewrite(waFixture("meta_inbound_image.json"), {{kImageMedia, "retry-me"}, {"ASGBQzQTRBNjU5", "ASGBQzQTRBNjU7"}}));
    BOOST_REQUIRE_MESSAGE(waitForCount("SELECT COUNT(*) FROM whatsapp_media WHERE status = 'stored'", 1) == 1,
                          text("SELECT error FROM whatsapp_media WHERE media_id = 'retry-me'"));
    BOOST_TEST(count("SELECT attempts FROM whatsapp_media WHERE media_id = 'retry-me'") == 1);
}

BOOST_FIXTURE_TEST_CASE(button_reply_fixture_is_stored_as_a_quick_reply, WaServer) {
    deliver(waFixture("meta_inbound_interactive_button_reply.json"));
    BOOST_TEST(text("SELECT text FROM messages WHERE type = 'quick_reply'") == "Cancel");
    auto payload = parley::core::storedObject(text("SELECT payload FROM messages WHERE type = 'quick_reply'"));
    BOOST_TEST(payload->getValue<std::string>("value") == "cancel-button");
}

BOOST_FIXTURE_TEST_CASE(concurrent_duplicate_deliveries_are_stored_once, WaServer) {
    std::string body = waFixture("meta_inbound_text.json");
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&] {
            if (webhook(body).status == 200) ++ok;
        });
    for (auto& t : threads) t.join();
    BOOST_TEST(ok.load() == 8);
    deliver(body);  // and once more, later
    BOOST_TEST(count("SELECT COUNT(*) FROM messages WHERE client_message_id = '" + kTextWamid + "'") == 1);
    BOOST_TEST(count("SELECT COUNT(*) FROM conversations") == 1);
}

BOOST_FIXTURE_TEST_CASE(multi_entry_payloads_store_every_message_and_unknown_fields_are_accepted, WaServer) {
    // Two entries and two changes, built from the fixtures' own text (the text fixture's entry, then the button one's).
    std::string text_fixture = waFixture("meta_inbound_text.json"), button = waFixture("meta_inbound_interactive_button_reply.json");
    auto entryOf = [](const std::string& f) {
        size_t start = f.find('[', f.find("\"entry\"")), end = f.rfind(']');
        return f.substr(start + 1, end - start - 1);
    };
    std::string body = "{\"object\":\"whatsapp_business_account\",\"entry\":[" + entryOf(text_fixture) + "," + entryOf(button) + "]}";
    deliver(body);
    BOOST_TEST(count("SELECT COUNT(*) FROM messages") == 2);
    BOOST_TEST(count("SELECT COUNT(*) FROM conversations") == 1);
    std::string unknown = rewrite(waFixture("meta_inbound_image.json"), {{"\"field\": \"messages\"", "\"field\": \"account_review_update\""}});
    Response r = webhook(unknown);
    BOOST_TEST(r.status == 200);
    BOOST_TEST(count("SELECT COUNT(*) FROM messages") == 2);
    // A message for a number nobody configured: accepted, not stored.
    std::string stranger = rewrite(waFixture("meta_inbound_image.json"), {{kNumber, "999999"}});
    BOOST_TEST(webhook(stranger).status == 200);
    BOOST_TEST(count("SELECT COUNT(*) FROM messages") == 2);
}

BOOST_FIXTURE_TEST_CASE(agent_reply_goes_out_and_statuses_out_of_order_end_at_read, WaServer) {
    deliver(freshText());
    std::string conversation = conversationOf();
    std::string message = agentReply(conversation, R"({"text":"Yes, in blue and red."})");
    BOOST_REQUIRE(graph.waitForCount(1));
    auto sent = graph.requests()[0];
    BOOST_TEST(sent.type == "text");
    BOOST_TEST(sent.to == kWaId);
    BOOST_TEST(sent.authorization == "Bearer " + kToken);
    BOOST_TEST(parseBody(sent.body)->getObject("text")->getValue<std::string>("body") == "Yes, in blue and red.");
    BOOST_TEST(graph.shapeErrors().empty());
    JsonObject d = waitForDelivery(message, "accepted");
    BOOST_TEST(d->getValue<std::string>("external_id") == sent.wamid);
    BOOST_TEST(count("SELECT COUNT(*) FROM whatsapp_sends WHERE graph_message_id = '" + sent.wamid + "' AND status = 'accepted'") == 1);
    // read before delivered, and no "sent" at all: read wins, the others only record their time.
    deliver(statusFor("pywa_status_read.json", sent.wamid));
    waitForDelivery(message, "read");
    deliver(statusFor("pywa_status_delivered.json", sent.wamid));
    deliver(statusFor("pywa_status_failed.json", sent.wamid));  // too late to fail a read message
    d = delivery(message);
    BOOST_TEST(d->getValue<std::string>("status") == "read");
    BOOST_TEST(d->has("delivered_at"));
    BOOST_TEST(d->has("read_at"));
    BOOST_TEST(count("SELECT COUNT(*) FROM whatsapp_sends WHERE graph_message_id = '" + sent.wamid + "' AND status = 'read'") == 1);
    BOOST_TEST(count("SELECT COUNT(*) FROM outbox_events WHERE name = 'message.status'") >= 2);
}

BOOST_FIXTURE_TEST_CASE(a_failed_status_records_its_error_on_the_message, WaServer) {
    deliver(freshText());
    std::string message = agentReply(conversationOf(), R"({"text":"Hello"})");
    BOOST_REQUIRE(graph.waitForCount(1));
    waitForDelivery(message, "accepted");
    deliver(statusFor("pywa_status_failed.json", graph.requests()[0].wamid));
    JsonObject d = waitForDelivery(message, "failed");
    BOOST_TEST(d->getObject("error")->getValue<int>("code") == 130472);
}

BOOST_FIXTURE_TEST_CASE(outside_the_24_hour_window_only_the_configured_template_goes, WaServer) {
    deliver(waFixture("meta_inbound_text.json"));  // its timestamp is long past: the window is closed
    std::string conversation = conversationOf();
    Response window = as(agent).get(api("/conversations/" + conversation + "/window"));
    BOOST_REQUIRE_MESSAGE(window.status == 200, window.body);
    BOOST_TEST(!window.json()->getValue<bool>("open"));
    std::string refused = agentReply(conversation, R"({"text":"Are you still there?"})");
    JsonObject d = waitForDelivery(refused, "failed");
    BOOST_TEST(d->getObject("error")->getValue<std::string>("code") == "outside_window");
    BOOST_TEST(graph.count() == 0u);
    Response patch = as(admin).patch(api("/numbers/" + kNumber), R"({"window_template":{"name":"follow_up","language":"en_US"}})");
    BOOST_REQUIRE_MESSAGE(patch.status == 200, patch.body);
    std::string templated = agentReply(conversation, R"({"text":"We have news for you"})");
    BOOST_REQUIRE(graph.waitForCount(1));
    BOOST_TEST(graph.requests()[0].type == "template");
    BOOST_TEST(parseBody(graph.requests()[0].body)->getObject("template")->getValue<std::string>("name") == "follow_up");
    waitForDelivery(templated, "accepted");
    // A fresh message from the customer opens it again.
    deliver(freshText("wamid.fresh-1"));
    BOOST_TEST(as(agent).get(api("/conversations/" + conversation + "/window")).json()->getValue<bool>("open"));
}

BOOST_FIXTURE_TEST_CASE(rate_limits_are_retried_with_back_off_and_permanent_errors_are_not, WaServer) {
    deliver(freshText());
    std::string conversation = conversationOf();
    graph.failNext(400, R"({"message":"Rate limit hit","type":"OAuthException","code":130429})", 2);
    std::string message = agentReply(conversation, R"({"text":"first"})");
    waitForDelivery(message, "accepted");
    BOOST_TEST(graph.count() == 3u);
    BOOST_TEST(count("SELECT attempts FROM whatsapp_sends WHERE id = '" + message + "'") == 3);
    graph.failNext(400, "{\"error_data\":{}, \"message\":\"Re-engagement message\",\"code\":131047}", 1);
    std::string second = agentReply(conversation, R"({"text":"second"})");
    JsonObject d = waitForDelivery(second, "failed");
    BOOST_TEST(d->getObject("error")->getValue<int>("code") == 131047);
    BOOST_TEST(count("SELECT attempts FROM whatsapp_sends WHERE id = '" + second + "'") == 1);
}

BOOST_AUTO_TEST_CASE(sends_keep_the_per_number_pace) {
    WaServer s(5);  // five a second: one every 200 ms
    s.deliver(freshText());
    std::string conversation = s.conversationOf();
    for (int i = 0; i < 6; ++i) s.agentReply(conversation, R"({"text":"message )" + std::to_string(i) + "\"}");
    BOOST_REQUIRE(s.graph.waitForCount(6, 20));
    auto requests = s.graph.requests();
    auto span = std::chrono::duration_cast<std::chrono::milliseconds>(requests[5].at - requests[0].at).count();
    // Five intervals of 200 ms between the first and the sixth; one interval of slack for the first request's set-up
    // (a lower bound only: a slow machine cannot make it fail, a missing pace does).
    BOOST_TEST(span >= 4 * 200, "6 sends took " << span << " ms; at 5/s they need about 1000 ms");
    for (size_t i = 0; i < requests.size(); ++i)  // and in commit order
        BOOST_TEST(parseBody(requests[i].body)->getObject("text")->getValue<std::string>("body") == "message " + std::to_string(i));
}

long long wallMicros() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

BOOST_AUTO_TEST_CASE(the_pace_lives_in_the_database_so_slots_another_node_claimed_hold_this_one_back) {
    WaServer s(5);  // one send every 200 ms
    s.deliver(freshText());
    std::string conversation = s.conversationOf();
    // Another node claimed the number's slots for the next 1.5 s (its row says so): this node must wait.
    {
        soci::session sql;
        s.open(sql);
        long long until = wallMicros() + 1500000;
        std::string number = kNumber;
        sql << "INSERT INTO whatsapp_send_pace (phone_number_id, next_at) VALUES (:1, :2) ON CONFLICT (phone_number_id) "
               "DO UPDATE SET next_at = excluded.next_at", soci::use(number), soci::use(until);
    }
    auto asked = std::chrono::steady_clock::now();
    s.agentReply(conversation, R"({"text":"after the other node"})");
    BOOST_REQUIRE(s.graph.waitForCount(1, 10));
    auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(s.graph.requests()[0].at - asked).count();
    BOOST_TEST(waited >= 1300, "the send went after " << waited << " ms; the other node held the slots for 1500 ms");
    // And this node's claim moved the shared row on by at least one interval past the other node's slots.
    BOOST_TEST(s.count("SELECT next_at FROM whatsapp_send_pace WHERE phone_number_id = '" + kNumber + "'") >= wallMicros() - 200000);
}

BOOST_AUTO_TEST_CASE(two_nodes_sending_for_one_number_keep_its_rate_together) {
    if (backendUnderTest() != "postgresql") {
        BOOST_TEST_MESSAGE("skipped on SQLite: a SQLite server is a single node");
        return;
    }
    WaServer s(5);  // 5 a second for the number, whatever the number of nodes
    Parleyd b(s.db,
              {{"PARLEY_PLUGINS", "whatsapp"},
               {"PARLEY_PLUGINS_PATH", std::string(PARLEY_BINARY_DIR) + "/plugins"},
               {"PARLEY_OUTBOUND_ALLOW_PRIVATE", "true"},
               {"PARLEY_LUA_SCRIPTS_DIR", WaServer::emptyScripts(s.db)}},
              WaServer::config(s.graph, 5));
    b.start();
    std::string csv = "phone\n";
    for (int i = 0; i < 12; ++i) csv += "+1555200" + std::to_string(1000 + i) + "\n";
    Response created = s.as(s.admin).post(WaServer::api("/broadcasts"), R"({"phone_number_id":")" + kNumber +
        R"(","name":"Both nodes","template":{"name":"restock","language":"en_US"},"csv":")" + rewrite(csv, {{"\n", "\\n"}}) + "\"}");
    BOOST_REQUIRE_MESSAGE(created.status == 201, created.body);
    BOOST_REQUIRE(s.graph.waitForCount(12, 20));
    auto requests = s.graph.requests();
    auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
    // Eleven intervals of 200 ms from the first send to the twelfth (two independent paces would take half).
    BOOST_TEST(ms(requests[11].at - requests[0].at) >= 11 * 200 * 9 / 10, "12 sends took " << ms(requests[11].at - requests[0].at) << " ms");
    long long closest = 1000000;
    for (size_t i = 1; i < requests.size(); ++i) closest = std::min<long long>(closest, ms(requests[i].at - requests[i - 1].at));
    BOOST_TEST(closest >= 80, "two sends only " << closest << " ms apart at 5 per second (slots are 200 ms apart, used at most 100 ms late)");
    std::map<std::string, int> received;
    for (const auto& r : requests) ++received[r.to];
    for (const auto& [to, n] : received) BOOST_TEST(n == 1, to);
}

BOOST_FIXTURE_TEST_CASE(error_190_marks_the_number_unhealthy_and_stops_its_broadcast_until_the_token_is_replaced, WaServer) {
    graph.expireTokenAfter(2);
    Response created = as(admin).post(api("/broadcasts"), R"({"phone_number_id":")" + kNumber + R"(","name":"Spring sale",)"
        R"("template":{"name":"spring_sale","language":"en_US","parameters":["{{name}}"]},)"
        R"("csv":"phone,name\n+15550000001,Ana\n+15550000002,Bo\nnot-a-number,X\n+15550000003,Cy\n+15550000004,Di\n+15550000005,Ed\n"})");
    BOOST_REQUIRE_MESSAGE(created.status == 201, created.body);
    BOOST_TEST(created.json()->getValue<int>("accepted") == 5);
    BOOST_TEST(created.json()->getArray("rejected")->getObject(0)->getValue<int>("row") == 4);
    std::string id = created.json()->getObject("broadcast")->getValue<std::string>("id");
    BOOST_REQUIRE(waitForCount("SELECT COUNT(*) FROM whatsapp_broadcasts WHERE status = 'stopped' AND stop_reason = 'token_expired'", 1) == 1);
    BOOST_TEST(graph.count() == 3u);  // two accepted, the third refused with 190, nothing after it
    auto numbers = as(admin).get(api("/numbers")).json()->getArray("numbers");
    BOOST_TEST(numbers->getObject(0)->getObject("health")->getValue<std::string>("token_state") == "expired");
    BOOST_TEST(!numbers->getObject(0)->getObject("health")->getValue<bool>("healthy"));
    BOOST_TEST(numbers->getObject(0)->getValue<std::string>("access_token").find(kToken) == std::string::npos);  // masked
    BOOST_TEST(as(admin).post(api("/broadcasts/" + id + "/resume"), "").status == 409);
    graph.setToken(kNumber, "token-2");
    BOOST_TEST(as(admin).patch(api("/numbers/" + kNumber), R"({"access_token":"token-2"})").status == 200);
    BOOST_TEST(as(admin).post(api("/broadcasts/" + id + "/resume"), "").status == 200);
    BOOST_REQUIRE(waitForCount("SELECT COUNT(*) FROM whatsapp_broadcasts WHERE status = 'completed'", 1) == 1);
    auto progress = as(admin).get(api("/broadcasts/" + id)).json();
    BOOST_TEST(progress->getObject("broadcast")->getObject("counts")->getValue<int>("accepted") == 5);
    std::map<std::string, int> accepted;
    for (const auto& r : graph.requests())
        if (r.status == 200) ++accepted[r.to];
    BOOST_TEST(accepted.size() == 5u);
    for (const auto& [to, n] : accepted) BOOST_TEST(n == 1, to);
    auto first = parseBody(graph.requests()[0].body)->getObject("template");
    BOOST_TEST(first->getArray("components")->getObject(0)->getArray("parameters")->getObject(0)->getValue<std::string>("text") == "Ana");
    BOOST_TEST(graph.shapeErrors().empty());
}

BOOST_FIXTURE_TEST_CASE(a_broadcast_to_contacts_by_tag_reaches_their_numbers_and_its_progress_is_pushed_live, WaServer) {
    std::string contacts = "/api/v1/tenants/" + tenant + "/contacts";
    for (const std::string body : {R"({"name":"Ana","phone":"+1 555 000 0001","tags":["vip"]})",
                                   R"({"name":"Bo","phone":"(+1) 555-000-0002","tags":["vip","newsletter"]})",
                                   R"({"name":"Cy","email":"cy@example.com","tags":["vip"]})",
                                   R"({"name":"Di","phone":"+15550000004","tags":["newsletter"]})"}) {
        Response r = as(admin).post(contacts, body);
        BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
    }
    // The panel's socket: a client admin's hello, no presence.
    auto ws = std::make_unique<WsClient>(server.port(), "/api/v1/realtime", std::map<std::string, std::string>{{"Authorization", "Bearer " + admin}});
    ws->send(frame({{"type", "hello"}, {"tenant_id", tenant}}));
    ws->nextOf("welcome");
    Response created = as(admin).post(api("/broadcasts"), R"({"phone_number_id":")" + kNumber + R"(","name":"VIP preview",)"
        R"("template":{"name":"vip_preview","language":"en_US","parameters":["{{name}}"]},"tag":"vip"})");
    BOOST_REQUIRE_MESSAGE(created.status == 201, created.body);
    BOOST_TEST(created.json()->getValue<int>("accepted") == 2);
    auto rejected = created.json()->getArray("rejected");
    BOOST_REQUIRE(rejected->size() == 1u);
    BOOST_TEST(rejected->getObject(0)->getValue<std::string>("reason").find("has no phone number") != std::string::npos);
    std::string id = created.json()->getObject("broadcast")->getValue<std::string>("id");
    // Pushed progress, ending with the broadcast completed and both sends accepted.
    JsonObject last;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int pushes = 0;
    do {
        JsonObject event = ws->nextOf("plugin_event");
        BOOST_TEST(event->getValue<std::string>("plugin") == "whatsapp");
        BOOST_TEST(event->getValue<std::string>("name") == "broadcast.progress");
        last = event->getObject("data")->getObject("broadcast");
        ++pushes;
    } while (last->getValue<std::string>("status") != "completed" && std::chrono::steady_clock::now() < deadline);
    BOOST_TEST(last->getValue<std::string>("id") == id);
    BOOST_TEST(last->getValue<std::string>("status") == "completed");
    BOOST_TEST(last->getObject("counts")->getValue<int>("accepted") == 2);
    BOOST_TEST(pushes >= 2);  // at creation, and at the end at least
    std::set<std::string> to;
    for (const auto& r : graph.requests()) to.insert(r.to);
    BOOST_TEST((to == std::set<std::string>{"15550000001", "15550000002"}));
    auto first = parseBody(graph.requests()[0].body)->getObject("template");
    std::string param = first->getArray("components")->getObject(0)->getArray("parameters")->getObject(0)->getValue<std::string>("text");
    BOOST_TEST((param == "Ana" || param == "Bo"));  // the contact's name fills {{name}}
    BOOST_TEST(graph.shapeErrors().empty());
    Response bad = as(admin).post(api("/broadcasts"), R"({"phone_number_id":")" + kNumber +
                                  R"(","name":"x","template":{"name":"t"},"tag":"nobody"})");
    BOOST_TEST(bad.status == 422);
    BOOST_TEST(bad.errorCode() == "invalid_recipients");
}

BOOST_AUTO_TEST_CASE(a_broadcast_killed_mid_way_resumes_after_restart_without_a_second_copy) {
    WaServer s(20);
    std::string csv = "phone\n";
    for (int i = 0; i < 40; ++i) csv += "+1555100" + std::to_string(1000 + i) + "\n";
    Response created = s.as(s.admin).post(WaServer::api("/broadcasts"), R"({"phone_number_id":")" + kNumber +
        R"(","name":"Restock","template":{"name":"restock","language":"en_US"},"csv":")" + rewrite(csv, {{"\n", "\\n"}}) + "\"}");
    BOOST_REQUIRE_MESSAGE(created.status == 201, created.body);
    BOOST_REQUIRE(s.graph.waitForCount(8));
    s.server.kill9();
    size_t before = s.graph.count();
    BOOST_TEST(before < 40u);
    s.server.start();
    BOOST_REQUIRE(s.waitForCount("SELECT COUNT(*) FROM whatsapp_broadcasts WHERE status = 'completed'", 1, 20) == 1);
    std::map<std::string, int> received;
    for (const auto& r : s.graph.requests()) ++received[r.to];
    for (const auto& [to, n] : received) BOOST_TEST(n == 1, to << " received " << n << " copies");
    long long accepted = s.count("SELECT COUNT(*) FROM whatsapp_sends WHERE status = 'accepted'");
    long long interrupted = s.count("SELECT COUNT(*) FROM whatsapp_sends WHERE status = 'interrupted'");
    BOOST_TEST(accepted + interrupted == 40);
    BOOST_TEST(interrupted <= 1);
    BOOST_TEST(static_cast<long long>(received.size()) >= accepted);
}

BOOST_FIXTURE_TEST_CASE(a_keyword_flow_asks_with_buttons_and_branches_on_the_tap, WaServer) {
    std::string flow = R"({"widget_id":")" + widget + R"(","definition":{"name":"Orders","trigger":{"keywords":["color"]},"start":"ask",)"
        R"("nodes":{"ask":{"type":"ask","text":"Hi {{name}}! Which color?","options":["Blue","Red"],"save_as":"color","next":"route"},)"
        R"("route":{"type":"branch","variable":"color","cases":[{"equals":"blue","next":"blue"}],"default":"human"},)"
        R"("blue":{"type":"end","text":"Blue it is."},"human":{"type":"handoff","text":"A colleague will help."}}}})";
    Response bad = as(admin).post(api("/flows"), rewrite(flow, {{"\"next\":\"blue\"", "\"next\":\"bleu\""}}));
    BOOST_TEST(bad.status == 422);
    BOOST_TEST(bad.json()->getObject("error")->getArray("details")->getObject(0)->getValue<std::string>("path") == "nodes.route.cases[0].next");
    Response saved = as(admin).post(api("/flows"), flow);
    BOOST_REQUIRE_MESSAGE(saved.status == 201, saved.body);
    deliver(freshText());  // "Does it come in another color?"
    BOOST_REQUIRE(graph.waitForCount(1));
    auto ask = parseBody(graph.requests()[0].body);
    BOOST_TEST(ask->getValue<std::string>("type") == "interactive");
    BOOST_TEST(ask->getObject("interactive")->getObject("body")->getValue<std::string>("text") == "Hi Sheena Nelson! Which color?");
    BOOST_TEST(ask->getObject("interactive")->getObject("action")->getArray("buttons")->size() == 2u);
    std::string tap = rewrite(waFixture("meta_inbound_interactive_button_reply.json"),
                              {{"\"cancel-button\"", "\"Blue\""}, {"\"Cancel\"", "\"Blue\""}});
    deliver(tap);
    BOOST_REQUIRE(graph.waitForCount(2));
    BOOST_TEST(parseBody(graph.requests()[1].body)->getObject("text")->getValue<std::string>("body") == "Blue it is.");
    BOOST_TEST(count("SELECT COUNT(*) FROM whatsapp_flow_sessions") == 0);
    BOOST_TEST(graph.shapeErrors().empty());
}

BOOST_FIXTURE_TEST_CASE(a_whatsapp_user_and_an_agent_in_the_inbox_talk_end_to_end, WaServer) {
    auto ws = std::make_unique<WsClient>(server.port(), "/api/v1/realtime", std::map<std::string, std::string>{{"Authorization", "Bearer " + agent}});
    ws->send(frame({{"type", "hello"}, {"tenant_id", tenant}}));
    ws->nextOf("welcome");
    deliver(freshText());
    JsonObject incoming = ws->nextOf("message")->getObject("message");
    BOOST_TEST(incoming->getValue<std::string>("text") == "Does it come in another color?");
    std::string conversation = incoming->getValue<std::string>("conversation_id");
    // The agent answers over the socket; WhatsApp gets it, its status comes back to the inbox live.
    JsonObject reply = frame({{"type", "message"}, {"conversation_id", conversation}, {"text", "Yes: blue and red."}, {"client_message_id", "agent-1"}});
    ws->send(reply);
    BOOST_REQUIRE(graph.waitForCount(1));
    BOOST_TEST(parseBody(graph.requests()[0].body)->getObject("text")->getValue<std::string>("body") == "Yes: blue and red.");
    std::string message = text("SELECT id FROM messages WHERE client_message_id = 'agent-1'");
    waitForDelivery(message, "accepted");
    deliver(statusFor("pywa_status_delivered.json", graph.requests()[0].wamid));
    JsonObject status;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    do {
        status = ws->nextOf("message_status");
    } while (status->getObject("delivery")->getValue<std::string>("status") != "delivered" && std::chrono::steady_clock::now() < deadline);
    BOOST_TEST(status->getValue<std::string>("message_id") == message);
    BOOST_TEST(status->getObject("delivery")->getValue<std::string>("status") == "delivered");
    // The customer writes again: the agent sees it.
    deliver(freshText("wamid.second", "Great, I'll take blue"));
    JsonObject next;
    do {
        next = ws->nextOf("message")->getObject("message");  // the agent's own reply comes by first
    } while (next->getValue<std::string>("sender_type") != "visitor");
    BOOST_TEST(next->getValue<std::string>("text") == "Great, I'll take blue");
    // Opening the conversation marks the customer's last message read, with a typing indicator.
    Response read = as(agent).post(api("/conversations/" + conversation + "/read"), "");
    BOOST_REQUIRE_MESSAGE(read.status == 202, read.body);
    BOOST_REQUIRE(graph.waitForCount(2));
    auto receipt = parseBody(graph.requests()[1].body);
    BOOST_TEST(receipt->getValue<std::string>("message_id") == "wamid.second");
    BOOST_TEST(receipt->getObject("typing_indicator")->getValue<std::string>("type") == "text");
}

BOOST_FIXTURE_TEST_CASE(admin_api_refuses_bad_input_with_clear_errors, WaServer) {
    Response dup = as(admin).post(api("/numbers"), R"({"phone_number_id":")" + kNumber + R"(","business_account_id":"1","display_number":"x",)"
                                  R"("widget_id":")" + widget + R"(","app_secret":"s","access_token":"t"})");
    BOOST_TEST(dup.status == 409);
    BOOST_TEST(dup.errorCode() == "number_exists");
    BOOST_TEST(as(admin).post(api("/numbers"), "nope").errorCode() == "invalid_json");
    Response no_widget = as(admin).post(api("/numbers"), R"({"phone_number_id":"1","business_account_id":"1","display_number":"x",)"
                                        R"("widget_id":"00000000-0000-4000-8000-000000000000","app_secret":"s","access_token":"t"})");
    BOOST_TEST(no_widget.status == 422);
    BOOST_TEST(no_widget.body.find("widget_id") != std::string::npos);
    BOOST_TEST(as(agent).post(api("/numbers"), "{}").status == 403);
    Response bad_csv = as(admin).post(api("/broadcasts"), R"({"phone_number_id":")" + kNumber +
                                      R"(","name":"x","template":{"name":"t"},"csv":"phone\n12345\n"})");
    BOOST_TEST(bad_csv.status == 422);
    BOOST_TEST(bad_csv.errorCode() == "invalid_recipients");
    BOOST_TEST(as(admin).get(api("/broadcasts/not-a-uuid")).status == 404);
    BOOST_TEST(Client(server.port()).bearer(admin).get(api("/numbers")).errorCode() == "tenant_required");
    auto listed = as(admin).get(api("/numbers")).json()->getArray("numbers")->getObject(0);
    BOOST_TEST(listed->getValue<std::string>("app_secret") == "****cret");  // the last four, no more
    BOOST_TEST(listed->getValue<std::string>("verify_token").find("verify-token-1") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

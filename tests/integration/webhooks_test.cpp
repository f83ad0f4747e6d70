// crm_webhooks end to end: a real parleyd with the plugin, real conversations, and a Node receiver that
// verifies every delivery with the standardwebhooks package's own verifier; faults (receiver down, kill -9,
// hanging receiver, 410 Gone), the n8n-style automation bridge, and every admin API error.
#include "fixtures.hpp"
#include "store/database.hpp"

#include <Poco/File.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <chrono>
#include <cstdlib>
#include <set>

using namespace parley::test;

namespace {

const std::string kOrigin = "https://shop.example.com";
const std::string kReceiverDir = std::string(PARLEY_SOURCE_DIR) + "/tests/integration/webhooks";

// The Node receiver (receiver.js), with its npm dependency installed on first use.
class NodeReceiver {
public:
    NodeReceiver() {
        if (!Poco::File(kReceiverDir + "/node_modules/standardwebhooks").exists()) {
            int rc = std::system(("cd '" + kReceiverDir + "' && npm install --no-audit --no-fund >/dev/null 2>&1").c_str());
            BOOST_REQUIRE_MESSAGE(rc == 0, "npm install in " + kReceiverDir + " failed");
        }
        Poco::Pipe out;
        handle_ = std::make_unique<Poco::ProcessHandle>(
            Poco::Process::launch("node", {kReceiverDir + "/receiver.js"}, kReceiverDir, nullptr, &out, nullptr));
        Poco::PipeInputStream in(out);
        std::string word;
        in >> word >> port_;
        BOOST_REQUIRE_MESSAGE(word == "listening" && port_ > 0, "the Node receiver did not start");
    }
    ~NodeReceiver() {
        Poco::Process::kill(*handle_);
        handle_->wait();
    }
    std::string url(const std::string& name, const std::string& kind = "hook") const {
        return "http://127.0.0.1:" + std::to_string(port_) + "/" + kind + "/" + name;
    }
    void control(const std::string& name, const std::string& json_body) const {
        BOOST_REQUIRE(Client(port_).post("/_control/" + name, json_body).status == 200);
    }
    JsonArray log(const std::string& name) const {
        Response r = Client(port_).get("/_log/" + name);
        Poco::JSON::Parser parser;
        return parser.parse(r.body).extract<JsonArray>();
    }

private:
    std::unique_ptr<Poco::ProcessHandle> handle_;
    int port_ = 0;
};

std::string pluginPath() { return std::string(PARLEY_BINARY_DIR) + "/plugins"; }

// parleyd with crm_webhooks, fast retries, private targets allowed (the receiver is on loopback).
struct WebhookServer {
    TestDatabase db;
    std::unique_ptr<Parleyd> server;
    std::string root_token, tenant, widget_id, key;
    NodeReceiver receiver;

    explicit WebhookServer(const std::string& plugin_settings = "") {
        std::string settings = plugin_settings.empty()
                                   ? R"({"retry_schedule":"100ms,150ms,200ms,250ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms",
                                        "attempt_timeout_ms":700,"poll_interval_ms":20,"failing_after":3})"
                                   : plugin_settings;
        std::string scripts = db.dataDir() + "/scripts";  // no Lua rules: only the messages the test sends
        Poco::File(scripts).createDirectories();
        server = std::make_unique<Parleyd>(
            db,
            std::map<std::string, std::string>{{"PARLEY_PLUGINS", "crm_webhooks"},
                                               {"PARLEY_PLUGINS_PATH", pluginPath()},
                                               {"PARLEY_OUTBOUND_ALLOW_PRIVATE", "true"},
                                               {"PARLEY_OUTBOX_POLL_INTERVAL_MS", "10"},
                                               {"PARLEY_OUTBOX_RETRY_BASE_MS", "50"},
                                               {"PARLEY_LUA_SCRIPTS_DIR", scripts}},
            R"({"plugins":{"crm_webhooks":)" + settings + "}}");
        server->start();
        root_token = server->superAdminToken();
        tenant = root().post("/api/v1/tenants", R"({"name":"Acme"})").json()->getValue<std::string>("id");
        JsonObject w = root().post("/api/v1/tenants/" + tenant + "/widgets",
                                   R"({"name":"Shop","allowed_domains":["shop.example.com"]})").json();
        widget_id = w->getValue<std::string>("id");
        key = w->getValue<std::string>("public_key");
    }
    Client root() const { return Client(server->port()).bearer(root_token); }
    Client admin() const { return root().header("X-Parley-Tenant", tenant); }
    std::string api(const std::string& path) const { return "/api/v1/plugins/crm_webhooks" + path; }

    // Creates an endpoint for the receiver `name`, hands its secret to the receiver; returns the endpoint JSON.
    JsonObject endpoint(const std::string& name, const std::string& events = R"(["*"])", const std::string& extra = "") {
        Response r = admin().post(api("/endpoints"), R"({"url":")" + receiver.url(name) + R"(","events":)" + events + extra + "}");
        BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
        receiver.control(name, R"({"secret":")" + r.json()->getValue<std::string>("secret") + R"("})");
        return r.json();
    }

    Client visitor() const { return Client(server->port()).header("Origin", kOrigin); }
    std::string base() const { return "/api/v1/widgets/" + key + "/conversations"; }
    std::pair<std::string, std::string> startConversation() const {
        Response r = visitor().post(base(), R"({"visitor_id":"v_1","session_id":"s_1","visitor_info":{"name":"Ana"},
            "context":{"page_url":"https://shop.example.com/pricing","utm":{"source":"google","campaign":"spring"}}})");
        BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
        return {r.json()->getObject("conversation")->getValue<std::string>("id"), r.json()->getValue<std::string>("visitor_token")};
    }
    void send(const std::pair<std::string, std::string>& c, const std::string& text) const {
        Response r = visitor().post(base() + "/" + c.first + "/messages", R"({"text":")" + text + R"("})",
                                    {{"X-Visitor-Token", c.second}});
        BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
    }
    long long count(const std::string& sql_text) const {
        soci::session sql;
        if (db.url().rfind("sqlite:", 0) == 0) sql.open(soci::sqlite3, "db=" + db.url().substr(7));
        else sql.open(soci::postgresql, parley::core::postgresKeywords(db.url()));
        long long n = 0;
        sql << sql_text, soci::into(n);
        return n;
    }
};

// Receiver log entries that are not test pings.
std::vector<JsonObject> events(const JsonArray& log) {
    std::vector<JsonObject> out;
    for (size_t i = 0; i < log->size(); ++i) {
        JsonObject e = log->getObject(static_cast<unsigned>(i));
        if (!e->isNull("type") && e->getValue<std::string>("type") != "webhook.test") out.push_back(e);
    }
    return out;
}

// Polls until `done()` or 15 s pass; returns done().
template <typename Fn>
bool waitFor(Fn&& done, int seconds = 15) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::yield();
    }
    return true;
}

// Distinct webhook-ids of message.created deliveries per conversation, in arrival order of first sight.
std::map<std::string, std::vector<std::string>> messageTextsByConversation(const std::vector<JsonObject>& log) {
    std::map<std::string, std::vector<std::string>> out;
    std::set<std::string> seen;
    for (const auto& e : log) {
        if (e->getValue<std::string>("type") != "message.created" || !seen.insert(e->getValue<std::string>("id")).second) continue;
        JsonObject message = e->getObject("body")->getObject("data")->getObject("message");
        out[message->getValue<std::string>("conversation_id")].push_back(message->getValue<std::string>("text"));
    }
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(webhooks)

BOOST_FIXTURE_TEST_CASE(every_delivery_from_a_real_conversation_verifies_with_the_standardwebhooks_package, WebhookServer) {
    JsonObject created = endpoint("crm");
    BOOST_TEST(created->getValue<std::string>("secret").rfind("whsec_", 0) == 0u);
    BOOST_TEST(created->getObject("test")->getValue<bool>("ok"));  // tested on save, result at once
    auto c = startConversation();
    send(c, "hello");
    send(c, "what does it cost?");
    BOOST_REQUIRE(waitFor([&] { return events(receiver.log("crm")).size() >= 3; }));
    auto log = events(receiver.log("crm"));
    std::vector<std::string> types;
    for (const auto& e : log) {
        types.push_back(e->getValue<std::string>("type"));
        BOOST_TEST(e->getValue<bool>("verified"), "not verified: " << (e->isNull("error") ? "" : e->getValue<std::string>("error")));
        BOOST_TEST(e->getValue<std::string>("id").rfind("msg_", 0) == 0u);
    }
    BOOST_TEST(types == (std::vector<std::string>{"conversation.started", "message.created", "message.created"}),
               boost::test_tools::per_element());
    // The context a CRM needs comes along: UTM, page, visitor.
    JsonObject conversation = log[1]->getObject("body")->getObject("data")->getObject("conversation");
    BOOST_TEST(conversation->getObject("context")->getObject("utm")->getValue<std::string>("campaign") == "spring");
    BOOST_TEST(conversation->getObject("context")->getValue<std::string>("page_url") == "https://shop.example.com/pricing");
    BOOST_TEST(conversation->getObject("visitor")->getValue<std::string>("name") == "Ana");
    // The secret is shown once: never again on reads.
    Response read = admin().get(api("/endpoints/" + created->getValue<std::string>("id")));
    BOOST_TEST(read.status == 200);
    BOOST_TEST(read.body.find("whsec_") == std::string::npos);
    BOOST_TEST(read.json()->getObject("health")->getValue<std::string>("state") == "healthy");
}

BOOST_FIXTURE_TEST_CASE(a_rotated_secret_and_the_previous_one_both_verify_during_the_overlap, WebhookServer) {
    JsonObject created = endpoint("old");
    std::string id = created->getValue<std::string>("id");
    Response rotated = admin().post(api("/endpoints/" + id + "/rotate-secret"), R"({"overlap_seconds":3600})");
    BOOST_REQUIRE_MESSAGE(rotated.status == 200, rotated.body);
    std::string fresh = rotated.json()->getValue<std::string>("secret");
    BOOST_TEST(fresh != created->getValue<std::string>("secret"));
    BOOST_TEST(!rotated.json()->isNull("previous_secret_expires_at"));
    auto c = startConversation();  // the receiver still holds the old secret
    BOOST_REQUIRE(waitFor([&] { return !events(receiver.log("old")).empty(); }));
    BOOST_TEST(events(receiver.log("old"))[0]->getValue<bool>("verified"));
    receiver.control("old", R"({"secret":")" + fresh + R"("})");
    send(c, "after rotation");
    BOOST_REQUIRE(waitFor([&] { return events(receiver.log("old")).size() >= 2; }));
    BOOST_TEST(events(receiver.log("old"))[1]->getValue<bool>("verified"));
}

BOOST_FIXTURE_TEST_CASE(a_receiver_down_then_back_gets_everything_in_order_per_conversation_once_per_id, WebhookServer) {
    endpoint("flaky", R"(["message.created"])");
    receiver.control("flaky", R"({"mode":"down"})");
    auto a = startConversation(), b = startConversation();
    for (int i = 0; i < 5; ++i) {
        send(a, "a" + std::to_string(i));
        send(b, "b" + std::to_string(i));
    }
    // It fails, and every failure is logged with its status.
    BOOST_REQUIRE(waitFor([&] { return count("SELECT COUNT(*) FROM crm_webhooks_error WHERE status = 503") >= 4; }));
    Response errors = admin().get(api("/errors"));
    BOOST_TEST(errors.status == 200);
    BOOST_TEST(errors.json()->getArray("errors")->getObject(0)->getValue<std::string>("response_excerpt").find("maintenance") !=
               std::string::npos);
    receiver.control("flaky", R"({"mode":"ok"})");
    BOOST_REQUIRE(waitFor([&] { return count("SELECT COUNT(*) FROM crm_webhooks_delivery WHERE state = 'delivered'") == 10; }, 30));
    auto log = events(receiver.log("flaky"));
    for (const auto& e : log) BOOST_TEST(e->getValue<bool>("verified"));
    auto texts = messageTextsByConversation(log);
    BOOST_TEST(texts[a.first] == (std::vector<std::string>{"a0", "a1", "a2", "a3", "a4"}), boost::test_tools::per_element());
    BOOST_TEST(texts[b.first] == (std::vector<std::string>{"b0", "b1", "b2", "b3", "b4"}), boost::test_tools::per_element());
    // Accepted once per webhook-id: every id the receiver said 200 to, it heard exactly once.
    std::map<std::string, int> accepted;
    for (const auto& e : log)
        if (e->getValue<std::string>("mode") == "ok") accepted[e->getValue<std::string>("id")]++;
    BOOST_TEST(accepted.size() == 10u);
    for (const auto& [id, n] : accepted) BOOST_TEST(n == 1, id);
}

// A cap of 2 requests per endpoint and more sender threads than that.
struct CappedWebhookServer : WebhookServer {
    CappedWebhookServer()
        : WebhookServer(R"({"retry_schedule":"100ms,150ms,200ms","attempt_timeout_ms":2000,"poll_interval_ms":20,
                            "max_concurrency_per_endpoint":2,"workers":8})") {}
};

BOOST_FIXTURE_TEST_CASE(a_burst_to_a_slow_receiver_keeps_the_cap_and_the_order_per_conversation, CappedWebhookServer) {
    endpoint("slow", R"(["message.created"])");
    receiver.control("slow", R"({"delay_ms":60})");
    std::vector<std::pair<std::string, std::string>> conversations;
    for (int i = 0; i < 4; ++i) conversations.push_back(startConversation());
    for (int n = 0; n < 5; ++n)
        for (int i = 0; i < 4; ++i) send(conversations[i], "c" + std::to_string(i) + "-" + std::to_string(n));
    BOOST_REQUIRE(waitFor([&] { return count("SELECT COUNT(*) FROM crm_webhooks_delivery WHERE state = 'delivered'") == 20; }, 30));
    auto log = events(receiver.log("slow"));
    int most = 0;
    for (const auto& e : log) most = std::max(most, e->getValue<int>("in_flight"));
    BOOST_TEST(most <= 2);  // claimed in the subscription's transaction or by the bookkeeper, the cap holds
    BOOST_TEST(log.size() == 20u);
    auto texts = messageTextsByConversation(log);
    for (int i = 0; i < 4; ++i) {
        std::vector<std::string> expected;
        for (int n = 0; n < 5; ++n) expected.push_back("c" + std::to_string(i) + "-" + std::to_string(n));
        BOOST_TEST(texts[conversations[i].first] == expected, boost::test_tools::per_element());
    }
}

BOOST_FIXTURE_TEST_CASE(parleyd_killed_with_deliveries_pending_loses_nothing_after_a_restart, WebhookServer) {
    endpoint("crm", R"(["message.created"])");
    receiver.control("crm", R"({"mode":"down"})");
    auto c = startConversation();
    for (int i = 0; i < 8; ++i) send(c, "m" + std::to_string(i));
    BOOST_REQUIRE(waitFor([&] { return count("SELECT COUNT(*) FROM crm_webhooks_delivery") == 8; }));
    server->kill9();
    receiver.control("crm", R"({"mode":"ok"})");
    server->start();
    BOOST_REQUIRE(waitFor([&] { return count("SELECT COUNT(*) FROM crm_webhooks_delivery WHERE state = 'delivered'") == 8; }, 30));
    auto texts = messageTextsByConversation(events(receiver.log("crm")));
    BOOST_TEST(texts[c.first] == (std::vector<std::string>{"m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7"}),
               boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(events_committed_just_before_kill_9_are_delivered_after_the_restart, WebhookServer) {
    endpoint("crm", R"(["message.created"])");
    auto c = startConversation();
    // Stop the dispatcher from keeping up: kill right after the acknowledgements.
    for (int i = 0; i < 20; ++i) send(c, "k" + std::to_string(i));
    server->kill9();
    server->start();
    BOOST_REQUIRE(waitFor([&] { return messageTextsByConversation(events(receiver.log("crm")))[c.first].size() == 20; }, 30));
    auto texts = messageTextsByConversation(events(receiver.log("crm")))[c.first];
    for (int i = 0; i < 20; ++i) BOOST_TEST(texts[static_cast<size_t>(i)] == "k" + std::to_string(i));
}

BOOST_FIXTURE_TEST_CASE(a_hanging_receiver_times_out_and_other_endpoints_are_unaffected, WebhookServer) {
    endpoint("slow", R"(["message.created"])");
    endpoint("fast", R"(["message.created"])");
    receiver.control("slow", R"({"mode":"hang"})");
    auto c = startConversation();
    for (int i = 0; i < 5; ++i) send(c, "x" + std::to_string(i));
    BOOST_REQUIRE(waitFor([&] { return events(receiver.log("fast")).size() == 5; }));
    BOOST_REQUIRE(waitFor([&] { return count("SELECT COUNT(*) FROM crm_webhooks_error WHERE status IS NULL") >= 1; }));
    Response errors = admin().get(api("/errors"));
    std::string first = errors.json()->getArray("errors")->getObject(0)->getValue<std::string>("error");
    BOOST_TEST(first.find("imeout") != std::string::npos, first);
    BOOST_TEST(errors.json()->getArray("errors")->getObject(0)->getValue<long long>("latency_ms") >= 600);
}

BOOST_FIXTURE_TEST_CASE(a_410_gone_disables_the_endpoint_with_its_reason, WebhookServer) {
    std::string id = endpoint("gone", R"(["message.created"])")->getValue<std::string>("id");
    receiver.control("gone", R"({"mode":"gone"})");
    auto c = startConversation();
    send(c, "anyone there?");
    BOOST_REQUIRE(waitFor([&] { return count("SELECT COUNT(*) FROM crm_webhooks_endpoint WHERE enabled = 0") == 1; }));
    JsonObject e = admin().get(api("/endpoints/" + id)).json();
    BOOST_TEST(!e->getValue<bool>("enabled"));
    BOOST_TEST(e->getValue<std::string>("disabled_reason").find("410 Gone") != std::string::npos);
    BOOST_TEST(e->getObject("health")->getValue<std::string>("state") == "disabled");
    // Its delivery is dead-lettered, and can be replayed once the endpoint is back.
    JsonArray dead = admin().get(api("/endpoints/" + id + "/deliveries?state=dead")).json()->getArray("deliveries");
    BOOST_REQUIRE(dead->size() == 1u);
    receiver.control("gone", R"({"mode":"ok"})");
    BOOST_TEST(admin().patch(api("/endpoints/" + id), R"({"enabled":true})").status == 200);
    long long delivery = dead->getObject(0)->getValue<long long>("delivery_id");
    BOOST_TEST(admin().post(api("/deliveries/" + std::to_string(delivery) + "/replay"), "").status == 202);
    BOOST_REQUIRE(waitFor([&] { return count("SELECT COUNT(*) FROM crm_webhooks_delivery WHERE state = 'delivered'") == 1; }));
}

BOOST_FIXTURE_TEST_CASE(deliveries_past_the_schedule_are_dead_lettered_and_replayed_by_hand, WebhookServer) {
    // A short schedule: two retries, then the dead letter.
    std::string id = endpoint("dead", R"(["message.created"])")->getValue<std::string>("id");
    receiver.control("dead", R"({"mode":"down"})");
    auto c = startConversation();
    send(c, "lost?");
    BOOST_REQUIRE(waitFor([&] { return count("SELECT COUNT(*) FROM crm_webhooks_delivery WHERE state = 'dead'") == 1; }, 30));
    receiver.control("dead", R"({"mode":"ok"})");
    Response replay = admin().post(api("/endpoints/" + id + "/replay"), "");
    BOOST_TEST(replay.json()->getValue<int>("replayed") == 1);
    BOOST_REQUIRE(waitFor([&] { return count("SELECT COUNT(*) FROM crm_webhooks_delivery WHERE state = 'delivered'") == 1; }));
    JsonObject health = admin().get(api("/endpoints/" + id)).json()->getObject("health");
    BOOST_TEST(health->getValue<std::string>("state") == "healthy");
}

BOOST_FIXTURE_TEST_CASE(the_legacy_format_signs_the_body_in_a_signature_header, WebhookServer) {
    endpoint("legacy", R"(["conversation.started"])", R"(,"format":"legacy")");
    startConversation();
    BOOST_REQUIRE(waitFor([&] { return !events(receiver.log("legacy")).empty(); }));
    JsonObject e = events(receiver.log("legacy"))[0];
    BOOST_TEST(e->getValue<std::string>("type") == "chat_opened");
    BOOST_TEST(e->getValue<std::string>("legacy_signature").size() == 64u);
    BOOST_TEST(e->getObject("body")->getObject("utm")->getValue<std::string>("source") == "google");
    BOOST_TEST(e->getObject("body")->getObject("page")->getValue<std::string>("host") == "shop.example.com");
}

BOOST_FIXTURE_TEST_CASE(the_automation_bridge_posts_the_workflow_reply_and_falls_back_when_it_is_slow_or_failing,
                        WebhookServer) {
    Response put = admin().request("PUT", api("/automations/" + widget_id),
                                   R"({"url":")" + receiver.url("flow", "n8n") + R"(","timeout_ms":500,"fallback_text":"We'll get back to you."})");
    BOOST_REQUIRE_MESSAGE(put.status == 201, put.body);
    receiver.control("flow", R"({"secret":")" + put.json()->getValue<std::string>("secret") + R"(","reply":{"reply":"Plans start at 9 EUR.","quick_replies":["Buy","Talk to a human"]}})");
    auto c = startConversation();
    auto history = [&] {
        Response r = visitor().get(base() + "/" + c.first + "/messages", {{"X-Visitor-Token", c.second}});
        return r.json()->getArray("messages");
    };
    // Polls the database, not the public API (which is rate limited per IP).
    auto stored = [&] { return count("SELECT COUNT(*) FROM messages WHERE conversation_id = '" + c.first + "'"); };
    send(c, "how much?");
    BOOST_REQUIRE(waitFor([&] { return stored() == 2; }));
    JsonObject reply = history()->getObject(1);
    BOOST_TEST(reply->getValue<std::string>("sender_type") == "bot");
    BOOST_TEST(reply->getValue<std::string>("text") == "Plans start at 9 EUR.");
    JsonArray log = receiver.log("flow");
    BOOST_TEST(log->getObject(0)->getValue<bool>("verified"));  // signed like the webhooks
    JsonObject request = log->getObject(0)->getObject("body");
    BOOST_TEST(request->getObject("message")->getValue<std::string>("text") == "how much?");
    BOOST_TEST(request->getObject("utm")->getValue<std::string>("source") == "google");
    BOOST_TEST(request->getArray("history")->size() >= 1u);
    // Slow: the fallback is posted instead.
    receiver.control("flow", R"({"delay_ms":2000})");
    send(c, "still there?");
    BOOST_REQUIRE(waitFor([&] { return stored() == 4; }));
    BOOST_TEST(history()->getObject(3)->getValue<std::string>("text") == "We'll get back to you.");
    // Failing: the same.
    receiver.control("flow", R"({"delay_ms":0,"status":500,"reply":{"error":"workflow crashed"}})");
    send(c, "hello?");
    BOOST_REQUIRE(waitFor([&] { return stored() == 6; }));
    BOOST_TEST(history()->getObject(5)->getValue<std::string>("text") == "We'll get back to you.");
    // "handoff": the core's queue takes the conversation (no agent online: it also asks for contact details).
    receiver.control("flow", R"({"status":200,"reply":{"reply":"Connecting you to a person","handoff":true}})");
    send(c, "ok then");
    BOOST_TEST(waitFor([&] {
        return count("SELECT COUNT(*) FROM conversations WHERE id = '" + c.first + "' AND status = 'queued'") == 1;
    }));
    BOOST_TEST(waitFor([&] { return count("SELECT COUNT(*) FROM messages WHERE conversation_id = '" + c.first + "' AND type = 'form'") == 1; }));
}

BOOST_FIXTURE_TEST_CASE(the_automation_bridge_merges_the_workflows_attributes_into_the_conversation, WebhookServer) {
    Response put = admin().request("PUT", api("/automations/" + widget_id), R"({"url":")" + receiver.url("flow", "n8n") + R"("})");
    BOOST_REQUIRE_MESSAGE(put.status == 201, put.body);
    std::string secret = put.json()->getValue<std::string>("secret");
    // n8n's "Respond to Webhook" with all incoming items: a list whose first item is the answer.
    receiver.control("flow", R"({"secret":")" + secret +
                                 R"(","reply":[{"reply":"Noted, you are on the Pro plan.","attributes":{"plan":"pro","seats":12}}]})");
    auto c = startConversation();
    auto attributes = [&] {
        Response r = admin().get("/api/v1/agent/conversations");
        JsonArray list = r.json()->getArray("conversations");
        for (size_t i = 0; i < list->size(); ++i)
            if (list->getObject(i)->getValue<std::string>("id") == c.first) return list->getObject(i)->getObject("attributes");
        return JsonObject();
    };
    send(c, "which plan am I on?");
    BOOST_REQUIRE(waitFor([&] { return count("SELECT COUNT(*) FROM messages WHERE conversation_id = '" + c.first + "'") == 2; }));
    BOOST_REQUIRE(waitFor([&] { auto a = attributes(); return a && a->has("plan"); }));
    JsonObject a = attributes();
    BOOST_TEST(a->getValue<std::string>("plan") == "pro");
    BOOST_TEST(a->getValue<int>("seats") == 12);
    BOOST_TEST(count("SELECT COUNT(*) FROM outbox_events WHERE name = 'conversation.updated'") == 1);
    // The next visitor message carries them to the workflow; a null removes one, the others stay.
    receiver.control("flow", R"({"reply":{"reply":"Seats updated.","attributes":{"seats":null,"stage":"onboarding"}}})");
    send(c, "drop the seat count");
    BOOST_REQUIRE(waitFor([&] { auto x = attributes(); return x && x->has("stage"); }));
    a = attributes();
    BOOST_TEST(a->getValue<std::string>("plan") == "pro");
    BOOST_TEST(!a->has("seats"));
    BOOST_TEST(receiver.log("flow")->getObject(1)->getObject("body")->getObject("attributes")->getValue<int>("seats") == 12);
    BOOST_TEST(count("SELECT COUNT(*) FROM outbox_events WHERE name = 'conversation.updated'") == 2);
    // Attributes without a reply still apply (the workflow only classified); the same patch again changes nothing.
    receiver.control("flow", R"({"reply":{"attributes":{"stage":"onboarding"}}})");
    send(c, "thanks");
    receiver.control("flow", R"({"reply":{"attributes":{"intent":"thanks"}}})");
    send(c, "bye");
    BOOST_REQUIRE(waitFor([&] { auto x = attributes(); return x && x->has("intent"); }));
    BOOST_TEST(count("SELECT COUNT(*) FROM outbox_events WHERE name = 'conversation.updated'") == 3);
}

BOOST_FIXTURE_TEST_CASE(every_bad_admin_request_gets_a_clear_json_error, WebhookServer) {
    std::string id = endpoint("crm")->getValue<std::string>("id");
    auto member = [&](const std::string& role) {
        std::string email = uniqueName(role) + "@example.com";
        BOOST_REQUIRE(root().post("/api/v1/tenants/" + tenant + "/users",
                                  R"({"email":")" + email + R"(","role":")" + role + R"(","password":"member-password-1"})").status == 201);
        return Client(server->port()).bearer(login(server->port(), email, "member-password-1")).header("X-Parley-Tenant", tenant);
    };
    Client reader = member("client_user"), agent = member("agent");
    struct Case {
        std::string name;
        Client client;
        std::string method, path, body;
        int status;
        std::string code;
    };
    const std::string other_widget = "00000000-0000-4000-8000-0000000000aa";
    std::vector<Case> cases = {
        {"no tenant", root(), "GET", "/endpoints", "", 400, "tenant_required"},
        {"agent", agent, "GET", "/endpoints", "", 403, "forbidden"},
        {"client_user writes", reader, "POST", "/endpoints", R"({"url":"https://x.example","events":["*"]})", 403, "forbidden"},
        {"not JSON", admin(), "POST", "/endpoints", "{url", 400, "invalid_json"},
        {"no url", admin(), "POST", "/endpoints", R"({"events":["*"]})", 422, "invalid_field"},
        {"ftp url", admin(), "POST", "/endpoints", R"({"url":"ftp://x.example","events":["*"]})", 422, "invalid_field"},
        {"no events", admin(), "POST", "/endpoints", R"({"url":"https://x.example"})", 422, "invalid_field"},
        {"bad pattern", admin(), "POST", "/endpoints", R"({"url":"https://x.example","events":["Message Created"]})", 422, "invalid_field"},
        {"events not strings", admin(), "POST", "/endpoints", R"({"url":"https://x.example","events":[1]})", 422, "invalid_field"},
        {"bad format", admin(), "POST", "/endpoints", R"({"url":"https://x.example","events":["*"],"format":"xml"})", 422, "invalid_field"},
        {"bad widget id", admin(), "POST", "/endpoints", R"({"url":"https://x.example","events":["*"],"widget_id":"w"})", 422, "invalid_field"},
        {"foreign widget", admin(), "POST", "/endpoints", R"({"url":"https://x.example","events":["*"],"widget_id":")" + other_widget + R"("})", 422, "unknown_widget"},
        {"enabled not bool", admin(), "POST", "/endpoints", R"({"url":"https://x.example","events":["*"],"enabled":"yes"})", 422, "invalid_field"},
        {"unknown endpoint", admin(), "GET", "/endpoints/" + other_widget, "", 404, "not_found"},
        {"malformed endpoint id", admin(), "GET", "/endpoints/nope", "", 404, "not_found"},
        {"unknown field", admin(), "PATCH", "/endpoints/" + id, R"({"colour":"red"})", 422, "invalid_field"},
        {"bad overlap", admin(), "POST", "/endpoints/" + id + "/rotate-secret", R"({"overlap_seconds":-1})", 422, "invalid_field"},
        {"bad state filter", admin(), "GET", "/endpoints/" + id + "/deliveries?state=lost", "", 422, "invalid_field"},
        {"unknown delivery", admin(), "POST", "/deliveries/999999/replay", "", 404, "not_found"},
        {"malformed delivery", admin(), "POST", "/deliveries/abc/replay", "", 404, "not_found"},
        {"unknown error filter", admin(), "GET", "/errors?endpoint_id=" + other_widget, "", 404, "not_found"},
        {"automation bad mode", admin(), "PUT", "/automations/" + widget_id, R"({"url":"https://x.example","mode":"sometimes"})", 422, "invalid_field"},
        {"automation bad timeout", admin(), "PUT", "/automations/" + widget_id, R"({"url":"https://x.example","timeout_ms":5})", 422, "invalid_field"},
        {"automation foreign widget", admin(), "PUT", "/automations/" + other_widget, R"({"url":"https://x.example"})", 422, "unknown_widget"},
        {"no automation", admin(), "GET", "/automations/" + widget_id, "", 404, "not_found"},
    };
    for (auto& c : cases) {
        BOOST_TEST_CONTEXT(c.name) {
            Response r = c.client.request(c.method, api(c.path), c.body);
            BOOST_TEST(r.status == c.status, r.body);
            BOOST_TEST(r.errorCode() == c.code, r.body);
            BOOST_TEST(r.json()->getObject("error")->getValue<std::string>("message").size() > 10u);
        }
    }
    // A delivered (not dead) delivery cannot be replayed.
    auto conv = startConversation();
    BOOST_REQUIRE(waitFor([&] { return count("SELECT COUNT(*) FROM crm_webhooks_delivery WHERE state = 'delivered'") == 1; }));
    long long delivered = count("SELECT seq FROM crm_webhooks_delivery");
    Response r = admin().post(api("/deliveries/" + std::to_string(delivered) + "/replay"), "");
    BOOST_TEST(r.status == 409);
    BOOST_TEST(r.errorCode() == "not_dead");
    // client_user may read.
    BOOST_TEST(reader.get(api("/endpoints")).status == 200);
}

BOOST_AUTO_TEST_SUITE_END()

// The WhatsApp integration tests' shared set-up: a parleyd with the whatsapp plugin against the fake Graph API,
// a tenant with a widget, a client admin and an agent, and one configured number; fixture helpers.
#pragma once

#include "../fixtures.hpp"
#include "fake_graph.hpp"
#include "store/database.hpp"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <Poco/File.h>

#include <chrono>
#include <thread>

namespace parley::test {

inline const std::string kNumber = "106540352242922";  // the inbound fixtures' phone_number_id
inline const std::string kStatusNumber = "1122334455667";  // the status fixtures'
inline const std::string kSecret = "test-app-secret";
inline const std::string kToken = "token-1";
inline const std::string kWaId = "16505551234";
inline const std::string kTextWamid = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=";

inline std::string nowSeconds() {
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

// The text fixture with its timestamp moved to now (inside the 24-hour window), and optionally another wamid.
inline std::string freshText(const std::string& wamid = kTextWamid, const std::string& body = "") {
    std::vector<std::pair<std::string, std::string>> r = {{"\"1749416383\"", "\"" + nowSeconds() + "\""}};
    if (wamid != kTextWamid) r.emplace_back(kTextWamid, wamid);
    if (!body.empty()) r.emplace_back("Does it come in another color?", body);
    return rewrite(waFixture("meta_inbound_text.json"), r);
}

// A status fixture for one of our sends: its wamid, recipient and number put in.
inline std::string statusFor(const std::string& fixture_name, const std::string& wamid, const std::string& recipient = kWaId) {
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
        // timeout: a test's own write waits for the server's write lock instead of failing with "locked".
        if (db.url().rfind("sqlite:", 0) == 0) sql.open(soci::sqlite3, "db=" + db.url().substr(7) + " timeout=5");
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

inline JsonObject parseBody(const std::string& body) { return parley::core::parseJsonObject(body, 64); }

}  // namespace parley::test

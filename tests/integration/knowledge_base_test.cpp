// The knowledge-base bot in a real parleyd on both databases: a widget with a small knowledge base answers a
// visitor with the right entry and its confidence on the message, offers suggestions for a vague question,
// takes the fallback for an unrelated one (and lists it as a content gap), counts feedback, and its admin API
// refuses what it must.
#include "fixtures.hpp"
#include "store/database.hpp"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <Poco/File.h>

#include <chrono>
#include <fstream>
#include <thread>

using namespace parley::test;

namespace {

const std::string kOrigin = "https://shop.example.com";
const std::string kCsv =
    "question,answer,phrasings,keywords\n"
    "How do I reset my password?,Use the Forgot password link on the sign-in page.,I forgot my password|I can't log in,\n"
    "How do I change my email address?,Open Settings and then Email.,update my email,\n"
    "How long does shipping take?,Two to three working days.,when will my order arrive,delivery\n"
    "Can I get a refund?,Yes: within 30 days.,I want my money back,reimbursement\n"
    ",An answer without a question,,\n";

struct KbServer {
    TestDatabase db;
    Parleyd server;
    std::string root_token, tenant, widget, key, admin, reader;

    // A rule of its own (and none of scripts/: the office-hours example would answer first at night).
    static std::string scripts(const TestDatabase& db) {
        std::string dir = db.dataDir() + "/scripts";
        Poco::File(dir).createDirectories();
        std::ofstream(dir + "/kb_probe.lua") << R"LUA(-- Uses parley.kb.search from a rule.
parley.on("message.inbound", function(ctx)
  if ctx.message.text == "lua: money" then
    local hits = parley.kb.search("I want my money back", {widget_id = ctx.widget_id, limit = 2})
    ctx:reply("top: " .. hits[1].question .. " (" .. #hits .. " hits)")
  end
end)
)LUA";
        return dir;
    }

    KbServer()
        : server(db, {{"PARLEY_PLUGINS", "knowledge_base"},
                      {"PARLEY_PLUGINS_PATH", std::string(PARLEY_BINARY_DIR) + "/plugins"},
                      {"PARLEY_LUA_SCRIPTS_DIR", scripts(db)},
                      // The tests poll visitor history for the bot's answer: no per-IP limit in the way.
                      {"PARLEY_PUBLIC_RATE_LIMIT", "0"}}) {
        server.start();
        root_token = server.superAdminToken();
        Client root = Client(server.port()).bearer(root_token);
        tenant = root.post("/api/v1/tenants", R"({"name":"Acme"})").json()->getValue<std::string>("id");
        JsonObject w = root.post("/api/v1/tenants/" + tenant + "/widgets", R"({"name":"Shop","allowed_domains":["shop.example.com"]})").json();
        widget = w->getValue<std::string>("id");
        key = w->getValue<std::string>("public_key");
        admin = member("client_admin");
        reader = member("client_user");
    }
    std::string member(const std::string& role) {
        std::string email = uniqueName(role) + "@example.com";
        Response r = Client(server.port()).bearer(root_token).post("/api/v1/tenants/" + tenant + "/users",
            R"({"email":")" + email + R"(","role":")" + role + R"(","password":"member-password-1"})");
        BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
        return login(server.port(), email, "member-password-1");
    }
    Client as(const std::string& token) const { return Client(server.port()).bearer(token).header("X-Parley-Tenant", tenant); }
    std::string api(const std::string& rest = "") const { return "/api/v1/plugins/knowledge_base/widgets/" + widget + rest; }

    Client visitor() const { return Client(server.port()).header("Origin", kOrigin); }
    std::string conversations() const { return "/api/v1/widgets/" + key + "/conversations"; }
    std::pair<std::string, std::string> start() const {
        Response r = visitor().post(conversations(), R"({"visitor_id":"v_1"})");
        BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
        return {r.json()->getObject("conversation")->getValue<std::string>("id"), r.json()->getValue<std::string>("visitor_token")};
    }
    void ask(const std::pair<std::string, std::string>& c, const std::string& text) const {
        JsonObject body = parley::core::jsonObject();
        body->set("text", text);
        Response r = visitor().post(conversations() + "/" + c.first + "/messages", json(body), {{"X-Visitor-Token", c.second}});
        BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
    }
    JsonArray history(const std::pair<std::string, std::string>& c) const {
        Response r = visitor().get(conversations() + "/" + c.first + "/messages", {{"X-Visitor-Token", c.second}});
        BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
        return r.json()->getArray("messages");
    }
    // Polls until the conversation holds `count` messages (the bot answers after the visitor's 2xx).
    JsonArray waitForMessages(const std::pair<std::string, std::string>& c, size_t count) const {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        JsonArray list = history(c);
        while (list->size() < count && std::chrono::steady_clock::now() < deadline) list = history(c);
        BOOST_REQUIRE_MESSAGE(list->size() >= count, "expected " << count << " messages, got " << list->size());
        return list;
    }
    long long count(const std::string& sql_text) const {
        soci::session sql;
        if (db.url().rfind("sqlite:", 0) == 0) sql.open(soci::sqlite3, "db=" + db.url().substr(7));
        else sql.open(soci::postgresql, parley::core::postgresKeywords(db.url()));
        long long n = 0;
        sql << sql_text, soci::into(n);
        return n;
    }
    long long waitForCount(const std::string& sql_text, long long at_least) const {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        long long n = count(sql_text);
        while (n < at_least && std::chrono::steady_clock::now() < deadline) n = count(sql_text);
        return n;
    }
    // The entry whose question is `question`, as the admin API lists it.
    JsonObject entry(const std::string& question) const {
        JsonArray list = as(admin).get(api("/entries")).json()->getArray("entries");
        for (unsigned i = 0; i < list->size(); ++i)
            if (list->getObject(i)->getValue<std::string>("question") == question) return list->getObject(i);
        BOOST_FAIL("no entry '" + question + "'");
        return nullptr;
    }
    void import() const {
        Response r = as(admin).request("POST", api("/import?format=csv"), kCsv, {}, "text/csv");
        BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
        BOOST_TEST(r.json()->getValue<int>("imported") == 4);
        JsonArray rejected = r.json()->getArray("rejected");
        BOOST_REQUIRE(rejected->size() == 1u);
        BOOST_TEST(rejected->getObject(0)->getValue<int>("row") == 6);
        BOOST_TEST(rejected->getObject(0)->getValue<std::string>("reason").find("question is required") != std::string::npos);
    }
};

JsonObject at(const JsonArray& list, size_t i) { return list->getObject(static_cast<unsigned>(i)); }

}  // namespace

BOOST_AUTO_TEST_SUITE(knowledge_base)

BOOST_FIXTURE_TEST_CASE(answers_with_the_right_entry_and_records_entry_and_confidence_on_the_message, KbServer) {
    import();
    auto c = start();
    ask(c, "I forgot my password, help!");
    JsonArray messages = waitForMessages(c, 2);
    JsonObject bot = at(messages, 1);
    BOOST_TEST(bot->getValue<std::string>("sender_type") == "bot");
    BOOST_TEST(bot->getValue<std::string>("text") == "Use the Forgot password link on the sign-in page.");
    JsonObject payload = bot->getObject("payload");
    JsonObject reset = entry("How do I reset my password?");
    BOOST_TEST(payload->getObject("meta")->getValue<std::string>("kb_entry_id") == reset->getValue<std::string>("id"));
    double confidence = payload->getValue<double>("confidence");
    BOOST_TEST(confidence >= 0.6);
    BOOST_TEST(confidence <= 1.0);
    BOOST_TEST(payload->getObject("meta")->getValue<double>("kb_confidence") == confidence);
    BOOST_TEST(reset->getValue<int>("times_used") == 1);

    // Visitor feedback counts on the entry; a change of mind moves the count.
    std::string feedback = conversations() + "/" + c.first + "/messages/" + bot->getValue<std::string>("id") + "/feedback";
    BOOST_REQUIRE(visitor().post(feedback, R"({"helpful":true})", {{"X-Visitor-Token", c.second}}).status == 200);
    BOOST_TEST(entry("How do I reset my password?")->getValue<int>("helpful_count") == 1);
    BOOST_REQUIRE(visitor().post(feedback, R"({"helpful":false})", {{"X-Visitor-Token", c.second}}).status == 200);
    JsonObject after = entry("How do I reset my password?");
    BOOST_TEST(after->getValue<int>("helpful_count") == 0);
    BOOST_TEST(after->getValue<int>("not_helpful_count") == 1);
}

BOOST_FIXTURE_TEST_CASE(a_vague_question_gets_suggestions_and_an_unrelated_one_the_fallback_and_a_gap, KbServer) {
    import();
    auto c = start();
    ask(c, "password or email");
    JsonArray messages = waitForMessages(c, 2);
    JsonObject payload = at(messages, 1)->getObject("payload");
    BOOST_TEST(!payload->has("confidence"));  // a suggestion is not an answer the core would weigh
    JsonArray quick = payload->getArray("quick_replies");
    BOOST_REQUIRE(quick->size() >= 1u);
    BOOST_TEST(quick->getElement<std::string>(0) == "How do I reset my password?");
    BOOST_TEST(payload->getObject("meta")->getArray("kb_suggestions")->getElement<std::string>(0) ==
               entry("How do I reset my password?")->getValue<std::string>("id"));
    BOOST_TEST(at(messages, 1)->getValue<std::string>("text").find("Did you mean") != std::string::npos);

    // Picking the suggestion asks the canonical question: answered.
    ask(c, quick->getElement<std::string>(0));
    messages = waitForMessages(c, 4);
    BOOST_TEST(at(messages, 3)->getValue<std::string>("text") == "Use the Forgot password link on the sign-in page.");

    // Unrelated: the widget's fallback (handoff by default) and a content gap. With no agent online the core
    // asks for contact details once (offline lead capture); the second question finds it queued already.
    auto other = start();
    ask(other, "Tell me a joke about penguins");
    ask(other, "tell me a JOKE about penguins?");
    std::string handoffs = "SELECT COUNT(*) FROM outbox_events WHERE name = 'conversation.handoff_requested' AND "
                           "CAST(payload AS TEXT) LIKE '%kb_no_answer%' AND CAST(payload AS TEXT) LIKE '%" + other.first + "%'";
    BOOST_TEST(waitForCount(handoffs, 1) == 1);
    JsonArray seen = waitForMessages(other, 3);
    BOOST_REQUIRE(seen->size() == 3u);  // the visitor's two messages and the lead form
    int forms = 0;
    for (size_t i = 0; i < seen->size(); ++i) forms += at(seen, i)->getValue<std::string>("type") == "form";
    BOOST_TEST(forms == 1);
    JsonArray gaps = as(reader).get(api("/gaps")).json()->getArray("gaps");
    BOOST_REQUIRE(gaps->size() == 2u);  // the penguins (asked twice, one group) and the vague question
    BOOST_TEST(at(gaps, 0)->getValue<std::string>("example") == "tell me a JOKE about penguins?");
    BOOST_TEST(at(gaps, 0)->getValue<int>("asked") == 2);
    BOOST_TEST(at(gaps, 0)->getValue<std::string>("outcome") == "unanswered");
    BOOST_TEST(at(gaps, 1)->getValue<std::string>("outcome") == "suggested");
}

BOOST_FIXTURE_TEST_CASE(a_lua_rule_searches_the_knowledge_base, KbServer) {
    import();
    auto c = start();
    ask(c, "lua: money");
    JsonArray messages = waitForMessages(c, 2);
    bool found = false;
    for (unsigned i = 0; i < messages->size(); ++i)
        found = found || messages->getObject(i)->getValue<std::string>("text") == "top: Can I get a refund? (2 hits)";
    BOOST_TEST(found, server.output());
}

// Entries with five phrasings each get a classifier, trained on the plugin's background thread after the first
// question builds the index, and again after an edit; questions are answered meanwhile.
BOOST_FIXTURE_TEST_CASE(a_classifier_is_trained_in_the_background_and_again_after_an_edit, KbServer) {
    std::string csv = "question,answer,phrasings\n";
    for (std::string word : {"stolen", "frozen"})
        csv += "My card payment was " + word + ",About " + word + " payments.,why was my card payment " + word +
               "|card payment " + word + " at the shop|the shop says my card payment is " + word + "|" + word +
               " card payment\n";
    csv += "I want a refund,Within 30 days.,how do I get my money back|refund my order|can I return this for a "
           "refund|money back please\n";
    Response imported = as(admin).request("POST", api("/import?format=csv&mode=replace"), csv, {}, "text/csv");
    BOOST_REQUIRE_MESSAGE(imported.status == 200, imported.body);
    // The probability of the best hit for `text`, polled until the classifier is in (up to 10 s).
    auto trained = [&](const std::string& text) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        for (;;) {
            Response r = as(reader).post(api("/search"), R"({"text":")" + text + R"("})");
            BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
            JsonObject top = r.json()->getArray("hits")->getObject(0);
            if (top->getValue<double>("probability") > 0 || std::chrono::steady_clock::now() > deadline) return top;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    };
    JsonObject top = trained("is my card payment stolen");
    BOOST_TEST(top->getValue<std::string>("question") == "My card payment was stolen");
    BOOST_TEST(top->getValue<double>("probability") > 0.8);
    BOOST_TEST(top->getValue<double>("confidence") > 0.6);

    std::string id = top->getValue<std::string>("entry_id");
    Response patched = as(admin).patch(api("/entries/" + id),
        R"({"phrasings":["why was my card payment stolen","card payment stolen at the shop","stolen card payment",)"
        R"("someone stole my card","my card was taken"]})");
    BOOST_REQUIRE_MESSAGE(patched.status == 200, patched.body);
    top = trained("someone stole my card");
    BOOST_TEST(top->getValue<std::string>("entry_id") == id);
    BOOST_TEST(top->getValue<double>("probability") > 0.5);
}

BOOST_FIXTURE_TEST_CASE(edits_through_the_api_change_answers_at_once, KbServer) {
    import();
    Response created = as(admin).post(api("/entries"), R"({"question":"Do you sell gift cards?","answer":"Yes, from 10 EUR.",
        "phrasings":["gift voucher"],"quick_replies":["Buy one"],"links":[{"label":"Shop","url":"https://shop.example.com/gift"}]})");
    BOOST_REQUIRE_MESSAGE(created.status == 201, created.body);
    std::string id = created.json()->getObject("entry")->getValue<std::string>("id");
    Response tried = as(reader).post(api("/search"), R"({"text":"gift voucher"})");
    BOOST_REQUIRE_MESSAGE(tried.status == 200, tried.body);
    BOOST_TEST(tried.json()->getValue<std::string>("decision") == "answer");
    BOOST_TEST(tried.json()->getArray("hits")->getObject(0)->getValue<std::string>("entry_id") == id);

    Response patched = as(admin).patch(api("/entries/" + id), R"({"answer":"Yes, from 5 EUR."})");
    BOOST_REQUIRE_MESSAGE(patched.status == 200, patched.body);
    BOOST_TEST(patched.json()->getObject("entry")->getValue<std::string>("question") == "Do you sell gift cards?");
    auto c = start();
    ask(c, "Do you have gift vouchers?");
    JsonArray messages = waitForMessages(c, 2);
    BOOST_TEST(at(messages, 1)->getValue<std::string>("text") == "Yes, from 5 EUR.\nShop: https://shop.example.com/gift");
    BOOST_TEST(at(messages, 1)->getObject("payload")->getArray("quick_replies")->getElement<std::string>(0) == "Buy one");

    BOOST_TEST(as(admin).del(api("/entries/" + id)).status == 204);
    BOOST_TEST(as(admin).get(api("/entries/" + id)).status == 404);
    BOOST_TEST(as(reader).post(api("/search"), R"({"text":"gift voucher"})").json()->getValue<std::string>("decision") != "answer");

    Response exported = as(reader).get(api("/export?format=csv"));
    BOOST_TEST(exported.status == 200);
    BOOST_TEST(exported.body.find("How long does shipping take?") != std::string::npos);
    Response replaced = as(admin).request("POST", api("/import?format=csv&mode=replace"), exported.body, {}, "text/csv");
    BOOST_REQUIRE_MESSAGE(replaced.status == 200, replaced.body);
    BOOST_TEST(as(admin).get(api("/entries")).json()->getValue<int>("total") == 4);
}

BOOST_FIXTURE_TEST_CASE(the_admin_api_refuses_bad_input_readers_writes_and_other_tenants, KbServer) {
    import();
    // No tenant named, a widget of another tenant, a malformed widget id.
    Response no_tenant = Client(server.port()).bearer(admin).get(api("/entries"));
    BOOST_TEST(no_tenant.status == 400);
    BOOST_TEST(no_tenant.errorCode() == "tenant_required");
    Client root = Client(server.port()).bearer(root_token);
    std::string other = root.post("/api/v1/tenants", R"({"name":"Other"})").json()->getValue<std::string>("id");
    std::string foreign = root.post("/api/v1/tenants/" + other + "/widgets", R"({"name":"Theirs"})").json()->getValue<std::string>("id");
    Response cross = as(admin).get("/api/v1/plugins/knowledge_base/widgets/" + foreign + "/entries");
    BOOST_TEST(cross.status == 404);
    BOOST_TEST(cross.errorCode() == "widget_not_found");
    BOOST_TEST(as(admin).get("/api/v1/plugins/knowledge_base/widgets/not-a-uuid/entries").errorCode() == "widget_not_found");
    BOOST_TEST(Client(server.port()).bearer(admin).get(api("/entries"), {{"X-Parley-Tenant", other}}).status == 404);

    // A client_user reads but never writes.
    BOOST_TEST(as(reader).get(api("/entries")).status == 200);
    BOOST_TEST(as(reader).get(api("/gaps")).status == 200);
    for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
             {"POST", "/entries"}, {"POST", "/import?format=json"}, {"PUT", "/settings"},
             {"PATCH", "/entries/" + entry("Can I get a refund?")->getValue<std::string>("id")}}) {
        Response r = as(reader).request(method, api(path), R"({"question":"Q","answer":"A"})");
        BOOST_TEST(r.status == 403, method << " " << path);
        BOOST_TEST(r.errorCode() == "forbidden");
    }
    BOOST_TEST(Client(server.port()).get(api("/entries")).status == 401);

    // Bad bodies and ids.
    struct Case {
        std::string method, path, body;
        int status;
        std::string code;
    } cases[] = {
        {"POST", "/entries", "not json", 400, "invalid_json"},
        {"POST", "/entries", R"({"answer":"no question"})", 422, "invalid_field"},
        {"POST", "/entries", R"J({"question":"Q","answer":"A","links":[{"url":"javascript:alert(1)"}]})J", 422, "invalid_field"},
        {"POST", "/entries", R"({"question":"Q","answer":"A","enabled":"yes"})", 422, "invalid_field"},
        {"GET", "/entries/not-a-uuid", "", 404, "entry_not_found"},
        {"GET", "/entries/00000000-0000-4000-8000-000000000000", "", 404, "entry_not_found"},
        {"DELETE", "/entries/00000000-0000-4000-8000-000000000000", "", 404, "entry_not_found"},
        {"GET", "/entries?limit=0", "", 400, "invalid_query"},
        {"POST", "/import?format=xml", "x", 400, "invalid_query"},
        {"POST", "/import?format=csv", "question,answr\nq,a\n", 422, "invalid_import"},
        {"POST", "/import?format=json", R"({"entries":[{"question":"only"}]})", 422, ""},
        {"GET", "/export?format=pdf", "", 400, "invalid_query"},
        {"POST", "/search", R"({"text":""})", 422, "invalid_field"},
        {"POST", "/search", R"({"text":"q","answer_threshold":0.2,"suggestion_threshold":0.5})", 422, "invalid_field"},
        {"PUT", "/settings", R"({"synonyms":[["alone"]]})", 422, "invalid_field"},
        {"DELETE", "/gaps/00000000-0000-4000-8000-000000000000", "", 404, "gap_not_found"},
    };
    for (const auto& c : cases) {
        Response r = as(admin).request(c.method, api(c.path), c.body);
        BOOST_TEST(r.status == c.status, c.method << " " << c.path << ": " << r.body);
        if (!c.code.empty()) BOOST_TEST(r.errorCode() == c.code, c.method << " " << c.path << ": " << r.body);
    }
    // Synonyms take effect on the next question.
    BOOST_TEST(as(admin).request("PUT", api("/settings"), R"({"synonyms":[["parcel","order"]]})").status == 200);
    Response tried = as(reader).post(api("/search"), R"({"text":"when will my parcel arrive"})");
    BOOST_TEST(tried.json()->getValue<std::string>("decision") == "answer");
    BOOST_TEST(as(reader).get(api("/settings")).body == R"({"synonyms":[["parcel","order"]]})");
}

BOOST_AUTO_TEST_SUITE_END()

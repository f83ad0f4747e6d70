// A visitor's conversation through the pipeline: start, send, retry, history, bot replies after the commit,
// rules that reject or flag, and every bad input.
#include "fixtures.hpp"
#include "store/database.hpp"

#include <Poco/File.h>

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>

using namespace parley::test;

namespace {

const std::string kOrigin = "https://shop.example.com";

// A server whose Lua rules come from `rules` (written to a scripts folder of its own).
struct ChatServer {
    TestDatabase db;
    std::unique_ptr<Parleyd> server;
    std::string root_token, key;

    explicit ChatServer(const std::string& rules = "", std::map<std::string, std::string> env = {}) {
        std::string scripts = db.dataDir() + "/scripts";
        Poco::File(scripts).createDirectories();
        if (!rules.empty()) std::ofstream(scripts + "/rules.lua") << rules;
        env["PARLEY_LUA_SCRIPTS_DIR"] = scripts;
        server = std::make_unique<Parleyd>(db, env);
        server->start();
        root_token = server->superAdminToken();
        Client root = Client(server->port()).bearer(root_token);
        std::string tenant = root.post("/api/v1/tenants", R"({"name":"Acme"})").json()->getValue<std::string>("id");
        key = root.post("/api/v1/tenants/" + tenant + "/widgets", R"({"name":"Shop","allowed_domains":["shop.example.com"]})")
                  .json()->getValue<std::string>("public_key");
    }
    Client visitor() const { return Client(server->port()).header("Origin", kOrigin); }
    std::string base() const { return "/api/v1/widgets/" + key + "/conversations"; }

    // Starts a conversation; returns {id, token}.
    std::pair<std::string, std::string> start() const {
        Response r = visitor().post(base(), R"({"visitor_id":"v_1","session_id":"s_1","visitor_info":{"name":"Ana"},
            "context":{"page_url":"https://shop.example.com/pricing","utm":{"source":"google"}}})");
        BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
        return {r.json()->getObject("conversation")->getValue<std::string>("id"), r.json()->getValue<std::string>("visitor_token")};
    }
    Response send(const std::pair<std::string, std::string>& c, const std::string& body) const {
        return visitor().post(base() + "/" + c.first + "/messages", body, {{"X-Visitor-Token", c.second}});
    }
    JsonArray history(const std::pair<std::string, std::string>& c, long long after = 0, int limit = 50) const {
        Response r = visitor().get(base() + "/" + c.first + "/messages?after_seq=" + std::to_string(after) +
                                       "&limit=" + std::to_string(limit),
                                   {{"X-Visitor-Token", c.second}});
        BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
        return r.json()->getArray("messages");
    }
    // Polls the history until it holds `count` messages (the bot answers after the visitor's 2xx).
    JsonArray waitForMessages(const std::pair<std::string, std::string>& c, size_t count) const {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        JsonArray list = history(c);
        while (list->size() < count && std::chrono::steady_clock::now() < deadline) list = history(c);
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
};

JsonObject at(const JsonArray& list, size_t i) { return list->getObject(static_cast<unsigned>(i)); }

}  // namespace

BOOST_AUTO_TEST_SUITE(conversations)

BOOST_AUTO_TEST_CASE(a_visitor_starts_sends_and_reads_back_in_seq_order_with_outbox_events) {
    ChatServer chat;
    auto c = chat.start();
    for (int i = 1; i <= 3; ++i) {
        Response r = chat.send(c, R"({"client_message_id":"m)" + std::to_string(i) + R"(","text":"message )" +
                                      std::to_string(i) + R"("})");
        BOOST_TEST(r.status == 201);
        BOOST_TEST(r.json()->getObject("message")->getValue<int>("seq") == i);
    }
    JsonArray all = chat.history(c);
    BOOST_REQUIRE(all->size() == 3u);
    BOOST_TEST(at(all, 2)->getValue<std::string>("text") == "message 3");
    BOOST_TEST(chat.history(c, 2)->size() == 1u);  // after_seq: exactly what was missed
    BOOST_TEST(chat.count("SELECT COUNT(*) FROM outbox_events WHERE name = 'message.created'") == 3);
    BOOST_TEST(chat.count("SELECT COUNT(*) FROM outbox_events WHERE name = 'conversation.started'") == 1);
}

BOOST_AUTO_TEST_CASE(a_retry_with_the_same_client_message_id_returns_the_first_result) {
    ChatServer chat;
    auto c = chat.start();
    Response first = chat.send(c, R"({"client_message_id":"abc","text":"hello?"})");
    Response again = chat.send(c, R"({"client_message_id":"abc","text":"hello?"})");
    BOOST_TEST(first.status == 201);
    BOOST_TEST(again.status == 200);
    BOOST_TEST(again.json()->getValue<bool>("duplicate"));
    BOOST_TEST(again.json()->getObject("message")->getValue<std::string>("id") ==
               first.json()->getObject("message")->getValue<std::string>("id"));
    // Concurrent retries: still one message.
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int i = 0; i < 6; ++i)
        threads.emplace_back([&] {
            if (chat.send(c, R"({"client_message_id":"race","text":"at once"})").status / 100 == 2) ok++;
        });
    for (auto& t : threads) t.join();
    BOOST_TEST(ok == 6);
    BOOST_TEST(chat.history(c)->size() == 2u);
    BOOST_TEST(chat.count("SELECT COUNT(*) FROM messages") == 2);
}

BOOST_AUTO_TEST_CASE(a_rule_reply_arrives_after_the_visitors_message_with_its_quick_replies) {
    ChatServer chat(R"(parley.on("message.inbound", function(ctx)
  if ctx.message.text == "hello" then ctx:reply("Hi " .. ctx.visitor.name .. "!", {quick_replies = {"Pricing"}}) end
end)
)");
    auto c = chat.start();
    BOOST_TEST(chat.send(c, R"({"client_message_id":"1","text":"hello"})").status == 201);
    JsonArray list = chat.waitForMessages(c, 2);
    BOOST_REQUIRE(list->size() == 2u);
    BOOST_TEST(at(list, 1)->getValue<std::string>("sender_type") == "bot");
    BOOST_TEST(at(list, 1)->getValue<std::string>("text") == "Hi Ana!");
    BOOST_TEST(at(list, 1)->getObject("payload")->getArray("quick_replies")->getElement<std::string>(0) == "Pricing");
    BOOST_TEST(at(list, 1)->getValue<int>("seq") == 2);
}

BOOST_AUTO_TEST_CASE(a_rule_that_drops_stores_nothing_and_one_that_flags_stores_it_hidden_without_reply) {
    ChatServer chat(R"(parley.on("message.inbound", function(ctx)
  if ctx.message.text:find("casino") then ctx:drop("looks like spam") end
  if ctx.message.text:find("maybe") then ctx:flag("suspicious"); ctx:reply("should not be sent") end
end)
)");
    auto c = chat.start();
    Response dropped = chat.send(c, R"({"client_message_id":"1","text":"best casino here"})");
    BOOST_TEST(dropped.status == 422);
    BOOST_TEST(dropped.errorCode() == "message_rejected");
    BOOST_TEST(dropped.body.find("looks like spam") != std::string::npos);
    BOOST_TEST(chat.count("SELECT COUNT(*) FROM messages") == 0);
    Response flagged = chat.send(c, R"({"client_message_id":"2","text":"maybe spam"})");
    BOOST_TEST(flagged.status == 201);
    BOOST_TEST(flagged.json()->getObject("message")->getValue<bool>("flagged"));
    BOOST_TEST(chat.send(c, R"({"client_message_id":"3","text":"normal"})").status == 201);
    BOOST_TEST(chat.history(c)->size() == 2u);  // no bot reply to a flagged message
}

BOOST_AUTO_TEST_CASE(tokens_widgets_origins_and_bodies_are_checked) {
    ChatServer chat;
    auto c = chat.start();
    std::string path = chat.base() + "/" + c.first + "/messages";
    BOOST_TEST(chat.visitor().post(path, R"({"text":"x"})").status == 401);
    BOOST_TEST(chat.visitor().post(path, R"({"text":"x"})", {{"X-Visitor-Token", "vt_forged"}}).status == 404);
    BOOST_TEST(chat.visitor().get(chat.base() + "/00000000-0000-4000-8000-000000000000/messages",
                                  {{"X-Visitor-Token", c.second}}).status == 404);
    Response foreign = Client(chat.server->port()).header("Origin", "https://evil.test").post(chat.base(), R"({"visitor_id":"v"})");
    BOOST_TEST(foreign.status == 403);
    BOOST_TEST(foreign.errorCode() == "origin_not_allowed");
    struct Case {
        std::string body;
        int status;
        std::string field;
    };
    for (const auto& k : std::vector<Case>{{R"({"text":"   "})", 422, "text"},
                                           {R"({"text":5})", 422, "text"},
                                           {R"({"text":"x","type":"video"})", 422, "type"},
                                           {R"({"text":"x","type":"image"})", 422, "payload.file_id"},
                                           {R"({"type":"quick_reply","payload":{}})", 422, "payload.value"},
                                           {R"({"type":"form","payload":{"form":"f","fields":{"a":[1]}}})", 422, "payload.fields.a"},
                                           {R"({"text":")" + std::string(5000, 'a') + R"("})", 422, "text"},
                                           {R"({"client_message_id":7,"text":"x"})", 422, "client_message_id"},
                                           {"not json", 400, ""}}) {
        BOOST_TEST_CONTEXT(k.body.substr(0, 40)) {
            Response r = chat.send(c, k.body);
            BOOST_TEST(r.status == k.status);
            if (!k.field.empty()) BOOST_TEST(r.body.find("field '" + k.field + "'") != std::string::npos);
        }
    }
    BOOST_TEST(chat.visitor().post(chat.base(), R"({"session_id":"s"})").body.find("visitor_id") != std::string::npos);
    BOOST_TEST(chat.count("SELECT COUNT(*) FROM messages") == 0);
    BOOST_TEST(chat.visitor().get(path + "?after_seq=x", {{"X-Visitor-Token", c.second}}).status == 400);
}

BOOST_AUTO_TEST_CASE(ending_rating_and_capturing_a_lead_with_its_attribution) {
    ChatServer chat;
    auto c = chat.start();
    std::string path = chat.base() + "/" + c.first;
    std::map<std::string, std::string> token = {{"X-Visitor-Token", c.second}};
    Response no_contact = chat.visitor().post(path + "/lead", R"({"name":"Ana"})", token);
    BOOST_TEST(no_contact.status == 422);
    BOOST_TEST(no_contact.body.find("field 'email'") != std::string::npos);
    BOOST_TEST(chat.visitor().post(path + "/lead", R"({"email":"not-an-email"})", token).status == 422);
    Response lead = chat.visitor().post(path + "/lead", R"({"name":"Ana","email":"Ana@Example.com","consent":true})", token);
    BOOST_TEST(lead.status == 201, lead.body);
    JsonObject stored = lead.json()->getObject("lead");
    BOOST_TEST(stored->getValue<std::string>("source") == "chat_widget");
    BOOST_TEST(stored->getValue<std::string>("email") == "ana@example.com");
    BOOST_TEST(stored->getObject("attribution")->getObject("utm")->getValue<std::string>("source") == "google");
    // The same person again: one contact, two leads.
    Response again = chat.visitor().post(path + "/lead", R"({"email":"ana@example.com","phone":"+34 600 000 000"})", token);
    BOOST_TEST(again.json()->getObject("lead")->getValue<std::string>("contact_id") == stored->getValue<std::string>("contact_id"));
    BOOST_TEST(chat.count("SELECT COUNT(*) FROM contacts") == 1);
    BOOST_TEST(chat.count("SELECT COUNT(*) FROM leads") == 2);
    BOOST_TEST(chat.count("SELECT COUNT(*) FROM outbox_events WHERE name = 'lead.captured'") == 2);

    BOOST_TEST(chat.visitor().post(path + "/rating", R"({"rating":6})", token).status == 422);
    BOOST_TEST(chat.visitor().post(path + "/rating", R"({"rating":5,"comment":"quick"})", token).status == 200);
    BOOST_TEST(chat.count("SELECT COUNT(*) FROM conversations WHERE rating = 5") == 1);

    Response ended = chat.visitor().post(path + "/end", "{}", token);
    BOOST_TEST(ended.json()->getObject("conversation")->getValue<std::string>("status") == "closed");
    Response late = chat.send(c, R"({"text":"still there?"})");
    BOOST_TEST(late.status == 409);
    BOOST_TEST(late.errorCode() == "conversation_closed");
}

BOOST_AUTO_TEST_CASE(a_rule_captures_a_lead_after_the_commit) {
    ChatServer chat(R"(parley.on("message.inbound", function(ctx)
  local email = ctx.message.text:match("[%w%.]+@[%w%.]+")
  if email then ctx:capture_lead({email = email, name = ctx.visitor.name}); ctx:reply("Thanks!") end
end)
)");
    auto c = chat.start();
    BOOST_TEST(chat.send(c, R"({"text":"reach me at ana@example.com"})").status == 201);
    chat.waitForMessages(c, 2);
    BOOST_TEST(chat.count("SELECT COUNT(*) FROM leads WHERE email = 'ana@example.com'") == 1);
}

BOOST_AUTO_TEST_CASE(a_plugin_posts_a_bot_message_into_a_conversation) {
    ChatServer chat("", {{"PARLEY_PLUGINS", "http_probe"},
                         {"PARLEY_PLUGINS_PATH", std::string(PARLEY_BINARY_DIR) + "/tests/plugins"}});
    auto c = chat.start();
    Client hooks(chat.server->port());
    Response posted = hooks.post("/hooks/http_probe/post?conversation=" + c.first,
                                 R"({"text":"Your order shipped","quick_replies":["Track it"]})");
    BOOST_TEST(posted.status == 201, posted.body);
    JsonArray list = chat.history(c);
    BOOST_REQUIRE(list->size() == 1u);
    BOOST_TEST(at(list, 0)->getValue<std::string>("sender_type") == "bot");
    BOOST_TEST(at(list, 0)->getValue<std::string>("text") == "Your order shipped");
    BOOST_TEST(hooks.post("/hooks/http_probe/post?conversation=00000000-0000-4000-8000-000000000000",
                          R"({"text":"x"})").status == 404);
    BOOST_TEST(chat.count("SELECT COUNT(*) FROM outbox_events WHERE name = 'message.created'") == 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(durability)

BOOST_AUTO_TEST_CASE(after_kill_9_every_acknowledged_message_is_there_exactly_once) {
    ChatServer chat;
    auto c = chat.start();
    std::vector<std::string> acknowledged;
    std::atomic<bool> killed{false};
    std::mutex mutex;
    std::condition_variable progress;
    size_t acked = 0;  // under mutex: what the main thread waits on
    std::thread sender([&] {
        for (int i = 0; i < 400; ++i) {
            std::string id = "k" + std::to_string(i);
            try {
                Response r = chat.send(c, R"({"client_message_id":")" + id + R"(","text":"m )" + id + R"("})");
                if (r.status == 201 || r.status == 200) {
                    acknowledged.push_back(id);
                    std::lock_guard lock(mutex);
                    acked++;
                    progress.notify_all();
                }
            } catch (...) {
                if (killed) break;  // the server is gone: stop sending
            }
        }
    });
    // Kill it while messages are flowing: once 30 have been acknowledged (the client has their 2xx; counting rows
    // in the database instead raced with the 30th answer still on its way).
    {
        std::unique_lock lock(mutex);
        progress.wait_for(lock, std::chrono::seconds(20), [&] { return acked >= 30; });
    }
    killed = true;
    chat.server->kill9();
    sender.join();
    BOOST_REQUIRE(acknowledged.size() >= 30u);
    chat.server->start();
    // Every page, 200 at a time, as a reconnecting client would read it.
    JsonArray stored = parley::core::jsonArray();
    for (;;) {
        JsonArray page = chat.history(c, static_cast<long long>(stored->size()), 200);
        for (size_t i = 0; i < page->size(); ++i) stored->add(page->get(static_cast<unsigned>(i)));
        if (page->size() < 200) break;
    }
    std::map<std::string, int> seen;
    for (size_t i = 0; i < stored->size(); ++i) seen[at(stored, i)->getValue<std::string>("client_message_id")]++;
    for (const auto& id : acknowledged) BOOST_TEST(seen[id] == 1, id << " was acknowledged; stored " << seen[id] << " times");
    // seq has no holes: 1..n.
    for (size_t i = 0; i < stored->size(); ++i) BOOST_TEST(at(stored, i)->getValue<long long>("seq") == static_cast<long long>(i + 1));
}

BOOST_AUTO_TEST_SUITE_END()

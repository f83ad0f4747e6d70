// WhatsApp sending at scale on both databases: the per-number pace (kept by one node, held back by slots another
// node claimed, kept by two nodes together on PostgreSQL), error 190 stopping a broadcast, a broadcast to the
// contacts with a tag with its progress pushed live, and a broadcast killed with kill -9 and resumed without
// duplicates.
#include "whatsapp/wa_server.hpp"
#include "ws_client.hpp"

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

using namespace parley::test;

namespace {

long long wallMicros() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(whatsapp_broadcasts)

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
    // Slots are 200 ms apart and used at most 100 ms late, so sends are at least 100 ms apart as they leave; the
    // fake Graph API sees their arrival, which scheduling on a loaded machine can pull closer by a few tens of
    // ms. Two paces that did not share the row would send pairs a few ms apart.
    BOOST_TEST(closest >= 50, "two sends only " << closest << " ms apart at 5 per second (slots are 200 ms apart, used at most 100 ms late)");
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

BOOST_AUTO_TEST_SUITE_END()

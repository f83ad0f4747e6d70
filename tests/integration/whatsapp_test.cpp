// WhatsApp in a real parleyd on both databases, against a fake Graph API on loopback: the handshake, signatures,
// every fixture stored as the right message, duplicates (also concurrent) stored once, multi-entry payloads,
// statuses out of order, the 24-hour window, retries, flows, and a WhatsApp user talking with an agent in the
// inbox. Media: whatsapp_media_test.cpp; the pace and broadcasts: whatsapp_broadcasts_test.cpp.
#include "whatsapp/wa_server.hpp"
#include "ws_client.hpp"

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

using namespace parley::test;

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

BOOST_FIXTURE_TEST_CASE(a_click_to_whatsapp_referral_becomes_the_conversations_attribution, WaServer) {
    // The text fixture as an ad's click brings it: Meta adds "referral" to the message.
    deliver(rewrite(freshText(), {{"\"type\": \"text\",", R"("type": "text", "referral": {"source_url": "https://fb.me/x", )"
                                                          R"("source_id": "ad-1", "source_type": "ad", "headline": "Sale \"50%\""},)"}}));
    JsonObject context = parley::core::parseJson(text("SELECT context FROM conversations WHERE channel = 'whatsapp'"))
                             .extract<JsonObject>();
    BOOST_TEST(context->getObject("utm")->getValue<std::string>("source") == "whatsapp");
    BOOST_TEST(context->getObject("utm")->getValue<std::string>("campaign") == "ad-1");
    BOOST_TEST(context->getObject("utm")->getValue<std::string>("content") == "Sale \"50%\"");
    BOOST_TEST(context->getObject("referral")->getValue<std::string>("source_url") == "https://fb.me/x");
    JsonObject visitor = parley::core::parseJson(text("SELECT visitor_info FROM conversations WHERE channel = 'whatsapp'"))
                             .extract<JsonObject>();
    BOOST_TEST(visitor->getValue<std::string>("name") == "Sheena Nelson");
    BOOST_TEST(visitor->getValue<std::string>("phone") == "+16505551234");
}

BOOST_FIXTURE_TEST_CASE(disabling_a_flow_ends_its_sessions_in_progress, WaServer) {
    std::string flow = R"({"widget_id":")" + widget + R"(","definition":{"name":"Orders","trigger":{"keywords":["color"]},"start":"ask",)"
        R"("nodes":{"ask":{"type":"ask","text":"Which color?","options":["Blue","Red"],"save_as":"color","next":"done"},)"
        R"("done":{"type":"end","text":"Noted."}}}})";
    Response saved = as(admin).post(api("/flows"), flow);
    BOOST_REQUIRE_MESSAGE(saved.status == 201, saved.body);
    std::string flow_id = saved.json()->getObject("flow")->getValue<std::string>("id");
    deliver(freshText());  // "Does it come in another color?": the flow asks and waits
    BOOST_REQUIRE(graph.waitForCount(1));
    BOOST_TEST(count("SELECT COUNT(*) FROM whatsapp_flow_sessions") == 1);
    Response disabled = as(admin).put(api("/flows/" + flow_id), rewrite(flow, {{"{\"widget_id\"", "{\"enabled\":false,\"widget_id\""}}));
    BOOST_REQUIRE_MESSAGE(disabled.status == 200, disabled.body);
    BOOST_TEST(count("SELECT COUNT(*) FROM whatsapp_flow_sessions") == 0);
    // The answer arrives and is stored as a plain message (the flow hook has no flow left to run).
    deliver(rewrite(waFixture("meta_inbound_interactive_button_reply.json"), {{"\"cancel-button\"", "\"Blue\""}, {"\"Cancel\"", "\"Blue\""}}));
    BOOST_TEST(count("SELECT COUNT(*) FROM whatsapp_flow_sessions") == 0);
    BOOST_TEST(count("SELECT COUNT(*) FROM messages WHERE client_message_id LIKE 'wamid.%'") == 2);
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

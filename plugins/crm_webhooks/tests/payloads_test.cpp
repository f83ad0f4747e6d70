// Webhook bodies: the Standard Webhooks envelope with the context a CRM needs, and seed 000's legacy shape.
#include "../payloads.hpp"
#include "../automation.hpp"

#include <boost/test/unit_test.hpp>

using namespace parley::crm_webhooks;

namespace {
const std::string kEvent = R"({"id":"0b6f3c1e-8d2a-4c55-9a11-2f0e6b7c9d01","name":"conversation.started",
  "tenant_id":"7d1c0000-0000-4000-8000-000000000001","conversation_id":"c0000000-0000-4000-8000-000000000002",
  "created_at":1614265330123,"attempt":1,"payload":{"conversation":{"id":"c0000000-0000-4000-8000-000000000002"},"widget_id":"w1"},
  "conversation":{"id":"c0000000-0000-4000-8000-000000000002","widget_id":"w1","session_id":"s_1","visitor_id":"v_1",
  "visitor":{"name":"Ana","user_agent":"Mozilla/5.0","language":"pt","ip_hash":"h1"},
  "context":{"page_url":"https://shop.example.com/pricing?x=1","referrer":"https://google.com/","utm":{"source":"google"}}}})";
}

BOOST_AUTO_TEST_SUITE(payloads)

BOOST_AUTO_TEST_CASE(the_standard_body_has_type_iso_timestamp_and_data_with_conversation_context) {
    Json body = parseObject(standardBody(parseObject(kEvent)));
    BOOST_TEST(body->getValue<std::string>("type") == "conversation.started");
    BOOST_TEST(body->getValue<std::string>("timestamp") == "2021-02-25T15:02:10.123Z");
    Json data = body->getObject("data");
    BOOST_TEST(data->getValue<std::string>("tenant_id") == "7d1c0000-0000-4000-8000-000000000001");
    BOOST_TEST(data->getObject("conversation")->getObject("context")->getObject("utm")->getValue<std::string>("source") == "google");
    BOOST_TEST(data->getObject("conversation")->getObject("visitor")->getValue<std::string>("user_agent") == "Mozilla/5.0");
}

BOOST_AUTO_TEST_CASE(the_legacy_body_speaks_seed_000) {
    Json body = parseObject(legacyBody(parseObject(kEvent)));
    BOOST_TEST(body->getValue<std::string>("event") == "chat_opened");
    BOOST_TEST(body->getValue<std::string>("siteId") == "w1");
    BOOST_TEST(body->getValue<std::string>("sessionId") == "s_1");
    BOOST_TEST(body->getObject("page")->getValue<std::string>("host") == "shop.example.com");
    BOOST_TEST(body->getObject("page")->getValue<std::string>("referrer") == "https://google.com/");
    BOOST_TEST(body->getObject("visitor")->getValue<std::string>("userAgent") == "Mozilla/5.0");
    BOOST_TEST(legacyEventName("lead.captured") == "lead_captured");
    BOOST_TEST(legacyEventName("conversation.closed") == "chat_closed");
    BOOST_TEST(legacyEventName("message.created") == "message_created");
}

BOOST_AUTO_TEST_CASE(the_webhook_id_is_stable_per_event) {
    BOOST_TEST(webhookId("0b6f3c1e-8d2a-4c55-9a11-2f0e6b7c9d01") == "msg_0b6f3c1e8d2a4c559a112f0e6b7c9d01");
}

BOOST_AUTO_TEST_CASE(automation_answers_are_read_from_objects_and_n8n_item_lists) {
    auto a = parseAutomationAnswer(R"({"reply":"Hi!","quick_replies":["Pricing","Talk to a human"],"handoff":false})");
    BOOST_TEST(a.reply == "Hi!");
    BOOST_TEST(a.quick_replies.size() == 2u);
    BOOST_TEST(!a.handoff);
    BOOST_TEST(parseAutomationAnswer(R"([{"reply":"From n8n"}])").reply == "From n8n");
    BOOST_CHECK_THROW(parseAutomationAnswer("<html>"), std::invalid_argument);
    BOOST_CHECK_THROW(parseAutomationAnswer(R"({"reply":42})"), std::invalid_argument);
    BOOST_CHECK_THROW(parseAutomationAnswer("[]"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(automation_answers_carry_optional_attributes_as_an_object) {
    auto a = parseAutomationAnswer(R"({"reply":"Noted","attributes":{"plan":"pro","seats":12,"trial":null}})");
    BOOST_TEST(a.attributes == R"({"plan":"pro","seats":12,"trial":null})");
    BOOST_TEST(parseAutomationAnswer(R"({"reply":"x"})").attributes.empty());
    BOOST_TEST(parseAutomationAnswer(R"({"reply":"x","attributes":{}})").attributes.empty());
    BOOST_TEST(parseAutomationAnswer(R"({"reply":"x","attributes":null})").attributes.empty());
    BOOST_TEST(parseAutomationAnswer(R"([{"attributes":{"intent":"pricing"}}])").attributes == R"({"intent":"pricing"})");
    BOOST_CHECK_THROW(parseAutomationAnswer(R"({"reply":"x","attributes":["plan"]})"), std::invalid_argument);
    BOOST_CHECK_THROW(parseAutomationAnswer(R"({"reply":"x","attributes":"plan=pro"})"), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

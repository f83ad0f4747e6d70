// Every inbound fixture becomes the right Parley message; statuses keep their errors; multi-entry payloads and
// unknown fields or types are read without an error.
#include "../src/db.hpp"
#include "../src/webhook.hpp"
#include "fixture.hpp"

#include <boost/test/unit_test.hpp>

using namespace parley::whatsapp;

BOOST_AUTO_TEST_SUITE(webhook)

BOOST_AUTO_TEST_CASE(text_fixture_becomes_a_text_message_with_contact_and_wamid) {
    ParsedWebhook p = parseWebhook(parseObject(fixture("meta_inbound_text.json")));
    BOOST_REQUIRE(p.messages.size() == 1u);
    const Inbound& m = p.messages[0];
    BOOST_TEST(m.type == "text");
    BOOST_TEST(m.text == "Does it come in another color?");
    BOOST_TEST(m.wa_id == "16505551234");
    BOOST_TEST(m.profile_name == "Sheena Nelson");
    BOOST_TEST(m.phone_number_id == "106540352242922");
    BOOST_TEST(m.wamid == "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=");
    BOOST_TEST(m.timestamp_ms == 1749416383000LL);
    BOOST_TEST(p.ignored.empty());
}

BOOST_AUTO_TEST_CASE(image_fixture_keeps_the_media_id_and_caption) {
    ParsedWebhook p = parseWebhook(parseObject(fixture("meta_inbound_image.json")));
    BOOST_REQUIRE(p.messages.size() == 1u);
    const Inbound& m = p.messages[0];
    BOOST_TEST(m.type == "image");
    BOOST_TEST(m.text == "Taj Mahal");
    auto media = m.payload->getObject("media");
    BOOST_REQUIRE(media);
    BOOST_TEST(media->getValue<std::string>("id") == "1003383421387256");
    BOOST_TEST(media->getValue<std::string>("mime_type") == "image/jpeg");
    BOOST_TEST(media->getValue<std::string>("sha256") == "SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=");
}

BOOST_AUTO_TEST_CASE(button_reply_fixture_becomes_a_quick_reply_with_its_context) {
    ParsedWebhook p = parseWebhook(parseObject(fixture("meta_inbound_interactive_button_reply.json")));
    BOOST_REQUIRE(p.messages.size() == 1u);
    const Inbound& m = p.messages[0];
    BOOST_TEST(m.type == "quick_reply");
    BOOST_TEST(m.text == "Cancel");
    BOOST_TEST(m.payload->getValue<std::string>("value") == "cancel-button");
    auto context = m.payload->getObject("whatsapp")->getObject("context");
    BOOST_REQUIRE(context);
    BOOST_TEST(context->getValue<std::string>("id") == "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MEM2RUJFNkI0RENGQTVDRjUA");
}

BOOST_AUTO_TEST_CASE(status_fixtures_give_statuses_and_failed_keeps_its_errors) {
    for (const char* name : {"pywa_status_delivered.json", "pywa_status_read.json"}) {
        ParsedWebhook p = parseWebhook(parseObject(fixture(name)));
        BOOST_REQUIRE(p.statuses.size() == 1u);
        BOOST_TEST(p.statuses[0].wamid == "wamid.xyzxyz");
        BOOST_TEST(p.statuses[0].recipient_id == "972987654321");
        BOOST_TEST(p.statuses[0].phone_number_id == "1122334455667");
        BOOST_TEST(p.messages.empty());
    }
    ParsedWebhook failed = parseWebhook(parseObject(fixture("pywa_status_failed.json")));
    BOOST_REQUIRE(failed.statuses.size() == 1u);
    BOOST_TEST(failed.statuses[0].status == "failed");
    BOOST_REQUIRE(failed.statuses[0].errors);
    BOOST_TEST(failed.statuses[0].errors->getObject(0)->getValue<int>("code") == 130472);
}

// Builds a multi-entry payload from the fixtures (their parsed values, not retyped text).
BOOST_AUTO_TEST_CASE(every_entry_change_message_and_status_is_read) {
    auto root = parseObject(fixture("meta_inbound_text.json"));
    auto image = parseObject(fixture("meta_inbound_image.json"))->getArray("entry")->getObject(0);
    auto status = parseObject(fixture("pywa_status_read.json"))->getArray("entry")->getObject(0);
    root->getArray("entry")->add(image);
    root->getArray("entry")->add(status);
    auto second_change = parseObject(fixture("meta_inbound_interactive_button_reply.json"))->getArray("entry")->getObject(0)->getArray("changes")->getObject(0);
    root->getArray("entry")->getObject(0)->getArray("changes")->add(second_change);
    ParsedWebhook p = parseWebhook(root);
    BOOST_TEST(p.messages.size() == 3u);
    BOOST_TEST(p.statuses.size() == 1u);
}

BOOST_AUTO_TEST_CASE(unknown_fields_and_types_are_accepted_and_listed) {
    auto root = parseObject(fixture("meta_inbound_text.json"));
    auto change = root->getArray("entry")->getObject(0)->getArray("changes")->getObject(0);
    change->set("field", std::string("account_update"));
    ParsedWebhook p = parseWebhook(root);
    BOOST_TEST(p.messages.empty());
    BOOST_TEST(p.ignored.size() == 1u);

    auto text = parseObject(fixture("meta_inbound_text.json"));
    auto m = text->getArray("entry")->getObject(0)->getArray("changes")->getObject(0)->getObject("value")->getArray("messages")->getObject(0);
    m->set("type", std::string("order"));
    m->set("order", parseObject(R"({"catalog_id":"1"})"));
    ParsedWebhook q = parseWebhook(text);
    BOOST_REQUIRE(q.messages.size() == 1u);
    BOOST_TEST(q.messages[0].type == "unsupported");
    BOOST_TEST(q.messages[0].payload->has("order"));
}

BOOST_AUTO_TEST_CASE(each_whatsapp_type_maps_to_a_parley_message) {
    struct Case {
        const char* json;
        const char* type;
        const char* text;
    } cases[] = {
        {R"({"id":"w1","from":"1","timestamp":"1","type":"location","location":{"latitude":38.9,"longitude":-77.0,"name":"Office"}})", "location", "Office"},
        {R"({"id":"w2","from":"1","timestamp":"1","type":"contacts","contacts":[{"name":{"formatted_name":"Ana Ruiz"}}]})", "contacts", "Ana Ruiz"},
        {R"({"id":"w3","from":"1","timestamp":"1","type":"reaction","reaction":{"message_id":"wamid.X","emoji":"👍"}})", "reaction", "👍"},
        {R"({"id":"w4","from":"1","timestamp":"1","type":"reaction","reaction":{"message_id":"wamid.X"}})", "reaction", ""},
        {R"({"id":"w5","from":"1","timestamp":"1","type":"button","button":{"text":"Yes","payload":"yes-payload"}})", "quick_reply", "Yes"},
        {R"({"id":"w6","from":"1","timestamp":"1","type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"r1","title":"Row 1","description":"d"}}})", "quick_reply", "Row 1"},
        {R"({"id":"w7","timestamp":"1","type":"system","system":{"body":"User changed number","wa_id":"2","type":"user_changed_number"}})", "system", "User changed number"},
        {R"({"id":"w8","from":"1","timestamp":"1","type":"unsupported","errors":[{"code":131051,"title":"Message type unknown"}]})", "unsupported", ""},
        {R"({"id":"w9","from":"1","timestamp":"1","type":"document","document":{"id":"m1","filename":"invoice.pdf","mime_type":"application/pdf"}})", "document", "invoice.pdf"},
        {R"({"id":"wa","from":"1","timestamp":"1","type":"sticker","sticker":{"id":"m2","mime_type":"image/webp","animated":false}})", "sticker", ""},
        {R"({"id":"wb","from":"1","timestamp":"1","type":"audio","audio":{"id":"m3","mime_type":"audio/ogg","voice":true}})", "audio", ""},
        {R"({"id":"wc","from":"1","timestamp":"1","type":"video","video":{"id":"m4","caption":"clip"}})", "video", "clip"},
    };
    for (const auto& c : cases) {
        Inbound in = mapMessage(parseObject(c.json));
        BOOST_TEST(in.type == c.type, c.json);
        BOOST_TEST(in.text == c.text, c.json);
    }
    BOOST_TEST(mapMessage(parseObject(cases[3].json)).payload->getObject("reaction")->getValue<bool>("removed"));
    BOOST_TEST(mapMessage(parseObject(cases[6].json)).wa_id == "2");
    BOOST_TEST(mapMessage(parseObject(cases[7].json)).payload->getArray("errors")->size() == 1u);
}

BOOST_AUTO_TEST_CASE(referral_is_kept_as_attribution) {
    Inbound in = mapMessage(parseObject(
        R"({"id":"w","from":"1","timestamp":"1","type":"text","text":{"body":"hi"},"referral":{"source_url":"https://fb.me/x","source_id":"ad-1","source_type":"ad","headline":"Sale"}})"));
    BOOST_REQUIRE(in.referral);
    BOOST_TEST(in.referral->getValue<std::string>("source_id") == "ad-1");
}

BOOST_AUTO_TEST_SUITE_END()

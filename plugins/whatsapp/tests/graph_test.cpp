// Send bodies have the fixtures' shapes (same keys, same value types); responses are classified as the sender
// needs them.
#include "../src/db.hpp"
#include "../src/graph.hpp"
#include "fixture.hpp"

#include <boost/test/unit_test.hpp>

using namespace parley::whatsapp;

namespace {

// Same keys at every level and the same JSON kinds (placeholder values differ).
bool sameShape(const Poco::Dynamic::Var& a, const Poco::Dynamic::Var& b, std::string& where) {
    if (a.type() == typeid(Object::Ptr) && b.type() == typeid(Object::Ptr)) {
        auto x = a.extract<Object::Ptr>(), y = b.extract<Object::Ptr>();
        if (x->getNames() != y->getNames()) {
            where += " keys differ";
            return false;
        }
        for (const auto& k : x->getNames()) {
            where += "." + k;
            if (!sameShape(x->get(k), y->get(k), where)) return false;
            where.resize(where.size() - k.size() - 1);
        }
        return true;
    }
    if (a.type() == typeid(Array::Ptr) && b.type() == typeid(Array::Ptr)) {
        auto x = a.extract<Array::Ptr>(), y = b.extract<Array::Ptr>();
        if (x->size() != y->size()) return where += " sizes differ", false;
        for (size_t i = 0; i < x->size(); ++i)
            if (!sameShape(x->get(i), y->get(i), where)) return false;
        return true;
    }
    bool ok = a.isString() == b.isString() && a.isBoolean() == b.isBoolean() && a.isNumeric() == b.isNumeric();
    if (!ok) where += " kinds differ";
    return ok;
}

Object::Ptr message(const std::string& json) { return parseObject(json); }

}  // namespace

BOOST_AUTO_TEST_SUITE(graph)

BOOST_AUTO_TEST_CASE(text_body_has_the_shape_of_the_fixture) {
    std::string why;
    std::string body = messageBody(message(R"({"type":"text","text":"hello","payload":{}})"), "16505551234", "", why);
    std::string where;
    BOOST_TEST(sameShape(parseObject(body), parseObject(fixture("meta_send_text_request.json")), where), where);
}

BOOST_AUTO_TEST_CASE(two_quick_replies_become_reply_buttons_like_the_fixture) {
    std::string why;
    std::string body = messageBody(message(R"({"type":"text","text":"Pick","payload":{"quick_replies":["Yes","No"]}})"), "1", "", why);
    std::string where;
    BOOST_TEST(sameShape(parseObject(body), parseObject(fixture("meta_send_interactive_buttons_request.json")), where), where);
}

BOOST_AUTO_TEST_CASE(template_body_has_the_shape_of_the_fixture_for_text_parameters) {
    std::string body = templateBody("1", "order_update", "en_US", {"Ana"});
    auto fixture_tpl = parseObject(fixture("meta_send_template_text_request.json"));
    auto ours = parseObject(body);
    BOOST_TEST(ours->getNames() == fixture_tpl->getNames());
    BOOST_TEST(ours->getObject("template")->getNames() == fixture_tpl->getObject("template")->getNames());
    auto param = ours->getObject("template")->getArray("components")->getObject(0)->getArray("parameters")->getObject(0);
    BOOST_TEST(param->getNames() ==
               fixture_tpl->getObject("template")->getArray("components")->getObject(0)->getArray("parameters")->getObject(0)->getNames());
}

BOOST_AUTO_TEST_CASE(read_receipt_with_typing_has_the_shape_of_the_fixture) {
    std::string where;
    BOOST_TEST(sameShape(parseObject(readReceiptBody("wamid.A")), parseObject(fixture("meta_send_read_receipt_typing_request.json")), where), where);
}

BOOST_AUTO_TEST_CASE(interactive_limits_choose_buttons_list_or_numbered_text) {
    std::string why;
    auto four = parseObject(messageBody(message(R"({"type":"text","text":"Pick","payload":{"quick_replies":["A","B","C","D"]}})"), "1", "", why));
    BOOST_TEST(four->getObject("interactive")->getValue<std::string>("type") == "list");
    BOOST_TEST(four->getObject("interactive")->getObject("action")->getArray("sections")->getObject(0)->getArray("rows")->size() == 4u);
    auto long_title = parseObject(messageBody(message(R"({"type":"text","text":"Pick","payload":{"quick_replies":["A title of 21 chars!!"]}})"), "1", "", why));
    BOOST_TEST(long_title->getObject("interactive")->getValue<std::string>("type") == "list");  // 21 > 20, fits 24
    auto eleven = parseObject(messageBody(
        message(R"({"type":"text","text":"Pick","payload":{"quick_replies":["1","2","3","4","5","6","7","8","9","10","11"]}})"), "1", "", why));
    BOOST_TEST(eleven->getValue<std::string>("type") == "text");
    BOOST_TEST(eleven->getObject("text")->getValue<std::string>("body").find("\n11. 11") != std::string::npos);
    // Titles count characters, not bytes: 20 accented letters fit a button.
    std::string accented;
    for (int i = 0; i < 20; ++i) accented += "\xc3\xa9";
    auto fits = parseObject(messageBody(message(R"({"type":"text","text":"P","payload":{"quick_replies":[")" + accented + R"("]}})"), "1", "", why));
    BOOST_TEST(fits->getObject("interactive")->getValue<std::string>("type") == "button");
}

BOOST_AUTO_TEST_CASE(reply_context_and_unsendable_messages) {
    std::string why;
    auto reply = parseObject(messageBody(message(R"({"type":"text","text":"hi","payload":{}})"), "1", "wamid.Q", why));
    BOOST_TEST(reply->getObject("context")->getValue<std::string>("message_id") == "wamid.Q");
    BOOST_TEST(messageBody(message(R"({"type":"file","text":"","payload":{"file":{"url":"/api/v1/files/x"}}})"), "1", "", why).empty());
    BOOST_TEST(!why.empty());
}

BOOST_AUTO_TEST_CASE(responses_are_classified_from_the_fixtures) {
    auto ok = classifyResponse(200, fixture("meta_send_success_response.json"));
    BOOST_TEST(static_cast<int>(ok.outcome) == static_cast<int>(SendOutcome::accepted));
    BOOST_TEST(ok.wamid == "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJCOTY3NDc0NDFDRUI3NTA0Q0UA");
    auto expired = classifyResponse(401, "{\"error\":" + fixture("pywa_error_190_expired_token.json") + "}");
    BOOST_TEST(static_cast<int>(expired.outcome) == static_cast<int>(SendOutcome::token_expired));
    BOOST_TEST(expired.code == 190);
    auto window = classifyResponse(400, "{\"error\":" + fixture("pywa_error_131047_reengagement.json") + "}");
    BOOST_TEST(static_cast<int>(window.outcome) == static_cast<int>(SendOutcome::permanent));
    BOOST_TEST(window.code == 131047);
    BOOST_TEST(static_cast<int>(classifyResponse(400, R"({"error":{"code":130429,"message":"rate"}})").outcome) == static_cast<int>(SendOutcome::retry));
    BOOST_TEST(static_cast<int>(classifyResponse(400, R"({"error":{"code":131056,"message":"pair"}})").outcome) == static_cast<int>(SendOutcome::retry));
    BOOST_TEST(static_cast<int>(classifyResponse(503, "busy").outcome) == static_cast<int>(SendOutcome::retry));
    BOOST_TEST(static_cast<int>(classifyResponse(400, R"({"error":{"code":100,"message":"bad param"}})").outcome) == static_cast<int>(SendOutcome::permanent));
}

BOOST_AUTO_TEST_SUITE_END()

// Signatures against the Standard Webhooks known-answer vector (byte for byte), rotation headers, legacy.
#define BOOST_TEST_MODULE crm_webhooks
#include "../signing.hpp"

#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

using namespace parley::crm_webhooks;

namespace {
Poco::JSON::Object::Ptr knownAnswer() {
    std::ifstream in(std::string(CRM_WEBHOOKS_FIXTURES) + "/webhooks/standard_webhooks_known_answer.json");
    std::stringstream text;
    text << in.rdbuf();
    Poco::JSON::Parser parser;
    return parser.parse(text.str()).extract<Poco::JSON::Object::Ptr>();
}
}  // namespace

BOOST_AUTO_TEST_SUITE(signing)

BOOST_AUTO_TEST_CASE(the_standard_webhooks_known_answer_vector_signs_byte_for_byte) {
    auto v = knownAnswer();
    std::string payload = v->getValue<std::string>("payload");
    BOOST_TEST(v->getValue<std::string>("msg_id") + "." + std::to_string(v->getValue<long long>("timestamp")) + "." + payload ==
               v->getValue<std::string>("signed_content"));
    BOOST_TEST(standardSignature(v->getValue<std::string>("secret"), v->getValue<std::string>("msg_id"),
                                 v->getValue<long long>("timestamp"), payload) ==
               v->getValue<std::string>("expected_webhook_signature"));
}

BOOST_AUTO_TEST_CASE(a_changed_byte_of_body_id_or_timestamp_changes_the_signature) {
    auto v = knownAnswer();
    std::string secret = v->getValue<std::string>("secret"), id = v->getValue<std::string>("msg_id");
    long long ts = v->getValue<long long>("timestamp");
    std::string good = standardSignature(secret, id, ts, v->getValue<std::string>("payload"));
    BOOST_TEST(standardSignature(secret, id, ts, "{\"test\": 2432232315}") != good);
    BOOST_TEST(standardSignature(secret, id + "x", ts, v->getValue<std::string>("payload")) != good);
    BOOST_TEST(standardSignature(secret, id, ts + 1, v->getValue<std::string>("payload")) != good);
}

BOOST_AUTO_TEST_CASE(during_a_rotation_both_secrets_sign_newest_first) {
    std::string a = newSecret(), b = newSecret();
    std::string header = standardSignatureHeader({a, b}, "msg_1", 1700000000, "{}");
    BOOST_TEST(header == standardSignature(a, "msg_1", 1700000000, "{}") + " " + standardSignature(b, "msg_1", 1700000000, "{}"));
}

BOOST_AUTO_TEST_CASE(new_secrets_are_whsec_base64_of_24_random_bytes) {
    std::string a = newSecret(), b = newSecret();
    BOOST_TEST(a.rfind("whsec_", 0) == 0u);
    BOOST_TEST(secretKey(a).size() == 24u);
    BOOST_TEST(a != b);
    BOOST_CHECK_THROW(secretKey("sk_nope"), std::invalid_argument);
    BOOST_CHECK_THROW(secretKey("whsec_###"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(the_legacy_signature_is_the_hex_hmac_of_the_body) {
    // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    BOOST_TEST(legacySignature("Jefe", "what do ya want for nothing?") ==
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

BOOST_AUTO_TEST_CASE(constant_time_comparison_tells_equal_from_unequal) {
    BOOST_TEST(constantTimeEquals("abc", "abc"));
    BOOST_TEST(!constantTimeEquals("abc", "abd"));
    BOOST_TEST(!constantTimeEquals("abc", "abcd"));
}

BOOST_AUTO_TEST_SUITE_END()

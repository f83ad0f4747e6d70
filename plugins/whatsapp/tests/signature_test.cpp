// X-Hub-Signature-256: the published known-answer vector, a one-byte change, missing and malformed headers, and
// a body with non-ASCII bytes signed as it travels (never re-serialized).
#include "../src/signature.hpp"
#include "../src/db.hpp"
#include "fixture.hpp"

#include <boost/test/unit_test.hpp>

using namespace parley::whatsapp;

BOOST_AUTO_TEST_SUITE(signature)

BOOST_AUTO_TEST_CASE(known_answer_vector_from_the_fixture_verifies) {
    auto kat = parseObject(fixture("x_hub_signature_256_known_answer.json"));
    std::string secret = kat->getValue<std::string>("secret"), payload = kat->getValue<std::string>("payload");
    std::string header = kat->getValue<std::string>("expected_header_X-Hub-Signature-256");
    BOOST_TEST("sha256=" + hmacSha256Hex(secret, payload) == header);
    BOOST_TEST(static_cast<int>(checkSignature(secret, payload, header)) == static_cast<int>(SignatureCheck::ok));
}

BOOST_AUTO_TEST_CASE(a_one_byte_change_in_body_or_signature_is_a_mismatch) {
    auto kat = parseObject(fixture("x_hub_signature_256_known_answer.json"));
    std::string secret = kat->getValue<std::string>("secret"), payload = kat->getValue<std::string>("payload");
    std::string header = kat->getValue<std::string>("expected_header_X-Hub-Signature-256");
    std::string body = payload;
    body[0] ^= 1;
    BOOST_TEST(static_cast<int>(checkSignature(secret, body, header)) == static_cast<int>(SignatureCheck::mismatch));
    std::string altered = header;
    altered.back() = altered.back() == '0' ? '1' : '0';
    BOOST_TEST(static_cast<int>(checkSignature(secret, payload, altered)) == static_cast<int>(SignatureCheck::mismatch));
    BOOST_TEST(static_cast<int>(checkSignature(secret + "x", payload, header)) == static_cast<int>(SignatureCheck::mismatch));
}

BOOST_AUTO_TEST_CASE(missing_and_malformed_headers_are_told_apart) {
    BOOST_TEST(static_cast<int>(checkSignature("s", "b", "")) == static_cast<int>(SignatureCheck::missing));
    BOOST_TEST(static_cast<int>(checkSignature("s", "b", "sha1=abc")) == static_cast<int>(SignatureCheck::malformed));
    BOOST_TEST(static_cast<int>(checkSignature("s", "b", "sha256=" + std::string(64, 'z'))) == static_cast<int>(SignatureCheck::malformed));
}

BOOST_AUTO_TEST_CASE(upper_case_hex_is_accepted) {
    std::string hex = hmacSha256Hex("secret", "body");
    for (auto& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    BOOST_TEST(static_cast<int>(checkSignature("secret", "body", "sha256=" + hex)) == static_cast<int>(SignatureCheck::ok));
}

BOOST_AUTO_TEST_CASE(non_ascii_bodies_are_signed_over_their_raw_bytes_not_a_reserialization) {
    // Meta escapes non-ASCII as \uXXXX in what it signs; re-serializing would turn it into UTF-8 and break the check.
    std::string escaped = R"({"text":{"body":"caf\u00e9 \ud83d\ude00"}})";
    std::string header = "sha256=" + hmacSha256Hex("app-secret", escaped);
    BOOST_TEST(static_cast<int>(checkSignature("app-secret", escaped, header)) == static_cast<int>(SignatureCheck::ok));
    std::string reserialized = jsonText(parseObject(escaped));
    BOOST_TEST(reserialized != escaped);
    BOOST_TEST(static_cast<int>(checkSignature("app-secret", reserialized, header)) == static_cast<int>(SignatureCheck::mismatch));
    std::string utf8 = "{\"text\":{\"body\":\"caf\xc3\xa9\"}}";
    BOOST_TEST(static_cast<int>(checkSignature("app-secret", utf8, "sha256=" + hmacSha256Hex("app-secret", utf8))) ==
               static_cast<int>(SignatureCheck::ok));
}

BOOST_AUTO_TEST_SUITE_END()

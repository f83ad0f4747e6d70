// Proves the crypto primitives against published known answers and the sealing of secrets at rest.
#include "auth/crypto.hpp"
#include "auth/secret_box.hpp"

#include "support.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

using namespace parley::core;
using core_test::contains;
using core_test::errorMessageFrom;

namespace {

// The fixture file parsed as a JSON object; the file is read byte for byte so no escaping is reinterpreted.
Poco::JSON::Object::Ptr fixture(const std::string& relative) {
    std::string path = std::string(PARLEY_FIXTURES_DIR) + "/" + relative;
    std::ifstream in(path, std::ios::binary);
    BOOST_REQUIRE_MESSAGE(in, "cannot open fixture " << path);
    std::stringstream bytes;
    bytes << in.rdbuf();
    return Poco::JSON::Parser().parse(bytes.str()).extract<Poco::JSON::Object::Ptr>();
}

const std::string kKeyA(32, 'a');
const std::string kKeyB(32, 'b');
const std::string kKeyC(32, 'c');

// `sealed` with one character of its base64url payload replaced, in the middle so that real bits change.
std::string tampered(const std::string& sealed) {
    auto payload = sealed.rfind('.') + 1;
    size_t i = payload + (sealed.size() - payload) / 2;
    std::string out = sealed;
    out[i] = out[i] == 'A' ? 'B' : 'A';
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(crypto)

BOOST_AUTO_TEST_CASE(hmac_sha256_matches_rfc_4231_test_case_2) {
    BOOST_TEST(hexEncode(hmacSha256("Jefe", "what do ya want for nothing?")) ==
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

BOOST_AUTO_TEST_CASE(hmac_sha256_reproduces_the_standard_webhooks_known_answer) {
    auto f = fixture("webhooks/standard_webhooks_known_answer.json");
    const std::string secret = f->getValue<std::string>("secret");
    BOOST_REQUIRE(secret.rfind("whsec_", 0) == 0);
    const std::string key = base64Decode(secret.substr(6));
    const std::string content = f->getValue<std::string>("msg_id") + "." +
                                std::to_string(f->getValue<long long>("timestamp")) + "." +
                                f->getValue<std::string>("payload");
    BOOST_TEST(content == f->getValue<std::string>("signed_content"));
    BOOST_TEST("v1," + base64Encode(hmacSha256(key, content)) ==
               f->getValue<std::string>("expected_webhook_signature"));
}

BOOST_AUTO_TEST_CASE(hmac_sha256_reproduces_the_x_hub_signature_256_known_answer) {
    auto f = fixture("whatsapp/x_hub_signature_256_known_answer.json");
    const std::string header =
        "sha256=" + hexEncode(hmacSha256(f->getValue<std::string>("secret"), f->getValue<std::string>("payload")));
    BOOST_TEST(header == f->getValue<std::string>("expected_header_X-Hub-Signature-256"));
}

BOOST_AUTO_TEST_CASE(sha256_matches_fips_180_known_values) {
    BOOST_TEST(sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    BOOST_TEST(sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    BOOST_TEST(sha256("abc").size() == 32u);
}

BOOST_AUTO_TEST_CASE(base64_encodes_rfc_4648_vectors_and_decodes_them_back) {
    struct Case {
        const char* plain;
        const char* encoded;
        const char* url;
    };
    const Case cases[] = {
        {"", "", ""},
        {"f", "Zg==", "Zg"},
        {"fo", "Zm8=", "Zm8"},
        {"foo", "Zm9v", "Zm9v"},
        {"foob", "Zm9vYg==", "Zm9vYg"},
        {"fooba", "Zm9vYmE=", "Zm9vYmE"},
        {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
        {"\xfb\xff", "+/8=", "-_8"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT("plain: " << c.plain) {
            BOOST_TEST(base64Encode(c.plain) == c.encoded);
            BOOST_TEST(base64Decode(c.encoded) == c.plain);
            BOOST_TEST(base64UrlEncode(c.plain) == c.url);
            BOOST_TEST(base64UrlDecode(c.url) == c.plain);
        }
    }
}

BOOST_AUTO_TEST_CASE(base64_round_trips_every_byte_value_at_every_length_modulo_three) {
    std::string all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
    for (size_t n : {253u, 254u, 255u, 256u}) {
        BOOST_TEST_CONTEXT("length " << n) {
            std::string data = all.substr(0, n);
            BOOST_TEST(base64Decode(base64Encode(data)) == data);
            std::string url = base64UrlEncode(data);
            BOOST_TEST(url.find_first_of("+/=") == std::string::npos);
            BOOST_TEST(base64UrlDecode(url) == data);
        }
    }
}

BOOST_AUTO_TEST_CASE(base64_rejects_malformed_text) {
    for (const char* text : {"Zg=", "Zm9", "Zm9v!A==", "Zm 9", "!!!!", "Zg==Zg=="}) {
        BOOST_TEST_CONTEXT("text: " << text) {
            BOOST_CHECK_THROW(base64Decode(text), std::invalid_argument);
        }
    }
    // base64url refuses the standard alphabet's + and /, and a length no encoder produces.
    for (const char* text : {"-_+8", "ab/c", "Zm9v!A", "Z"}) {
        BOOST_TEST_CONTEXT("url text: " << text) {
            BOOST_CHECK_THROW(base64UrlDecode(text), std::invalid_argument);
        }
    }
}

BOOST_AUTO_TEST_CASE(hex_encode_gives_two_lowercase_digits_per_byte) {
    BOOST_TEST(hexEncode(std::string("\x00\x0f\xa0\xff", 4)) == "000fa0ff");
    BOOST_TEST(hexEncode("") == "");
}

BOOST_AUTO_TEST_CASE(constant_time_equals_is_true_only_for_identical_strings) {
    struct Case {
        const char* a;
        const char* b;
        bool equal;
    };
    const Case cases[] = {
        {"secret", "secret", true}, {"", "", true},           {"secret", "secreT", false},
        {"secret", "Secret", false}, {"secret", "secret!", false}, {"secret", "", false},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.a << " vs " << c.b) {
            BOOST_TEST(constantTimeEquals(c.a, c.b) == c.equal);
        }
    }
}

BOOST_AUTO_TEST_CASE(random_tokens_are_prefixed_url_safe_and_distinct) {
    std::string a = randomToken(32, "pk_"), b = randomToken(32, "pk_");
    BOOST_TEST(a.rfind("pk_", 0) == 0u);
    BOOST_TEST(a.size() == 3u + 43u);  // 32 bytes are 43 base64url characters without padding
    BOOST_TEST(a.find_first_of("+/=") == std::string::npos);
    BOOST_TEST(a != b);
    BOOST_TEST(randomBytes(16).size() == 16u);
}

BOOST_AUTO_TEST_CASE(secret_box_seal_then_open_returns_the_plaintext) {
    SecretBox box(kKeyA);
    for (const std::string plaintext : {std::string(""), std::string("whsec_abc"), std::string(5000, 'x'),
                                        std::string("\0bin\xff", 5)}) {
        BOOST_TEST_CONTEXT("length " << plaintext.size()) {
            std::string sealed = box.seal(plaintext, "widget:1");
            BOOST_TEST(sealed.rfind("v1." + SecretBox::keyId(kKeyA) + ".", 0) == 0u);
            BOOST_TEST(!contains(sealed, "whsec_abc"));
            BOOST_TEST(box.open(sealed, "widget:1") == plaintext);
        }
    }
}

BOOST_AUTO_TEST_CASE(secret_box_seals_the_same_plaintext_differently_each_time) {
    SecretBox box(kKeyA);
    BOOST_TEST(box.seal("same") != box.seal("same"));
}

BOOST_AUTO_TEST_CASE(secret_box_refuses_altered_truncated_or_foreign_values) {
    SecretBox box(kKeyA);
    std::string sealed = box.seal("the secret", "ctx");
    std::string no_tail = sealed.substr(0, sealed.size() - 4);
    std::string too_short = "v1." + SecretBox::keyId(kKeyA) + ".AAAA";
    for (const std::string& bad : {tampered(sealed), no_tail, too_short, std::string("v2.") + sealed.substr(3),
                                   std::string("plain text"), sealed + "!"}) {
        BOOST_TEST_CONTEXT(bad) {
            BOOST_CHECK_THROW(box.open(bad, "ctx"), std::runtime_error);
        }
    }
}

BOOST_AUTO_TEST_CASE(secret_box_refuses_a_value_opened_under_another_context) {
    SecretBox box(kKeyA);
    std::string sealed = box.seal("the secret", "widget:1");
    BOOST_CHECK_THROW(box.open(sealed, "widget:2"), std::runtime_error);
    BOOST_CHECK_THROW(box.open(sealed), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(secret_box_opens_values_of_a_previous_key_only_while_it_is_listed) {
    std::string old_sealed = SecretBox(kKeyA).seal("rotated", "ctx");

    SecretBox rotated(kKeyB, {kKeyC, kKeyA});
    BOOST_TEST(rotated.open(old_sealed, "ctx") == "rotated");
    BOOST_TEST(!rotated.isCurrent(old_sealed));
    BOOST_TEST(rotated.isCurrent(rotated.seal("new", "ctx")));

    SecretBox forgotten(kKeyB, {kKeyC});
    auto message = errorMessageFrom<std::runtime_error>([&] { forgotten.open(old_sealed, "ctx"); });
    BOOST_REQUIRE(message.has_value());
    BOOST_TEST(contains(*message, SecretBox::keyId(kKeyA)), *message);
}

BOOST_AUTO_TEST_CASE(secret_box_refuses_keys_that_are_not_32_bytes) {
    BOOST_CHECK_THROW(SecretBox(std::string(31, 'k')), std::invalid_argument);
    BOOST_CHECK_THROW(SecretBox(std::string(33, 'k')), std::invalid_argument);
    BOOST_CHECK_THROW(SecretBox(kKeyA, {std::string(16, 'k')}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(key_id_is_the_first_eight_hex_digits_of_the_key_hash) {
    BOOST_TEST(SecretBox::keyId(kKeyA) == sha256Hex(kKeyA).substr(0, 8));
    BOOST_TEST(SecretBox::keyId(kKeyA) != SecretBox::keyId(kKeyB));
}

BOOST_AUTO_TEST_CASE(keyed_hash_is_stable_per_input_and_key_and_never_the_plain_sha256) {
    SecretBox box(kKeyA);
    std::string h = box.keyedHash("203.0.113.7");
    BOOST_TEST(h == box.keyedHash("203.0.113.7"));
    BOOST_TEST(h == SecretBox(kKeyA, {kKeyB}).keyedHash("203.0.113.7"));
    BOOST_TEST(h != box.keyedHash("203.0.113.8"));
    BOOST_TEST(h != SecretBox(kKeyB).keyedHash("203.0.113.7"));
    BOOST_TEST(h.size() == 32u);
    BOOST_TEST(h.find_first_not_of("0123456789abcdef") == std::string::npos);
    BOOST_TEST(!contains(sha256Hex("203.0.113.7"), h));
}

BOOST_AUTO_TEST_CASE(mask_secret_keeps_a_short_prefix_and_the_last_four_characters) {
    struct Case {
        const char* secret;
        const char* masked;
    };
    const Case cases[] = {
        {"ws_0123456789abcdef9f2a", "ws_••••9f2a"},
        {"whsec_MfKQ9r8GKYqrTwjU", "whsec_••••TwjU"},
        {"abcdefghijkl", "••••ijkl"},
        {"averylongprefix_abcd1234", "••••1234"},  // an underscore far in is not a prefix
        {"12345678", "••••"},                       // too short to reveal anything
        {"", "••••"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.secret) {
            BOOST_TEST(maskSecret(c.secret) == c.masked);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

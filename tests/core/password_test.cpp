// Proves argon2id password hashing, verification and the length policy (with a tiny cost so tests stay fast).
#include "auth/password.hpp"

#include "support.hpp"

#include <boost/test/unit_test.hpp>

using namespace parley::core;
using core_test::apiErrorFrom;
using core_test::contains;

namespace {

const PasswordPolicy kFast{1024, 1, 10};

}  // namespace

BOOST_AUTO_TEST_SUITE(password)

BOOST_AUTO_TEST_CASE(hash_is_an_argon2id_phc_string_with_the_policy_cost) {
    std::string hash = hashPassword("correct horse battery", kFast);
    BOOST_TEST(hash.rfind("$argon2id$v=19$m=1024,t=1,p=1$", 0) == 0u, hash);
    BOOST_TEST(!contains(hash, "correct horse"));
}

BOOST_AUTO_TEST_CASE(hashed_password_verifies_and_others_do_not) {
    std::string hash = hashPassword("correct horse battery", kFast);
    BOOST_TEST(verifyPassword("correct horse battery", hash));
    for (const char* wrong : {"correct horse batterY", "correct horse battery ", "", "correct horse"}) {
        BOOST_TEST_CONTEXT("'" << wrong << "'") {
            BOOST_TEST(!verifyPassword(wrong, hash));
        }
    }
}

BOOST_AUTO_TEST_CASE(malformed_or_foreign_hashes_never_verify) {
    std::string hash = hashPassword("pw-1234567890", kFast);
    const std::string cases[] = {
        "",
        "pw-1234567890",                                    // a plaintext stored by mistake
        "$argon2id$garbage",
        hash.substr(0, hash.size() - 5),                    // truncated
        "$argon2i$" + hash.substr(std::string("$argon2id$").size()),  // another argon2 variant
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",  // bcrypt
    };
    for (const auto& encoded : cases) {
        BOOST_TEST_CONTEXT(encoded) {
            BOOST_TEST(!verifyPassword("pw-1234567890", encoded));
        }
    }
}

BOOST_AUTO_TEST_CASE(hashes_of_the_same_password_differ_by_salt_and_both_verify) {
    std::string a = hashPassword("same password!", kFast), b = hashPassword("same password!", kFast);
    BOOST_TEST(a != b);
    BOOST_TEST(verifyPassword("same password!", a));
    BOOST_TEST(verifyPassword("same password!", b));
}

BOOST_AUTO_TEST_CASE(password_shorter_than_the_policy_is_422_naming_the_field) {
    auto e = apiErrorFrom([] { checkPasswordStrength("new_password", "123456789", kFast); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->status() == 422);
    BOOST_TEST(e->code() == "invalid_field");
    BOOST_TEST(contains(e->what(), "'new_password'"), e->what());
    BOOST_TEST(contains(e->what(), "at least 10"), e->what());
}

BOOST_AUTO_TEST_CASE(password_length_bounds_are_inclusive) {
    BOOST_CHECK_NO_THROW(checkPasswordStrength("password", std::string(10, 'x'), kFast));
    BOOST_CHECK_NO_THROW(checkPasswordStrength("password", std::string(1024, 'x'), kFast));
    auto e = apiErrorFrom([] { checkPasswordStrength("password", std::string(1025, 'x'), kFast); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->status() == 422);
    BOOST_TEST(contains(e->what(), "at most 1024"), e->what());
}

BOOST_AUTO_TEST_CASE(generated_passwords_are_long_enough_distinct_and_pass_the_default_policy) {
    std::string a = generatePassword(), b = generatePassword();
    BOOST_TEST(a != b);
    BOOST_TEST(a.size() == 20u);  // 15 random bytes in base64url
    BOOST_CHECK_NO_THROW(checkPasswordStrength("password", a, PasswordPolicy{}));
}

BOOST_AUTO_TEST_SUITE_END()

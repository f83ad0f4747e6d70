// argon2id hashing and verification; the cost comes from security.argon2_* in the config.
#include "auth/password.hpp"

#include "app/errors.hpp"
#include "auth/crypto.hpp"

#include <argon2.h>

#include <vector>

namespace parley::core {

std::string hashPassword(const std::string& password, const PasswordPolicy& policy) {
    const std::string salt = randomBytes(16);
    const size_t hash_len = 32;
    size_t encoded_len = argon2_encodedlen(policy.iterations, policy.memory_kib, 1, salt.size(), hash_len,
                                           Argon2_id);
    std::vector<char> encoded(encoded_len);
    int rc = argon2id_hash_encoded(policy.iterations, policy.memory_kib, 1, password.data(), password.size(),
                                   salt.data(), salt.size(), hash_len, encoded.data(), encoded.size());
    if (rc != ARGON2_OK) throw std::runtime_error(std::string("argon2id failed: ") + argon2_error_message(rc));
    return std::string(encoded.data());
}

bool verifyPassword(const std::string& password, const std::string& encoded) {
    if (encoded.rfind("$argon2id$", 0) != 0) return false;
    return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

void checkPasswordStrength(const std::string& field, const std::string& password, const PasswordPolicy& policy) {
    if (static_cast<int>(password.size()) < policy.min_length)
        throw invalidField(field, "must be at least " + std::to_string(policy.min_length) + " characters long");
    if (password.size() > 1024) throw invalidField(field, "must be at most 1024 characters long");
}

std::string generatePassword() { return randomToken(15); }

}  // namespace parley::core

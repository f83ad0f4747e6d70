// Password hashing with argon2id (libargon2), in the PHC string format.
#pragma once

#include <string>

namespace parley::core {

struct PasswordPolicy {
    int memory_kib = 19456;
    int iterations = 2;
    int min_length = 10;
};

// Returns "$argon2id$v=19$m=...,t=...,p=1$salt$hash".
std::string hashPassword(const std::string& password, const PasswordPolicy& policy);

// True when `password` matches `encoded`; false for a mismatch or a malformed hash.
bool verifyPassword(const std::string& password, const std::string& encoded);

// Throws ApiError 422 naming the field when the password is too short or too long.
void checkPasswordStrength(const std::string& field, const std::string& password, const PasswordPolicy& policy);

// A random password for one-time use (printed once by `parleyd create-admin` and `make run`).
std::string generatePassword();

}  // namespace parley::core

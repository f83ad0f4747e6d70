// Encrypts secrets at rest with AES-256-GCM under a rotatable master key.
#pragma once

#include <string>
#include <vector>

namespace parley::core {

// Holds the current master key and older ones still accepted for decryption.
// Ciphertext format: "v1.<key id>.<base64url(nonce | ciphertext | tag)>", where the key id is the first
// 8 hex digits of SHA-256(key), so a value says which key sealed it.
class SecretBox {
public:
    // Keys are raw 32-byte strings; throws std::invalid_argument on a wrong size.
    SecretBox(std::string current_key, std::vector<std::string> previous_keys = {});

    std::string seal(const std::string& plaintext, const std::string& context = "") const;
    // Throws std::runtime_error when the value was sealed by an unknown key, altered, or bound to
    // another context (the context is authenticated, so a secret copied to another row does not open).
    std::string open(const std::string& sealed, const std::string& context = "") const;
    // True when `sealed` was made by the current key (rewrap skips it).
    bool isCurrent(const std::string& sealed) const;

    // A keyed hash for values we must match but never store in clear (visitor IPs).
    std::string keyedHash(const std::string& value) const;

    static std::string keyId(const std::string& key);

private:
    std::string current_;
    std::vector<std::string> previous_;
};

// Shows the last four characters of a secret and hides the rest: "ws_••••9f2a".
std::string maskSecret(const std::string& secret);

}  // namespace parley::core

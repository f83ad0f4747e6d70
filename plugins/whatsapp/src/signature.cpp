// HMAC through OpenSSL; comparison without early exit.
#include "signature.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>

namespace parley::whatsapp {

std::string hmacSha256Hex(std::string_view secret, std::string_view body) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &length);
    static const char* hex = "0123456789abcdef";
    std::string out;
    out.reserve(length * 2);
    for (unsigned int i = 0; i < length; ++i) {
        out.push_back(hex[digest[i] >> 4]);
        out.push_back(hex[digest[i] & 15]);
    }
    return out;
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

SignatureCheck checkSignature(std::string_view secret, std::string_view body, std::string_view header) {
    if (header.empty()) return SignatureCheck::missing;
    constexpr std::string_view prefix = "sha256=";
    if (header.substr(0, prefix.size()) != prefix || header.size() != prefix.size() + 64) return SignatureCheck::malformed;
    std::string given(header.substr(prefix.size()));
    for (char& c : given) {
        if (!std::isxdigit(static_cast<unsigned char>(c))) return SignatureCheck::malformed;
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return constantTimeEquals(hmacSha256Hex(secret, body), given) ? SignatureCheck::ok : SignatureCheck::mismatch;
}

}  // namespace parley::whatsapp

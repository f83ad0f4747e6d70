// OpenSSL-backed primitives; Poco 1.11 lacks SHA-256 HMAC engines, so we call libcrypto directly.
#include "auth/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <stdexcept>

namespace parley::core {

std::string randomBytes(size_t n) {
    std::string out(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
        throw std::runtime_error("the system random generator failed");
    return out;
}

std::string randomToken(size_t bytes, const std::string& prefix) {
    return prefix + base64UrlEncode(randomBytes(bytes));
}

std::string base64Encode(std::string_view data) {
    std::string out(4 * ((data.size() + 2) / 3), '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
    out.resize(n);
    return out;
}

std::string base64Decode(std::string_view text) {
    if (text.size() % 4 != 0) throw std::invalid_argument("base64 text has a length that is not a multiple of 4");
    // EVP_DecodeBlock reads '=' anywhere as zero bits, so padding must be checked to be only at the end.
    auto first_pad = text.find('=');
    if (first_pad != std::string_view::npos &&
        (first_pad + 2 < text.size() || text.find_first_not_of('=', first_pad) != std::string_view::npos))
        throw std::invalid_argument("malformed base64 text: '=' is allowed only as trailing padding");
    std::string out(3 * text.size() / 4, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    if (n < 0) throw std::invalid_argument("malformed base64 text");
    size_t pad = 0;
    if (!text.empty() && text.back() == '=') pad++;
    if (text.size() > 1 && text[text.size() - 2] == '=') pad++;
    out.resize(n - pad);
    return out;
}

std::string base64UrlEncode(std::string_view data) {
    std::string s = base64Encode(data);
    while (!s.empty() && s.back() == '=') s.pop_back();
    for (char& c : s) {
        if (c == '+') c = '-';
        else if (c == '/') c = '_';
    }
    return s;
}

std::string base64UrlDecode(std::string_view text) {
    std::string s(text);
    for (char& c : s) {
        if (c == '-') c = '+';
        else if (c == '_') c = '/';
        else if (c == '+' || c == '/') throw std::invalid_argument("malformed base64url text");
    }
    if (s.size() % 4 == 1) throw std::invalid_argument("malformed base64url text: impossible length");
    while (s.size() % 4) s.push_back('=');
    return base64Decode(s);
}

std::string hexEncode(std::string_view data) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    out.reserve(data.size() * 2);
    for (unsigned char c : data) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 15]);
    }
    return out;
}

std::string sha256(std::string_view data) {
    std::string out(SHA256_DIGEST_LENGTH, '\0');
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
           reinterpret_cast<unsigned char*>(out.data()));
    return out;
}

std::string sha256Hex(std::string_view data) { return hexEncode(sha256(data)); }

std::string hmacSha256(std::string_view key, std::string_view data) {
    std::string out(EVP_MAX_MD_SIZE, '\0');
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), reinterpret_cast<unsigned char*>(out.data()), &len);
    out.resize(len);
    return out;
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace parley::core

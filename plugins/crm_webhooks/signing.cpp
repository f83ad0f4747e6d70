// HMAC and base64 through OpenSSL (linked by the plugin), nothing of the host.
#include "signing.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fstream>
#include <stdexcept>

namespace parley::crm_webhooks {

std::string base64Encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<size_t>(n));
    return out;
}

std::string base64Decode(std::string_view text) {
    if (text.size() % 4 != 0) throw std::invalid_argument("base64 length is not a multiple of 4");
    std::string out(3 * text.size() / 4 + 1, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    if (n < 0) throw std::invalid_argument("not base64");
    size_t pad = 0;
    if (!text.empty() && text.back() == '=') pad++;
    if (text.size() > 1 && text[text.size() - 2] == '=') pad++;
    out.resize(static_cast<size_t>(n) - pad);
    return out;
}

std::string hexEncode(std::string_view bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 15]);
    }
    return out;
}

std::string hmacSha256(std::string_view key, std::string_view message) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
              message.size(), mac, &len))
        throw std::runtime_error("HMAC-SHA256 failed");
    return std::string(reinterpret_cast<char*>(mac), len);
}

std::string newSecret() {
    std::ifstream random("/dev/urandom", std::ios::binary);
    std::string bytes(24, '\0');
    if (!random.read(bytes.data(), static_cast<std::streamsize>(bytes.size())))
        throw std::runtime_error("cannot read /dev/urandom");
    return "whsec_" + base64Encode(bytes);
}

std::string secretKey(const std::string& secret) {
    if (secret.rfind("whsec_", 0) != 0) throw std::invalid_argument("a secret starts with whsec_");
    return base64Decode(std::string_view(secret).substr(6));
}

std::string standardSignature(const std::string& secret, const std::string& id, long long timestamp,
                              std::string_view body) {
    std::string content = id + "." + std::to_string(timestamp) + ".";
    content.append(body);
    return "v1," + base64Encode(hmacSha256(secretKey(secret), content));
}

std::string standardSignatureHeader(const std::vector<std::string>& secrets, const std::string& id,
                                    long long timestamp, std::string_view body) {
    std::string out;
    for (const auto& s : secrets) out += (out.empty() ? "" : " ") + standardSignature(s, id, timestamp, body);
    return out;
}

std::string legacySignature(const std::string& secret, std::string_view body) {
    return hexEncode(hmacSha256(secret, body));
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

}  // namespace parley::crm_webhooks

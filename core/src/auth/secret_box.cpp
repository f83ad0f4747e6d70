// AES-256-GCM sealing with key ids, so master keys rotate without losing old secrets.
#include "auth/secret_box.hpp"

#include "auth/crypto.hpp"

#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

namespace parley::core {
namespace {

constexpr size_t kNonce = 12, kTag = 16;

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

std::string gcmSeal(const std::string& key, const std::string& plaintext, const std::string& aad) {
    std::string nonce = randomBytes(kNonce);
    CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
    std::string out(plaintext.size(), '\0');
    int len = 0;
    auto u = [](const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); };
    if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, u(key), u(nonce)) != 1 ||
        EVP_EncryptUpdate(ctx.get(), nullptr, &len, u(aad), static_cast<int>(aad.size())) != 1 ||
        EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, u(plaintext),
                          static_cast<int>(plaintext.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), nullptr, &len) != 1)
        throw std::runtime_error("AES-GCM encryption failed");
    std::string tag(kTag, '\0');
    EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag, tag.data());
    return nonce + out + tag;
}

std::string gcmOpen(const std::string& key, const std::string& blob, const std::string& aad) {
    if (blob.size() < kNonce + kTag) throw std::runtime_error("sealed secret is truncated");
    std::string nonce = blob.substr(0, kNonce), tag = blob.substr(blob.size() - kTag);
    std::string body = blob.substr(kNonce, blob.size() - kNonce - kTag);
    CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
    std::string out(body.size(), '\0');
    int len = 0;
    auto u = [](const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); };
    if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, u(key), u(nonce)) != 1 ||
        EVP_DecryptUpdate(ctx.get(), nullptr, &len, u(aad), static_cast<int>(aad.size())) != 1 ||
        EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, u(body),
                          static_cast<int>(body.size())) != 1)
        throw std::runtime_error("AES-GCM decryption failed");
    EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, tag.data());
    if (EVP_DecryptFinal_ex(ctx.get(), nullptr, &len) != 1)
        throw std::runtime_error("sealed secret failed authentication (altered, or sealed for another record)");
    return out;
}

}  // namespace

SecretBox::SecretBox(std::string current_key, std::vector<std::string> previous_keys)
    : current_(std::move(current_key)), previous_(std::move(previous_keys)) {
    if (current_.size() != 32) throw std::invalid_argument("the master key must be 32 bytes");
    for (const auto& k : previous_)
        if (k.size() != 32) throw std::invalid_argument("every previous master key must be 32 bytes");
}

std::string SecretBox::keyId(const std::string& key) { return sha256Hex(key).substr(0, 8); }

std::string SecretBox::seal(const std::string& plaintext, const std::string& context) const {
    return "v1." + keyId(current_) + "." + base64UrlEncode(gcmSeal(current_, plaintext, context));
}

std::string SecretBox::open(const std::string& sealed, const std::string& context) const {
    auto first = sealed.find('.'), second = sealed.find('.', first + 1);
    if (sealed.rfind("v1.", 0) != 0 || second == std::string::npos)
        throw std::runtime_error("sealed secret has an unknown format");
    std::string id = sealed.substr(first + 1, second - first - 1);
    std::string blob;
    try {
        blob = base64UrlDecode(sealed.substr(second + 1));
    } catch (const std::invalid_argument&) {
        throw std::runtime_error("sealed secret is not valid base64url");
    }
    if (keyId(current_) == id) return gcmOpen(current_, blob, context);
    for (const auto& k : previous_)
        if (keyId(k) == id) return gcmOpen(k, blob, context);
    throw std::runtime_error("secret was sealed with master key " + id +
                             ", which is neither security.master_key nor in security.previous_master_keys");
}

bool SecretBox::isCurrent(const std::string& sealed) const {
    return sealed.rfind("v1." + keyId(current_) + ".", 0) == 0;
}

std::string SecretBox::keyedHash(const std::string& value) const {
    // A derived key, so the hash key is not the encryption key itself.
    return hexEncode(hmacSha256(hmacSha256(current_, "parley-keyed-hash"), value)).substr(0, 32);
}

std::string maskSecret(const std::string& secret) {
    if (secret.size() <= 8) return "••••";
    auto underscore = secret.find('_');
    std::string prefix = underscore != std::string::npos && underscore < 6 ? secret.substr(0, underscore + 1) : "";
    return prefix + "••••" + secret.substr(secret.size() - 4);
}

}  // namespace parley::core

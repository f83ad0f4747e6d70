// Small cryptographic primitives over OpenSSL: random tokens, hashes, HMAC, constant-time compare.
#pragma once

#include <string>
#include <string_view>

namespace parley::core {

// `n` bytes from the operating system's CSPRNG.
std::string randomBytes(size_t n);

// A random token of `bytes` bytes, base64url without padding, with an optional prefix ("pk_", "ws_").
std::string randomToken(size_t bytes, const std::string& prefix = "");

std::string base64UrlEncode(std::string_view data);
// Throws std::invalid_argument on malformed input.
std::string base64UrlDecode(std::string_view text);
std::string base64Encode(std::string_view data);
// Throws std::invalid_argument on malformed input.
std::string base64Decode(std::string_view text);
std::string hexEncode(std::string_view data);

std::string sha256(std::string_view data);
std::string sha256Hex(std::string_view data);
std::string hmacSha256(std::string_view key, std::string_view data);

// Compares two secrets in time independent of where they differ.
bool constantTimeEquals(std::string_view a, std::string_view b);

}  // namespace parley::core

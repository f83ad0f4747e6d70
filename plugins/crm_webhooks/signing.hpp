// Webhook signatures: Standard Webhooks (v1, base64 HMAC-SHA256 of "id.timestamp.body") and seed 000's
// legacy format (hex HMAC-SHA256 of the body in a `Signature` header). Plain functions, no SDK types.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace parley::crm_webhooks {

std::string base64Encode(std::string_view bytes);
// Throws std::invalid_argument on malformed input.
std::string base64Decode(std::string_view text);
std::string hexEncode(std::string_view bytes);
std::string hmacSha256(std::string_view key, std::string_view message);

// A new secret "whsec_<base64 of 24 random bytes>" from the kernel's random source.
std::string newSecret();
// The raw key of a "whsec_..." secret (the part after the prefix, base64-decoded); throws on a bad one.
std::string secretKey(const std::string& secret);

// "v1,<base64 HMAC>" for one secret.
std::string standardSignature(const std::string& secret, const std::string& id, long long timestamp,
                              std::string_view body);
// The webhook-signature header: one "v1,..." per secret, space-separated (the newest first), so a receiver
// holding either the old or the new secret verifies during a rotation's overlap.
std::string standardSignatureHeader(const std::vector<std::string>& secrets, const std::string& id,
                                    long long timestamp, std::string_view body);
// Seed 000's `Signature` header: hex HMAC-SHA256 of the body with the whole secret string as the key.
std::string legacySignature(const std::string& secret, std::string_view body);

// True when `a` equals `b`, in time that does not depend on where they differ.
bool constantTimeEquals(std::string_view a, std::string_view b);

}  // namespace parley::crm_webhooks

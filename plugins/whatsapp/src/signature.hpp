// X-Hub-Signature-256: the HMAC-SHA256 of the raw body bytes under the app secret, checked in constant time.
#pragma once

#include <string>
#include <string_view>

namespace parley::whatsapp {

// Lower-case hex HMAC-SHA256 of `body` under `secret`.
std::string hmacSha256Hex(std::string_view secret, std::string_view body);

enum class SignatureCheck { ok, missing, malformed, mismatch };

// Checks a header value ("sha256=<64 hex>") against the body; never re-serializes anything.
SignatureCheck checkSignature(std::string_view secret, std::string_view body, std::string_view header);

// Equal strings in time that depends on their length only.
bool constantTimeEquals(std::string_view a, std::string_view b);

}  // namespace parley::whatsapp

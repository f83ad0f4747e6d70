// The Graph API's send side: request bodies for each message kind, and what a response means for the sender.
// Plain code (Poco JSON only), unit-tested against the fixtures' shapes.
#pragma once

#include <Poco/JSON/Object.h>

#include <string>
#include <vector>

namespace parley::whatsapp {

// Interactive limits Meta enforces: reply buttons (at most 3, titles at most 20 characters) and lists (at most
// 10 rows, titles at most 24).
constexpr size_t kMaxButtons = 3, kMaxButtonTitle = 20, kMaxListRows = 10, kMaxRowTitle = 24;

// The body for a Parley message (as stored: type, text, payload) to `to`. Text becomes "text" (with
// "context" when `reply_to_wamid` is set); quick replies become reply buttons when they fit, a list when they
// fit that, else numbered lines in the text; file or image messages with a public URL become document or
// image. Returns "" for a message WhatsApp cannot carry (the sender records why).
std::string messageBody(const Poco::JSON::Object::Ptr& message, const std::string& to, const std::string& reply_to_wamid,
                        std::string& why_not);

// A template message: `name`, `language` code, and body parameters as text.
std::string templateBody(const std::string& to, const std::string& name, const std::string& language,
                         const std::vector<std::string>& body_parameters);

// Marks `wamid` read and shows the typing indicator.
std::string readReceiptBody(const std::string& wamid);

// Characters, not bytes: Meta counts titles in characters.
size_t utf8Length(const std::string& text);

enum class SendOutcome { accepted, retry, token_expired, permanent };

struct GraphResult {
    SendOutcome outcome = SendOutcome::permanent;
    std::string wamid;       // accepted: messages[0].id
    long long code = 0;      // Graph error code (0 when none)
    std::string error_json;  // the error object as Meta sent it, or a description
    std::string message;
};

// Reads a Graph response: 2xx with messages[0].id is accepted; 130429/131056 (rate and pair limits), 5xx and
// 429 are retried; 190 is an expired or invalid token; every other error is permanent.
GraphResult classifyResponse(int http_status, const std::string& body);

}  // namespace parley::whatsapp

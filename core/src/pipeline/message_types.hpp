// The kinds of message a conversation carries and how each is checked on the way in. Visitors send text,
// quick-reply choices, form submissions, files and images; agents and bots also send cards.
#pragma once

#include "pipeline/message_pipeline.hpp"

namespace parley::core {

// Builds a visitor's message from a request body or realtime frame: `type` (default text), `text`, `payload`,
// `client_message_id`. Throws ApiError 422 `invalid_field` naming what is wrong; a file or image must name a
// file uploaded to this conversation.
NewMessage visitorMessage(App& app, const Conversation& conversation, const JsonObject& body);

// The same for an agent's reply: text (with optional quick_replies), card, file or image.
NewMessage agentMessage(App& app, const Conversation& conversation, const JsonObject& body);

}  // namespace parley::core

// Conversation attributes: one merge for plugins (SDK 1.3 set_conversation_attributes) and bots' `set` actions.
#pragma once

#include "store/conversation_repository.hpp"

#include <optional>
#include <string>

namespace parley::core {

struct App;

struct AttributesUpdate {
    std::optional<Conversation> conversation;  // empty: no such conversation
    bool changed = false;
    bool too_large = false;  // the merge would pass 16 KiB: nothing was written
};

constexpr std::size_t kMaxAttributesBytes = 16 * 1024;

// Merges `patch` into the conversation's attributes (a null value removes its key) in one write transaction
// that holds the conversation's row, so concurrent merges never lose each other's keys. When something changed,
// a conversation.updated outbox event (with the patch and `origin`) commits with it and watching agents are
// told. Keys are the caller's to check.
AttributesUpdate mergeConversationAttributes(App& app, const std::string& conversation_id, const JsonObject& patch,
                                             const std::string& origin);

}  // namespace parley::core

// The bot's side of the core's events: answers message.inbound, counts message.feedback, serves parley.kb.search.
#pragma once

#include "bot.hpp"
#include "index_cache.hpp"
#include "store.hpp"

#include <string>
#include <vector>

namespace parley::knowledge_base {

class Responder {
public:
    Responder(Store store, IndexCache& cache) : store_(store), cache_(cache) {}

    // The actions (JSON texts) for a message.inbound payload: none when the widget's bot is off or the message
    // has no text. Counts the entry used, or records the question as a content gap. Any thread.
    std::vector<std::string> onInbound(const std::string& payload_json);

    // Applies a message.feedback payload to the entry the bot message answered with (a change of mind moves
    // the count from one side to the other). Messages without meta.kb_entry_id are ignored.
    void onFeedback(const std::string& payload_json);

    // parley.kb.search(text, {widget_id = ..., limit = 3}): the arguments as a JSON array, the hits as JSON.
    std::string luaSearch(const std::string& args_json);

private:
    Store store_;
    IndexCache& cache_;
};

}  // namespace parley::knowledge_base

// The message pipeline: ingest, screen (message.inbound hooks), commit (message + outbox in one transaction),
// then respond (bot actions, off the request thread).
#pragma once

#include "plugin/hooks.hpp"
#include "store/conversation_repository.hpp"
#include "store/message_commit.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace parley::core {

struct App;

// A message as a channel hands it in.
struct NewMessage {
    std::string sender_type = "visitor";
    std::string type = "text";
    std::string text;
    JsonObject payload;
    std::string client_message_id;
    std::string origin;  // for bot messages: the plugin id or "lua:<file>" that wrote it
    // Runs inside the message's transaction, after its row and outbox event (a channel plugin's bookkeeping,
    // ABI 1.5 channel_inbound): throwing stores nothing. Not run for a duplicate or a rejected message.
    MessageCommitter::WithCommit with_commit;
};

struct Posted {
    Message message;
    bool duplicate = false;  // the client message id was seen before: this is the first result
};

class MessagePipeline {
public:
    explicit MessagePipeline(App& app);
    ~MessagePipeline();

    // A visitor's message: a retry with a known client message id returns the first result; otherwise the
    // message.inbound filters screen it (a reject throws ApiError 422 `message_rejected` and stores nothing;
    // a `flag` action stores it hidden), then it commits with its message.created outbox event. Actions the
    // hooks asked for (reply, handoff, set) run afterwards on the responder thread.
    // `maybe_seen` false: the caller looked the client message id up with the conversation
    // (ConversationRepository::findForMessage) and it is new, so it is not read again.
    Posted postFromVisitor(const Conversation& conversation, NewMessage message, bool maybe_seen = true);

    // A message from a bot, plugin or rule: committed with its outbox event, not screened.
    Message postFromBot(const Conversation& conversation, NewMessage message);
    // An agent's reply or note: idempotent by client message id like a visitor's, not screened; the first agent
    // reply records first_response_at.
    Posted postFromAgent(const Conversation& conversation, NewMessage message, bool maybe_seen = true);

    void start();
    // Stops the responder after it has run every action already queued.
    void stop();

private:
    struct Work {
        std::string conversation_id;
        std::vector<Action> actions;
        JsonObject message;  // the visitor message that asked for them
    };
    Message commit(const Conversation& conversation, NewMessage& message, bool flagged);
    Posted commitOnce(const Conversation& conversation, NewMessage& message, bool flagged);
    std::optional<Message> firstResult(const Conversation& conversation, const NewMessage& message) const;
    void respond(const Work& work);
    JsonObject eventPayload(const Conversation& conversation, const NewMessage& message) const;
    JsonObject botSettings(const Conversation& conversation) const;
    bool asksForHuman(const NewMessage& message) const;

    App& app_;
    MessageCommitter committer_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Work> queue_;
    bool stopping_ = false;
    std::thread worker_;
    mutable std::mutex settings_mutex_;
    mutable std::unordered_map<std::string, std::pair<long long, JsonObject>> settings_;  // widget id -> (when, settings)
};

}  // namespace parley::core

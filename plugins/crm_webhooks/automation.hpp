// The automation bridge (n8n and friends): a widget's visitor messages go to a workflow URL as a signed JSON
// request, and the workflow's answer ({"reply", "quick_replies"}) is posted as the bot's reply; when the
// workflow is slow, fails or answers nonsense, a polite fallback is posted instead.
#pragma once

#include "store.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace parley::crm_webhooks {

// What the workflow answered, parsed: a reply (may be empty), quick replies, and what we do not act on yet.
struct AutomationAnswer {
    std::string reply;
    std::vector<std::string> quick_replies;
    bool handoff = false;
    std::string attributes;  // a JSON object merged into the conversation's attributes; "" when none
};
// Parses the workflow's response body; throws std::invalid_argument naming what is wrong.
AutomationAnswer parseAutomationAnswer(const std::string& body);

class Automation {
public:
    Automation(parley::Plugin plugin, Settings settings);
    ~Automation();

    // Inside the durable subscription's transaction, for a batch of events: each visitor's message.created for a
    // widget whose automation forwards every message is staged (one query for the batch); staged work starts after
    // the commit (committed()). Staging is its last step, so a call that throws stages nothing; what a pass
    // staged but never committed (its transaction failed) is dropped when the next pass stages.
    void stageBatch(const std::vector<Json>& events);
    void committed();
    // An `automation.forward` event (another plugin, e.g. the knowledge base falling back): forwards at once.
    void forward(const Json& event);
    void stop();

    // Calls the workflow for one conversation message and posts its answer or the fallback.
    void run(const Json& job);

private:
    parley::Plugin p_;
    Settings s_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Json> staged_, queue_;
    long long staged_pass_ = 0;  // the host's pass the staged events belong to
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace parley::crm_webhooks

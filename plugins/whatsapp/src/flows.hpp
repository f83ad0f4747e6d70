// Keyword-triggered flows (docs/flows.md) for WhatsApp and the widget: a message.inbound filter that starts a
// flow on a keyword, keeps one session per conversation (with an expiry), and turns nodes into the pipeline's
// actions (reply with quick replies, set, handoff). Admin API: /flows (validation errors point at the node).
#pragma once

#include "db.hpp"
#include "settings.hpp"

#include <map>
#include <mutex>

namespace parley::whatsapp {

class Flows {
public:
    Flows(Db db, const Settings& settings) : db_(db), settings_(settings) {}
    void onInbound(parley::Event& e);
    void invalidate(const std::string& widget_id);

private:
    struct Cached {
        long long loaded_at = 0;
        std::vector<std::pair<std::string, Object::Ptr>> flows;  // id, definition (enabled only)
    };
    std::vector<std::pair<std::string, Object::Ptr>> flowsOf(const std::string& widget_id);
    // Runs from `node` until a node waits for an answer or the flow ends; adds actions to the event.
    void run(parley::Event& e, const std::string& conversation_id, const std::string& flow_id, const Object::Ptr& flow,
             std::string node, Object::Ptr variables);
    Db db_;
    const Settings& settings_;
    std::mutex mutex_;
    std::map<std::string, Cached> cache_;
};

void registerFlowRoutes(parley::Plugin& p, Db db, Flows& flows);

}  // namespace parley::whatsapp

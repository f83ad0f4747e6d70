// The knowledge-base bot: answers visitors from each widget's own entries, offers suggestions when unsure, and
// hands over to the widget's fallback when it does not know. Wiring only; the logic lives in src/.
#include "responder.hpp"
#include "routes.hpp"

#include <parley/sdk.hpp>

using namespace parley::knowledge_base;

PARLEY_PLUGIN(load) {
    Store store(p);
    // One cache and responder for the process (the host never unloads a plugin).
    static IndexCache cache(store);
    static Responder responder(store, cache);
    parley::Plugin plugin = p;

    // After Lua rules (which register at the default priority 100), before anything that sends the message out.
    p.on("message.inbound", 500, parley::Filter, [plugin](parley::Event& e) {
        for (const auto& action : responder.onInbound(e.payload())) {
            e.addAction(action);
            plugin.count(action.find("\"confidence\"") != std::string::npos ? "answers"
                         : action.find("kb_suggestions") != std::string::npos ? "suggestions"
                                                                               : "fallbacks");
        }
    });
    p.on("message.feedback", 500, parley::Notification, [](parley::Event& e) { responder.onFeedback(e.payload()); });
    p.luaFunction("kb.search", [](const std::string& args) { return responder.luaSearch(args); });
    registerAdminRoutes(p, store, cache);
}

// The host functions ABI 1.4 added: subscribe_batch, and the checks it shares with subscribe (1.1).
#include "plugin/host_calls.hpp"

#include <parley/sdk.hpp>

namespace parley::core::host {

int recordSubscription(parley_plugin* p, const char* call, const char* name, const char* events, parley_event_fn fn,
                       parley_batch_fn batch, parley_committed_fn committed, void* user) {
    std::string c = call;
    if (missing(p) || missing(name) || missing(events) || (missing(fn) && missing(batch)))
        return fail(PARLEY_ERR_INVALID_ARGUMENT, c + ": null argument");
    if (!p->plugin->loading) return fail(PARLEY_ERR_DENIED, "subscriptions can be made only in parley_plugin_load");
    std::string n = name, e = events;
    if (n.empty() || n.size() > 64 || n.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
        return fail(PARLEY_ERR_INVALID_ARGUMENT, c + ": name '" + n + "' must be 1 to 64 of [a-z0-9_]");
    if (e.size() > 1000) return fail(PARLEY_ERR_INVALID_ARGUMENT, c + ": events are longer than 1000 bytes");
    if (std::string why = parley::eventPatternsError(e); !why.empty())
        return fail(PARLEY_ERR_INVALID_ARGUMENT, c + ": events '" + e + "': " + why +
                                                     " (e.g. \"message.*, lead.captured\" or "
                                                     "\"message.created[channel=whatsapp]\")");
    for (const auto& s : p->plugin->subscriptions)
        if (s.name == n) return fail(PARLEY_ERR_CONFLICT, c + ": this plugin already has a subscription '" + n + "'");
    p->plugin->subscriptions.push_back({n, e, fn, batch, committed, user});
    return static_cast<int>(PARLEY_OK);
}

void addHostApi14(parley_host_api& api) {
    api.subscribe_batch = [](parley_plugin* p, const char* name, const char* events, parley_batch_fn fn,
                             parley_committed_fn committed, void* user) {
        return recordSubscription(p, "subscribe_batch", name, events, nullptr, fn, committed, user);
    };
}

}  // namespace parley::core::host

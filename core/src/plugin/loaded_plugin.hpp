// One loaded plugin as the host keeps it: its handle, manifest, config, and what it registered.
#pragma once

#include "plugin/hooks.hpp"
#include "plugin/plugin_host.hpp"

#include <string>
#include <vector>

// The opaque handle a plugin receives; it points back to the host's record of the plugin.
struct parley_plugin {
    parley::core::PluginHost* host = nullptr;
    parley::core::PluginHost::Loaded* plugin = nullptr;
};

// What a hook's event handle carries: the core event, whether this hook may change it, and its outcome.
struct parley_event {
    parley::core::Event* event;
    bool filter;
    parley::core::HookOutcome outcome;
};

// One call of a plugin's Lua function: where its result goes.
struct parley_lua_call {
    std::string result = "null";
};

// What a route's response handle carries.
struct parley_response {
    parley::core::RequestContext* ctx;
    bool responded = false;
};

namespace parley::core {

struct PluginHost::Loaded {
    struct Hook {
        std::string event;
        int priority;
        int kind;
        parley_hook_fn fn;
        void* user;
    };

    parley_plugin handle;
    parley_plugin_unload_fn unload = nullptr;  // optional; called by PluginHost::stopAll
    PluginManifest manifest;
    std::string config_text;
    bool loading = false;  // hooks and routes may be registered only while loading
    std::vector<Hook> hooks;
    std::vector<PluginRoute> routes;
    struct Job {
        std::string name;
        int interval_seconds;
        parley_job_fn fn;
        void* user;
    };
    std::vector<Job> jobs;
    struct LuaFunction {
        std::string name;
        parley_lua_fn fn;
        void* user;
    };
    std::vector<LuaFunction> lua_functions;
    struct Subscription {
        std::string name, events;
        parley_event_fn fn;     // per event (subscribe), or
        parley_batch_fn batch;  // per batch (subscribe_batch, ABI 1.4)
        parley_committed_fn committed;
        void* user;
    };
    std::vector<Subscription> subscriptions;  // durable, handed to the outbox dispatcher after a good load

    // Makes the recorded hooks live in the registry (after a successful load, all at once).
    void publishHooks(HookRegistry& registry);
    // Serves a request under the plugin's prefix.
    void serve(RequestContext& ctx, int visibility);
};

// The request given to a plugin route: the ABI struct first, so the host can find its context again.
struct PluginRequest {
    parley_request request;
    RequestContext* ctx;
};

// Adapts a plugin's C hook to the registry: builds its event handle, maps an error status (with the plugin's
// set_error message) to an exception the registry records as a failure.
HookFn wrapNativeHook(parley_hook_fn fn, void* user, bool filter);

// The message a plugin set for its current call (via set_error), per thread.
void clearPluginError();
std::string pluginError();

}  // namespace parley::core

// One script file in its own sandbox: loading it, the rules it registered, and calls into them with failure
// counts.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "lua/parley_api.hpp"
#include "lua/sandbox.hpp"
#include "plugin/hooks.hpp"

namespace parley::core {

// A rule's state as status() reports it.
struct RuleStatus {
    std::string event;
    int priority = 0;
    HookKind kind = HookKind::filter;
    int line = 0;
    long long calls = 0;
    long long failures = 0;  // since the file was loaded
    int failures_in_a_row = 0;
    bool disabled = false;
    std::string last_error;  // "bot/x.lua:12: message"
};

using HookSpec = std::tuple<std::string, int, HookKind, HookFn>;

class LuaScript : public std::enable_shared_from_this<LuaScript> {
public:
    // Runs `code` (text only) as the file `name` ("bot/greeting.lua", the owner becomes
    // "lua:bot/greeting.lua") in a new sandbox; the parley.on calls of its top level define its rules. A rule
    // is disabled after `max_failures` failures in a row (0: never). Throws LuaError ("bot/greeting.lua:3:
    // ...") when the file does not compile or its top level fails.
    static std::shared_ptr<LuaScript> fromSource(const std::string& name, const std::string& code,
                                                 const LuaLimits& limits, int max_failures,
                                                 ScriptServices services);
    // Reads `path` and loads it as above; throws std::runtime_error when the file cannot be read.
    static std::shared_ptr<LuaScript> fromFile(const std::string& name, const std::string& path,
                                               const LuaLimits& limits, int max_failures,
                                               ScriptServices services);

    const std::string& name() const { return runtime_.name; }
    const std::string& owner() const { return runtime_.owner; }
    size_t ruleCount() const { return rules_.size(); }

    // One hook per rule, for HookRegistry::replaceOwner; each keeps this script alive while registered.
    std::vector<HookSpec> hooks();

    // Runs rule `index` for the event (from a dispatch, any thread; calls into one file are serialized).
    // Returns its actions and verdict; set actions are also written into
    // event.payload.conversation.attributes so later rules see them. When the rule fails (error, time,
    // instructions or memory) throws std::runtime_error("file:line: message"); a disabled rule returns an
    // empty outcome without running.
    HookOutcome run(size_t index, Event& event);

    std::vector<RuleStatus> status() const;
    // True when every rule is disabled (and there is at least one).
    bool allDisabled() const;

    // Called (outside any lock) with "file:line: message" when a rule fails, and with a message when a rule gets
    // disabled; set them before registering hooks. They must not touch the hook registry (a dispatch holds it).
    std::function<void(const std::string& error)> on_failure;
    std::function<void(const std::string& message)> on_disabled;

    LuaScript(const LuaScript&) = delete;
    LuaScript& operator=(const LuaScript&) = delete;

private:
    struct Rule {
        RuleSpec spec;
        std::atomic<bool> disabled{false};
        long long calls = 0;
        long long failures = 0;
        int failures_in_a_row = 0;
        std::string last_error;
    };
    LuaScript(const std::string& name, const LuaLimits& limits, int max_failures, ScriptServices services);

    ScriptRuntime runtime_;
    std::unique_ptr<LuaSandbox> sandbox_;
    std::vector<std::unique_ptr<Rule>> rules_;
    int max_failures_;
    std::mutex call_mutex_;           // one call into the state at a time
    mutable std::mutex stats_mutex_;  // counters, so status() never waits for a running rule
};

// Writes set actions into payload.conversation.attributes (creating the objects as needed); true if any.
bool applySetActions(JsonObject& payload, const std::vector<Action>& actions);

}  // namespace parley::core

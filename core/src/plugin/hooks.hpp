// Hooks on events: native plugins and Lua rules register here; the pipeline dispatches through it.
#pragma once

#include "http/json.hpp"

#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

namespace parley::core {

// Filters run first, in priority order, and may modify the payload, reject the event or stop the chain;
// notifications run after them and only observe (they also see events a filter stopped or rejected).
enum class HookKind { filter, notification };

// An action a hook asks the host to take after the chain (reply, handoff, capture_lead, set, flag, ...):
// {"type": "reply", "text": "...", "quick_replies": [...]} and the like; see docs/events.md.
using Action = JsonObject;

// What one hook decided.
struct HookOutcome {
    enum Verdict { proceed, reject, stop } verdict = proceed;
    std::string reason;            // for reject/stop: shown to the client or logged
    std::vector<Action> actions;   // appended to the dispatch's actions
};

// The event as a hook sees it. Filters may change `payload` in place.
struct Event {
    std::string name;    // dotted noun.verb, e.g. "message.inbound"
    JsonObject payload;  // the event's data; its shape per event is in docs/events.md
    std::string origin;  // who caused it ("" for the core, a plugin id or "lua:<file>"); its own hooks skip it

    // The payload as JSON text, serialized once however many native hooks read it.
    const std::string& payloadText() const {
        if (!payload_text_) payload_text_ = toJson(payload);
        return *payload_text_;
    }
    // Replaces the payload (a filter's change), keeping the text it came from.
    void setPayload(JsonObject object, std::string text) {
        payload = std::move(object);
        payload_text_ = std::move(text);
    }
    // Call after changing `payload` in place.
    void payloadChanged() { payload_text_.reset(); }

private:
    mutable std::optional<std::string> payload_text_;
};

struct DispatchResult {
    bool rejected = false;
    bool stopped = false;
    std::string reason;
    std::string decided_by;  // owner of the hook that rejected or stopped
    std::vector<Action> actions;
    std::vector<std::string> failures;  // "owner: message" for hooks that threw; the chain went on
};

using HookFn = std::function<HookOutcome(Event&)>;

class HookRegistry {
public:
    // Registers `fn` for `event` ("*" for every event). Lower priority runs first; ties run in owner order.
    // Returns the hook id, never reused.
    int add(const std::string& owner, const std::string& event, int priority, HookKind kind, HookFn fn);
    // Removes every hook of an owner (a plugin that failed to load, a Lua file being reloaded).
    void removeOwner(const std::string& owner);
    // Replaces all hooks of `owner` at once, so a reload never leaves a moment with none or both.
    void replaceOwner(const std::string& owner, std::vector<std::tuple<std::string, int, HookKind, HookFn>> hooks);

    // Runs the filters then the notifications for the event. A hook that throws is recorded in `failures`
    // and skipped; its failure never reaches the caller.
    DispatchResult dispatch(Event& event) const;

    size_t size() const;
    // True when some hook registered for exactly this event name ("*" hooks do not count).
    bool handles(const std::string& event) const;

private:
    struct Hook {
        int id;
        std::string owner, event;
        int priority;
        HookKind kind;
        HookFn fn;
    };
    void sortLocked();
    mutable std::shared_mutex mutex_;
    std::vector<Hook> hooks_;
    int next_id_ = 1;
};

}  // namespace parley::core

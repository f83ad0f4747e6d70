// Priority-ordered dispatch with failure isolation: one broken hook never takes the chain down.
#include "plugin/hooks.hpp"

#include <algorithm>

namespace parley::core {

void HookRegistry::sortLocked() {
    std::stable_sort(hooks_.begin(), hooks_.end(), [](const Hook& a, const Hook& b) {
        if (a.kind != b.kind) return a.kind == HookKind::filter;
        if (a.priority != b.priority) return a.priority < b.priority;
        return a.owner < b.owner;
    });
}

int HookRegistry::add(const std::string& owner, const std::string& event, int priority, HookKind kind, HookFn fn) {
    std::unique_lock lock(mutex_);
    int id = next_id_++;
    hooks_.push_back({id, owner, event, priority, kind, std::move(fn)});
    sortLocked();
    return id;
}

void HookRegistry::removeOwner(const std::string& owner) {
    std::unique_lock lock(mutex_);
    std::erase_if(hooks_, [&](const Hook& h) { return h.owner == owner; });
}

void HookRegistry::replaceOwner(const std::string& owner,
                                std::vector<std::tuple<std::string, int, HookKind, HookFn>> hooks) {
    std::unique_lock lock(mutex_);
    std::erase_if(hooks_, [&](const Hook& h) { return h.owner == owner; });
    for (auto& [event, priority, kind, fn] : hooks)
        hooks_.push_back({next_id_++, owner, event, priority, kind, std::move(fn)});
    sortLocked();
}

size_t HookRegistry::size() const {
    std::shared_lock lock(mutex_);
    return hooks_.size();
}

bool HookRegistry::handles(const std::string& event) const {
    std::shared_lock lock(mutex_);
    for (const Hook& h : hooks_)
        if (h.event == event) return true;
    return false;
}

DispatchResult HookRegistry::dispatch(Event& event) const {
    DispatchResult result;
    std::shared_lock lock(mutex_);
    for (const Hook& h : hooks_) {
        if (h.event != event.name && h.event != "*") continue;
        if (!event.origin.empty() && h.owner == event.origin) continue;  // no one loops on their own output
        bool filter = h.kind == HookKind::filter;
        if (filter && (result.rejected || result.stopped)) continue;
        try {
            HookOutcome outcome = h.fn(event);
            for (auto& a : outcome.actions) result.actions.push_back(std::move(a));
            if (!filter) continue;  // notifications only observe
            if (outcome.verdict == HookOutcome::reject) result.rejected = true;
            if (outcome.verdict == HookOutcome::stop) result.stopped = true;
            if (outcome.verdict != HookOutcome::proceed) {
                result.reason = outcome.reason;
                result.decided_by = h.owner;
            }
        } catch (const std::exception& e) {
            result.failures.push_back(h.owner + ": " + e.what());
        } catch (...) {
            result.failures.push_back(h.owner + ": unknown error");
        }
    }
    return result;
}

}  // namespace parley::core

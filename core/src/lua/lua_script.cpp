// Loading one script file and calling its rules: one sandbox, one mutex, failure counts that disable a rule.
#include "lua/lua_script.hpp"

#include <fstream>
#include <sstream>

#include "http/json.hpp"

namespace parley::core {

LuaScript::LuaScript(const std::string& name, const LuaLimits& limits, int max_failures,
                     ScriptServices services)
    : max_failures_(max_failures) {
    runtime_.name = name;
    runtime_.owner = "lua:" + name;
    runtime_.services = std::move(services);
    auto log = runtime_.services.log;
    sandbox_ =
        std::make_unique<LuaSandbox>(limits, name, [log](const std::string& level, const std::string& msg) {
            if (log) log(level, msg);
        });
}

std::shared_ptr<LuaScript> LuaScript::fromSource(const std::string& name, const std::string& code,
                                                 const LuaLimits& limits, int max_failures,
                                                 ScriptServices services) {
    std::shared_ptr<LuaScript> script(new LuaScript(name, limits, max_failures, std::move(services)));
    ScriptRuntime& rt = script->runtime_;
    std::string chunkname = "@" + name;
    rt.loading = true;
    try {
        script->sandbox_->call([&](lua_State* L) {
            installParleyApi(L, rt);
            LuaSandbox::loadText(L, code, chunkname);
            lua_call(L, 0, 0);
        });
    } catch (...) {
        rt.loading = false;
        throw;
    }
    rt.loading = false;
    for (const auto& spec : rt.rules) {
        auto rule = std::make_unique<Rule>();
        rule->spec = spec;
        script->rules_.push_back(std::move(rule));
    }
    return script;
}

std::shared_ptr<LuaScript> LuaScript::fromFile(const std::string& name, const std::string& path,
                                               const LuaLimits& limits, int max_failures,
                                               ScriptServices services) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(name + ": cannot read '" + path + "'");
    std::ostringstream text;
    text << in.rdbuf();
    return fromSource(name, text.str(), limits, max_failures, std::move(services));
}

std::vector<HookSpec> LuaScript::hooks() {
    std::vector<HookSpec> out;
    std::shared_ptr<LuaScript> self = shared_from_this();
    for (size_t i = 0; i < rules_.size(); ++i) {
        const RuleSpec& spec = rules_[i]->spec;
        out.emplace_back(spec.event, spec.priority, spec.kind,
                         [self, i](Event& event) { return self->run(i, event); });
    }
    return out;
}

HookOutcome LuaScript::run(size_t index, Event& event) {
    Rule& rule = *rules_.at(index);
    if (rule.disabled.load()) return {};
    HookOutcome outcome;
    std::string error;
    {
        std::lock_guard lock(call_mutex_);
        if (rule.disabled.load()) return {};
        runtime_.outcome = &outcome;
        runtime_.current_kind = rule.spec.kind;
        runtime_.call_serial++;
        try {
            sandbox_->call([&](lua_State* L) { callRule(L, runtime_, rule.spec, event); });
        } catch (const LuaError& e) {
            error = e.what();
        }
        runtime_.outcome = nullptr;
    }
    std::string disabled_message;
    {
        std::lock_guard lock(stats_mutex_);
        rule.calls++;
        if (error.empty()) {
            rule.failures_in_a_row = 0;
        } else {
            rule.failures++;
            rule.failures_in_a_row++;
            rule.last_error = error;
            if (max_failures_ > 0 && rule.failures_in_a_row >= max_failures_ && !rule.disabled.load()) {
                rule.disabled = true;
                disabled_message = runtime_.name + ":" + std::to_string(rule.spec.line) + ": rule for '" +
                                   rule.spec.event + "' disabled after " +
                                   std::to_string(rule.failures_in_a_row) +
                                   " failures in a row (last: " + error + "); fix the file to load it again";
            }
        }
    }
    if (!error.empty() && on_failure) on_failure(error);
    if (!disabled_message.empty() && on_disabled) on_disabled(disabled_message);
    if (!error.empty()) throw std::runtime_error(error);
    if (event.payload && applySetActions(event.payload, outcome.actions)) event.payloadChanged();
    return outcome;
}

std::vector<RuleStatus> LuaScript::status() const {
    std::lock_guard lock(stats_mutex_);
    std::vector<RuleStatus> out;
    for (const auto& rule : rules_) {
        RuleStatus s;
        s.event = rule->spec.event;
        s.priority = rule->spec.priority;
        s.kind = rule->spec.kind;
        s.line = rule->spec.line;
        s.calls = rule->calls;
        s.failures = rule->failures;
        s.failures_in_a_row = rule->failures_in_a_row;
        s.disabled = rule->disabled.load();
        s.last_error = rule->last_error;
        out.push_back(std::move(s));
    }
    return out;
}

bool LuaScript::allDisabled() const {
    if (rules_.empty()) return false;
    for (const auto& rule : rules_)
        if (!rule->disabled.load()) return false;
    return true;
}

bool applySetActions(JsonObject& payload, const std::vector<Action>& actions) {
    bool changed = false;
    for (const auto& action : actions) {
        if (action->optValue<std::string>("type", "") != "set") continue;
        changed = true;
        JsonObject conversation = payload->getObject("conversation");
        if (!conversation) {
            conversation = jsonObject();
            payload->set("conversation", conversation);
        }
        JsonObject attributes = conversation->getObject("attributes");
        if (!attributes) {
            attributes = jsonObject();
            conversation->set("attributes", attributes);
        }
        std::string key = action->getValue<std::string>("key");
        Poco::Dynamic::Var value = action->get("value");
        if (value.isEmpty())
            attributes->remove(key);
        else
            attributes->set(key, value);
    }
    return changed;
}

}  // namespace parley::core

// Measures one message.inbound dispatch through the HookRegistry with N native hooks (C++ functions, and
// plugin hooks through the C ABI) and with N Lua rules.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "http/json.hpp"
#include "lua/lua_script.hpp"
#include "plugin/hooks.hpp"
#include "plugin/loaded_plugin.hpp"
#include "plugin/plugin_host.hpp"
#include "store/kv_repository.hpp"

using namespace parley::core;
using Clock = std::chrono::steady_clock;

namespace {

// A payload shaped like the pipeline's (docs/events.md), with a text no rule answers.
Event inboundEvent() {
    Event event;
    event.name = "message.inbound";
    event.payload = parseJsonObject(R"({
        "message": {"id": "7f1c2d4e-0000-4000-8000-000000000001", "text": "hello, I would like to know the price",
                    "type": "text"},
        "conversation": {"id": "7f1c2d4e-0000-4000-8000-000000000002", "attributes": {"lead_step": "size"}},
        "visitor": {"id": "7f1c2d4e-0000-4000-8000-000000000003", "name": "Ana", "language": "es",
                    "page_url": "https://shop.example.com/pricing"},
        "channel": "web",
        "utm": {"source": "google", "medium": "cpc", "campaign": "winter"}})",
                                    16);
    return event;
}

// µs per dispatch, the best of five runs of at least `seconds` each (the least disturbed by the machine).
double microsecondsPerDispatch(const HookRegistry& registry, double seconds) {
    Event event = inboundEvent();
    for (int i = 0; i < 2000; ++i) registry.dispatch(event);  // warm caches and the Lua states
    std::vector<double> runs;
    for (int run = 0; run < 5; ++run) {
        long long n = 0;
        auto start = Clock::now();
        auto until = start + std::chrono::duration<double>(seconds);
        do {
            for (int i = 0; i < 200; ++i) {
                event.payloadChanged();  // each message is new: plugins get its JSON text serialized once
                registry.dispatch(event);
            }
            n += 200;
        } while (Clock::now() < until);
        double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
        runs.push_back(us / static_cast<double>(n));
    }
    return *std::min_element(runs.begin(), runs.end());
}

// N native hooks doing what the Lua rule does: read the text, compare, maybe reply.
void addNativeHooks(HookRegistry& registry, int n) {
    for (int i = 0; i < n; ++i)
        registry.add("native" + std::to_string(i), "message.inbound", 100, HookKind::filter,
                     [](Event& event) {
                         HookOutcome outcome;
                         if (event.payload->getObject("message")->getValue<std::string>("text") == "x") {
                             JsonObject reply = jsonObject();
                             reply->set("type", std::string("reply"));
                             reply->set("text", std::string("y"));
                             outcome.actions.push_back(reply);
                         }
                         return outcome;
                     });
}

// A plugin's C hook as written against plugin.h without a JSON library: look for the text in the payload.
int pluginHook(void* user, parley_event* event) {
    const auto* api = static_cast<const parley_host_api*>(user);
    if (std::strstr(api->event_payload(event), "\"text\":\"x\""))
        api->event_add_action(event, R"({"type":"reply","text":"y"})");
    return PARLEY_OK;
}

// N plugin hooks through the host's adapter, as a loaded plugin's hooks are registered.
void addPluginHooks(HookRegistry& registry, int n) {
    for (int i = 0; i < n; ++i)
        registry.add("plugin" + std::to_string(i), "message.inbound", 100, HookKind::filter,
                     wrapNativeHook(pluginHook, const_cast<parley_host_api*>(hostApi()), true));
}

// N rule files of one simple rule each, with the default limits (lua.* config defaults).
std::vector<std::shared_ptr<LuaScript>> addLuaRules(HookRegistry& registry, KvStore& kv, int n) {
    std::vector<std::shared_ptr<LuaScript>> scripts;
    const std::string code =
        "parley.on(\"message.inbound\", function(ctx) if ctx.message.text == \"x\" then ctx:reply(\"y\") end "
        "end)\n";
    for (int i = 0; i < n; ++i) {
        ScriptServices services;
        services.kv = &kv;
        auto script =
            LuaScript::fromSource("bench/rule" + std::to_string(i) + ".lua", code, LuaLimits{}, 5, services);
        registry.replaceOwner(script->owner(), script->hooks());
        scripts.push_back(script);
    }
    return scripts;
}

// Every hook replies to "x": proves they all ran.
bool allRan(const HookRegistry& registry, int n) {
    Event event = inboundEvent();
    event.payload->getObject("message")->set("text", std::string("x"));
    DispatchResult result = registry.dispatch(event);
    return result.failures.empty() && static_cast<int>(result.actions.size()) == n;
}

}  // namespace

int main(int argc, char** argv) {
    double seconds = argc > 1 ? std::atof(argv[1]) : 0.3;
    std::printf("| hooks | kind | µs per message | µs per hook | goal per hook | met |\n");
    std::printf("|---:|---|---:|---:|---:|---|\n");
    bool all_met = true;
    for (const char* kind : {"native", "plugin", "lua"}) {
        for (int n : {1, 10, 50}) {
            HookRegistry registry;
            MemoryKvStore kv;
            std::vector<std::shared_ptr<LuaScript>> keep;
            std::string name = kind;
            bool native = name != "lua";
            if (name == "native")
                addNativeHooks(registry, n);
            else if (name == "plugin")
                addPluginHooks(registry, n);
            else
                keep = addLuaRules(registry, kv, n);
            if (!allRan(registry, n)) {
                std::fprintf(stderr, "hook_dispatch: not every %s hook ran for N=%d\n", kind, n);
                return 1;
            }
            double per_message = microsecondsPerDispatch(registry, seconds);
            double per_hook = per_message / n;
            double goal = native ? 2.0 : 20.0;
            bool met = per_hook < goal;
            all_met = all_met && met;
            std::printf("| %d | %s | %.2f | %.2f | < %.0f µs | %s |\n", n,
                        name == "native"   ? "native (C++ function)"
                        : name == "plugin" ? "native plugin (C ABI)"
                                           : "Lua rule",
                        per_message, per_hook, goal, met ? "yes" : "no");
        }
    }
    std::printf("\n%s\n", all_met
                              ? "Goals met: under 2 µs per native hook and under 20 µs per simple Lua rule."
                              : "Goals NOT met (see the rows marked no).");
    return 0;
}

// The services every handler reaches through its RequestContext: config, database, secrets, limits, metrics.
#pragma once

#include "app/config.hpp"
#include "http/metrics.hpp"
#include "http/rate_limiter.hpp"
#include "plugin/hooks.hpp"
#include "plugin/lua_exports.hpp"

#include <Poco/Logger.h>

#include <atomic>
#include <memory>

namespace parley::core {

class Database;
class SecretBox;
class WidgetConfigCache;
class StaticFiles;
class PluginHost;
class Scheduler;
class MessagePipeline;
class KvStore;
class ScriptEngine;
class Routing;
namespace realtime {
class Hub;
}
class OutboxDispatcher;

struct App {
    Config config;
    std::unique_ptr<Database> db;
    std::unique_ptr<SecretBox> secrets;
    std::unique_ptr<WidgetConfigCache> widget_configs;
    std::unique_ptr<StaticFiles> static_files;
    std::unique_ptr<PluginHost> plugins;
    std::unique_ptr<Scheduler> scheduler;  // once-per-cluster jobs; started by serve()
    std::unique_ptr<MessagePipeline> pipeline;  // ingest, screen, commit, respond
    std::unique_ptr<Routing> routing;           // the human queue, presence, capacity, assignment
    std::unique_ptr<realtime::Hub> realtime;    // WebSockets: started by serve(); before that it stays quiet
    std::unique_ptr<OutboxDispatcher> outbox;   // outbox events to plugins' durable subscriptions; started by serve()
    Metrics metrics;
    HookRegistry hooks;  // native plugin hooks and Lua rules, dispatched by the pipeline
    LuaExports lua_exports;  // plugin functions Lua rules call as parley.<namespace>.<name>
    std::unique_ptr<KvStore> kv;             // parley.kv (and later plugins' key-value store)
    std::unique_ptr<ScriptEngine> scripts;  // Lua rules under lua.scripts_dir; started by serve()
    RateLimiter ip_limiter;      // per-IP limits on public routes and login
    RateLimiter tenant_limiter;  // per-tenant plan limits (requests per minute)
    long long started_at_ms = 0;
    std::atomic<int> in_flight{0};
    Poco::Logger* log = nullptr;

    App();
    ~App();
};

// Opens the database, loads (or on first start generates) the master key, builds the caches. Throws
// ConfigError with an actionable message when something is missing.
std::unique_ptr<App> openApp(const Config& config, Poco::Logger& log);

}  // namespace parley::core

// Parley's typed configuration: defaults, config/parley.json, PARLEY_* environment variables and flags.
#pragma once

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace parley::core {

struct ServerConfig {
    std::string host = "0.0.0.0";
    int port = 8080;
    std::string public_url;  // empty: derived from host and port
    std::string public_dir = "public";
    std::string data_dir = "data";
    int max_threads = 1024;
    int max_queued = 4096;
    int keep_alive_timeout_seconds = 10;
    int max_keep_alive_requests = 1000;
    int shutdown_grace_seconds = 10;
    int64_t max_body_bytes = 1 << 20;
    int max_json_depth = 32;
    bool trust_proxy = false;
};

struct DatabaseConfig {
    std::string url = "sqlite:data/parley.db";
    int pool_size = 20;
    int busy_timeout_ms = 5000;
};

struct SecurityConfig {
    std::string master_key;                       // base64 of 32 bytes; secret
    std::vector<std::string> previous_master_keys;  // still accepted for decryption; secret
    bool cookie_secure = false;
    int session_idle_minutes = 720;
    int session_absolute_hours = 168;
    int login_max_failures = 5;
    int login_lockout_minutes = 15;
    int argon2_memory_kib = 19456;
    int argon2_iterations = 2;
    int min_password_length = 10;
};

struct RateLimitConfig {
    int public_per_ip_per_minute = 600;
    int login_per_ip_per_minute = 30;
};

struct WidgetConfig {
    int config_cache_seconds = 2;
    int config_max_age_seconds = 0;
};

struct OutboundConfig {
    bool allow_private_targets = false;
    std::vector<std::string> allowed_private_hosts;
};

struct LogConfig {
    std::string level = "information";
    bool access = true;
};

// Lua rules under scripts/: where they live and the sandbox's limits (docs/lua-rules.md).
struct LuaConfig {
    std::string scripts_dir = "scripts";
    int memory_limit_kib = 8192;       // per script file (one Lua state each)
    int instruction_limit = 1000000;   // per call into a rule (VM instructions and pattern-matching steps)
    int time_limit_ms = 50;            // per call into a rule, wall clock
    int max_failures = 5;              // consecutive failures before a rule is disabled; 0 never disables
    int reload_interval_ms = 1000;     // how often the scripts folder is checked for changes; 0 turns it off
};

// Handing conversations to agents (docs/configuration.md#routing).
struct RoutingConfig {
    bool auto_assign = true;           // give queued conversations to the least-busy online agent with room
    int default_capacity = 5;          // concurrent conversations an agent takes when no capacity is set
    int presence_timeout_seconds = 60; // an agent without a heartbeat (or open socket) for this long is offline
    std::vector<std::string> human_keywords = {"human", "agent", "real person", "humano", "persona", "mensch",
                                               "mitarbeiter", "operator", "operador", "conseiller"};
};

// The WebSocket endpoint and its reactor (docs/http-api.md#realtime).
struct RealtimeConfig {
    int threads = 2;                   // epoll threads; connections do not hold threads
    int workers = 0;                   // threads for frames needing the database; 0: 4 on SQLite, 16 on PostgreSQL
    int max_frame_bytes = 65536;       // a bigger message closes the socket with 1009
    int max_queued_bytes = 1048576;    // a client this far behind is cut off with 1008 "slow consumer"
    int ping_interval_seconds = 25;
    int idle_timeout_seconds = 60;
    int auth_timeout_seconds = 10;     // the hello frame must arrive within this
};

// The outbox dispatcher that feeds plugins' durable subscriptions (docs/events.md).
struct OutboxDispatchConfig {
    int poll_interval_ms = 20;
    int batch_size = 200;
    int retry_base_ms = 1000;
    int retry_max_ms = 600000;
    int wake_delay_ms = 5;
    int retention_days = 7;  // dispatched events older than this are deleted hourly; 0 keeps them
};

struct PluginsConfig {
    std::vector<std::string> enabled;
    std::vector<std::string> path = {"build/plugins", "/usr/local/lib/parley/plugins"};
    Poco::JSON::Object::Ptr settings;  // plugins.<id>.* as given; validated by the plugin host
};

struct Config {
    ServerConfig server;
    DatabaseConfig database;
    SecurityConfig security;
    RateLimitConfig rate_limits;
    WidgetConfig widgets;
    LogConfig log;
    OutboundConfig outbound;
    LuaConfig lua;
    RoutingConfig routing;
    RealtimeConfig realtime;
    PluginsConfig plugins;
    OutboxDispatchConfig outbox;

    // The URL browsers use to reach this server, without a trailing slash.
    std::string publicUrl() const;
};

// One configuration key: its dotted path, environment variable, description, and how to read/write it.
struct ConfigKey {
    std::string path;        // "database.url"
    std::string env;         // "PARLEY_DATABASE_URL"
    std::string type;        // "string", "integer", "boolean", "string[]"
    std::string description;
    bool secret = false;
    std::function<void(Config&, const std::string& text)> set;
    std::function<void(Config&, const Poco::Dynamic::Var& value)> setJson;
    std::function<Poco::Dynamic::Var(const Config&)> get;
};

// Every key Parley knows, in documentation order.
const std::vector<ConfigKey>& configKeys();

// Loads defaults, then the JSON file (if it exists, or throws ConfigError when `required`), then the
// environment. Unknown keys are reported in `warnings`; wrong types throw ConfigError naming the key.
Config loadConfig(const std::string& path, bool required, std::vector<std::string>& warnings,
                  const std::map<std::string, std::string>& environment);

// Checks ranges and enumerations across keys; throws ConfigError naming the key.
void validateConfig(const Config& config);

// Sets one key from text (a flag or environment value); throws ConfigError on an unknown key or bad value.
void setConfigKey(Config& config, const std::string& path, const std::string& text);

// The effective configuration as JSON, secrets replaced by "••••" (or "" when unset).
Poco::JSON::Object::Ptr configToJson(const Config& config, bool mask_secrets);

// Reads the process environment into a map (so loading stays testable).
std::map<std::string, std::string> processEnvironment();

}  // namespace parley::core

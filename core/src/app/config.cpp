// Loads and describes Parley's configuration: one table of keys drives parsing, env overrides, printing and docs.
#include "app/config.hpp"

#include "app/errors.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/NumberParser.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

extern char** environ;

namespace parley::core {
namespace {

template <typename T>
struct Kind;

template <>
struct Kind<std::string> {
    static constexpr const char* name = "string";
    static std::string parse(const std::string& path, const std::string& text) { return text; }
    static std::string fromJson(const std::string& path, const Poco::Dynamic::Var& v) {
        if (!v.isString()) throw ConfigError("config key '" + path + "' must be a string");
        return v.extract<std::string>();
    }
    static Poco::Dynamic::Var toJson(const std::string& v) { return v; }
};

template <>
struct Kind<int> {
    static constexpr const char* name = "integer";
    static int parse(const std::string& path, const std::string& text) {
        int value = 0;
        if (!Poco::NumberParser::tryParse(text, value))
            throw ConfigError("config key '" + path + "' must be an integer, got '" + text + "'");
        return value;
    }
    static int fromJson(const std::string& path, const Poco::Dynamic::Var& v) {
        if (!v.isInteger() || v.isBoolean()) throw ConfigError("config key '" + path + "' must be an integer");
        try {
            return v.convert<int>();
        } catch (const Poco::RangeException&) {
            throw ConfigError("config key '" + path + "' is out of range for a 32-bit integer");
        }
    }
    static Poco::Dynamic::Var toJson(int v) { return v; }
};

template <>
struct Kind<int64_t> {
    static constexpr const char* name = "integer";
    static int64_t parse(const std::string& path, const std::string& text) {
        Poco::Int64 value = 0;
        if (!Poco::NumberParser::tryParse64(text, value))
            throw ConfigError("config key '" + path + "' must be an integer, got '" + text + "'");
        return value;
    }
    static int64_t fromJson(const std::string& path, const Poco::Dynamic::Var& v) {
        if (!v.isInteger() || v.isBoolean()) throw ConfigError("config key '" + path + "' must be an integer");
        try {
            return v.convert<Poco::Int64>();
        } catch (const Poco::RangeException&) {
            throw ConfigError("config key '" + path + "' is out of range for a 64-bit integer");
        }
    }
    static Poco::Dynamic::Var toJson(int64_t v) { return static_cast<Poco::Int64>(v); }
};

template <>
struct Kind<bool> {
    static constexpr const char* name = "boolean";
    static bool parse(const std::string& path, const std::string& text) {
        if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
        if (text == "false" || text == "0" || text == "no" || text == "off") return false;
        throw ConfigError("config key '" + path + "' must be true or false, got '" + text + "'");
    }
    static bool fromJson(const std::string& path, const Poco::Dynamic::Var& v) {
        if (!v.isBoolean()) throw ConfigError("config key '" + path + "' must be true or false");
        return v.extract<bool>();
    }
    static Poco::Dynamic::Var toJson(bool v) { return v; }
};

template <>
struct Kind<std::vector<std::string>> {
    static constexpr const char* name = "string[]";
    // A comma-separated list on the command line or in the environment.
    static std::vector<std::string> parse(const std::string&, const std::string& text) {
        std::vector<std::string> out;
        std::stringstream in(text);
        std::string item;
        while (std::getline(in, item, ','))
            if (!item.empty()) out.push_back(item);
        return out;
    }
    static std::vector<std::string> fromJson(const std::string& path, const Poco::Dynamic::Var& v) {
        if (v.type() != typeid(Poco::JSON::Array::Ptr))
            throw ConfigError("config key '" + path + "' must be an array of strings");
        std::vector<std::string> out;
        for (const auto& item : *v.extract<Poco::JSON::Array::Ptr>()) {
            if (!item.isString()) throw ConfigError("config key '" + path + "' must be an array of strings");
            out.push_back(item.extract<std::string>());
        }
        return out;
    }
    static Poco::Dynamic::Var toJson(const std::vector<std::string>& v) {
        Poco::JSON::Array::Ptr array = new Poco::JSON::Array;
        for (const auto& s : v) array->add(s);
        return array;
    }
};

// Builds a ConfigKey from a member-pointer accessor.
template <typename T, typename Access>
ConfigKey makeKey(std::string path, std::string env, Access access, std::string description,
                  bool secret = false) {
    ConfigKey k;
    k.path = path;
    k.env = std::move(env);
    k.type = Kind<T>::name;
    k.description = std::move(description);
    k.secret = secret;
    k.set = [path, access](Config& c, const std::string& text) { access(c) = Kind<T>::parse(path, text); };
    k.setJson = [path, access](Config& c, const Poco::Dynamic::Var& v) {
        access(c) = Kind<T>::fromJson(path, v);
    };
    k.get = [access](const Config& c) { return Kind<T>::toJson(access(const_cast<Config&>(c))); };
    return k;
}

#define PARLEY_KEY(T, PATH, ENV, MEMBER, DESC, ...) \
    makeKey<T>(PATH, ENV, [](Config& c) -> T& { return c.MEMBER; }, DESC, ##__VA_ARGS__)

std::vector<ConfigKey> buildKeys() {
    return {
        PARLEY_KEY(std::string, "server.host", "PARLEY_HTTP_HOST", server.host,
                   "Address the HTTP server binds to."),
        PARLEY_KEY(int, "server.port", "PARLEY_HTTP_PORT", server.port, "TCP port of the HTTP server."),
        PARLEY_KEY(std::string, "server.public_url", "PARLEY_PUBLIC_URL", server.public_url,
                   "URL browsers use to reach this server (for embed snippets); default http://localhost:<port>."),
        PARLEY_KEY(std::string, "server.public_dir", "PARLEY_PUBLIC_DIR", server.public_dir,
                   "Folder of static files (widget, panel, inbox)."),
        PARLEY_KEY(std::string, "server.data_dir", "PARLEY_DATA_DIR", server.data_dir,
                   "Folder for the SQLite database, uploads and the generated master key."),
        PARLEY_KEY(int, "server.max_threads", "PARLEY_HTTP_MAX_THREADS", server.max_threads,
                   "HTTP worker threads; each keep-alive connection holds one while open."),
        PARLEY_KEY(int, "server.max_queued", "PARLEY_HTTP_MAX_QUEUED", server.max_queued,
                   "Accepted connections waiting for a thread before new ones are refused."),
        PARLEY_KEY(int, "server.keep_alive_timeout_seconds", "PARLEY_HTTP_KEEP_ALIVE_SECONDS",
                   server.keep_alive_timeout_seconds, "Idle time after which a keep-alive connection is closed."),
        PARLEY_KEY(int, "server.max_keep_alive_requests", "", server.max_keep_alive_requests,
                   "Requests served on one connection before it is closed."),
        PARLEY_KEY(int, "server.shutdown_grace_seconds", "", server.shutdown_grace_seconds,
                   "On SIGTERM, how long in-flight requests may take to finish."),
        PARLEY_KEY(int64_t, "server.max_body_bytes", "PARLEY_HTTP_MAX_BODY_BYTES", server.max_body_bytes,
                   "Largest request body accepted (413 above)."),
        PARLEY_KEY(int, "server.max_json_depth", "", server.max_json_depth,
                   "Deepest nesting of arrays and objects accepted in a JSON body."),
        PARLEY_KEY(bool, "server.trust_proxy", "PARLEY_TRUST_PROXY", server.trust_proxy,
                   "Take the client address from X-Forwarded-For (only behind your own proxy)."),
        PARLEY_KEY(std::string, "database.url", "PARLEY_DATABASE_URL", database.url,
                   "sqlite:<path> or postgresql://user:password@host:port/dbname.", true),
        PARLEY_KEY(int, "database.pool_size", "PARLEY_DATABASE_POOL_SIZE", database.pool_size,
                   "Database connections kept open."),
        PARLEY_KEY(int, "database.busy_timeout_ms", "", database.busy_timeout_ms,
                   "SQLite: how long a writer waits for the lock before failing."),
        PARLEY_KEY(std::string, "security.master_key", "PARLEY_MASTER_KEY", security.master_key,
                   "Base64 of 32 random bytes; encrypts secrets at rest. Empty: generated in <data_dir>/master.key.",
                   true),
        PARLEY_KEY(std::vector<std::string>, "security.previous_master_keys", "PARLEY_PREVIOUS_MASTER_KEYS",
                   security.previous_master_keys,
                   "Older master keys still accepted for decryption while rotating (parleyd secrets rewrap).", true),
        PARLEY_KEY(bool, "security.cookie_secure", "PARLEY_COOKIE_SECURE", security.cookie_secure,
                   "Mark session cookies Secure (set true behind HTTPS)."),
        PARLEY_KEY(int, "security.session_idle_minutes", "", security.session_idle_minutes,
                   "A session unused this long expires."),
        PARLEY_KEY(int, "security.session_absolute_hours", "", security.session_absolute_hours,
                   "A session expires this long after login, used or not."),
        PARLEY_KEY(int, "security.login_max_failures", "", security.login_max_failures,
                   "Failed logins for one account before it is locked (0 disables the lockout)."),
        PARLEY_KEY(int, "security.login_lockout_minutes", "", security.login_lockout_minutes,
                   "How long a locked account stays locked."),
        PARLEY_KEY(int, "security.argon2_memory_kib", "PARLEY_ARGON2_MEMORY_KIB", security.argon2_memory_kib,
                   "argon2id memory cost for password hashes."),
        PARLEY_KEY(int, "security.argon2_iterations", "", security.argon2_iterations,
                   "argon2id time cost for password hashes."),
        PARLEY_KEY(int, "security.min_password_length", "", security.min_password_length,
                   "Shortest password accepted."),
        PARLEY_KEY(int, "rate_limits.public_per_ip_per_minute", "PARLEY_PUBLIC_RATE_LIMIT",
                   rate_limits.public_per_ip_per_minute, "Requests per minute one IP may make to public routes."),
        PARLEY_KEY(int, "rate_limits.login_per_ip_per_minute", "", rate_limits.login_per_ip_per_minute,
                   "Login attempts per minute from one IP."),
        PARLEY_KEY(int, "widgets.config_cache_seconds", "", widgets.config_cache_seconds,
                   "How long a node serves a widget config from memory before checking the database."),
        PARLEY_KEY(int, "widgets.config_max_age_seconds", "", widgets.config_max_age_seconds,
                   "Cache-Control max-age of the public widget config; 0 means no-cache (revalidate with ETag)."),
        PARLEY_KEY(bool, "routing.auto_assign", "PARLEY_ROUTING_AUTO_ASSIGN", routing.auto_assign,
                   "Give queued conversations to the least-busy online agent with free capacity (off: agents pick)."),
        PARLEY_KEY(int, "routing.default_capacity", "", routing.default_capacity,
                   "Concurrent conversations an agent takes when no capacity was set for them."),
        PARLEY_KEY(int, "routing.presence_timeout_seconds", "", routing.presence_timeout_seconds,
                   "An agent with no heartbeat and no open realtime socket for this long counts as offline."),
        PARLEY_KEY(std::vector<std::string>, "routing.human_keywords", "", routing.human_keywords,
                   "Words in a visitor message that ask for a human (case-insensitive): the chat joins the queue."),
        PARLEY_KEY(int, "realtime.threads", "PARLEY_REALTIME_THREADS", realtime.threads,
                   "Threads serving every WebSocket (epoll); the number of connections does not add threads."),
        PARLEY_KEY(int, "realtime.workers", "PARLEY_REALTIME_WORKERS", realtime.workers,
                   "Threads running realtime frames that touch the database; 0 picks 4 on SQLite (one writer at a time) "
                   "and 16 on PostgreSQL (concurrent commits share their WAL flushes)."),
        PARLEY_KEY(int, "realtime.max_frame_bytes", "", realtime.max_frame_bytes,
                   "Largest WebSocket message a client may send; bigger ones close the socket with 1009."),
        PARLEY_KEY(int, "realtime.max_queued_bytes", "", realtime.max_queued_bytes,
                   "Unsent bytes after which a slow client is cut off (1008 \"slow consumer\"); it may resume."),
        PARLEY_KEY(int, "realtime.ping_interval_seconds", "", realtime.ping_interval_seconds,
                   "A ping after this much silence from a client."),
        PARLEY_KEY(int, "realtime.idle_timeout_seconds", "", realtime.idle_timeout_seconds,
                   "A client silent this long (not even a pong) is disconnected."),
        PARLEY_KEY(int, "realtime.auth_timeout_seconds", "", realtime.auth_timeout_seconds,
                   "How long a new socket may take to send its hello frame."),
        PARLEY_KEY(bool, "outbound.allow_private_targets", "PARLEY_OUTBOUND_ALLOW_PRIVATE", outbound.allow_private_targets,
                   "Let plugins' outgoing HTTP reach loopback and private addresses (off: only public ones)."),
        PARLEY_KEY(std::vector<std::string>, "outbound.allowed_private_hosts", "PARLEY_OUTBOUND_ALLOWED_HOSTS",
                   outbound.allowed_private_hosts,
                   "Host names that may resolve to private addresses all the same (an internal CRM, say)."),
        PARLEY_KEY(std::string, "log.level", "PARLEY_LOG_LEVEL", log.level,
                   "fatal, critical, error, warning, notice, information, debug or trace."),
        PARLEY_KEY(bool, "log.access", "PARLEY_ACCESS_LOG", log.access, "One JSON line per HTTP request."),
        PARLEY_KEY(std::string, "lua.scripts_dir", "PARLEY_LUA_SCRIPTS_DIR", lua.scripts_dir,
                   "Folder of Lua rules (*.lua, recursively; lib/ holds helpers for parley.import)."),
        PARLEY_KEY(int, "lua.memory_limit_kib", "PARLEY_LUA_MEMORY_LIMIT_KIB", lua.memory_limit_kib,
                   "Memory one script file's Lua state may hold."),
        PARLEY_KEY(int, "lua.instruction_limit", "PARLEY_LUA_INSTRUCTION_LIMIT", lua.instruction_limit,
                   "Lua instructions (and pattern-matching steps) one call into a rule may run."),
        PARLEY_KEY(int, "lua.time_limit_ms", "PARLEY_LUA_TIME_LIMIT_MS", lua.time_limit_ms,
                   "Wall-clock time one call into a rule may take."),
        PARLEY_KEY(int, "lua.max_failures", "PARLEY_LUA_MAX_FAILURES", lua.max_failures,
                   "Consecutive failures after which a rule is disabled (0 never disables)."),
        PARLEY_KEY(int, "lua.reload_interval_ms", "PARLEY_LUA_RELOAD_INTERVAL_MS", lua.reload_interval_ms,
                   "How often the scripts folder is checked for edited files (0 turns hot reload off)."),
        PARLEY_KEY(std::vector<std::string>, "plugins.enabled", "PARLEY_PLUGINS", plugins.enabled,
                   "Plugin ids to load (their settings live under plugins.<id>)."),
        PARLEY_KEY(std::vector<std::string>, "plugins.path", "PARLEY_PLUGINS_PATH", plugins.path,
                   "Folders searched, in order, for <id>/plugin.json and the plugin's library."),
        PARLEY_KEY(int, "outbox.poll_interval_ms", "PARLEY_OUTBOX_POLL_INTERVAL_MS", outbox.poll_interval_ms,
                   "How often an idle node checks the outbox for due retries; a commit that writes an outbox row wakes it at once."),
        PARLEY_KEY(int, "outbox.wake_delay_ms", "", outbox.wake_delay_ms,
                   "After a commit wakes the outbox dispatcher, how long it gathers further commits into the same pass (0: none)."),
        PARLEY_KEY(int, "outbox.retention_days", "PARLEY_OUTBOX_RETENTION_DAYS", outbox.retention_days,
                   "Days a dispatched outbox event is kept before the hourly clean-up deletes it (0: kept forever)."),
        PARLEY_KEY(int, "outbox.batch_size", "", outbox.batch_size,
                   "Events moved or delivered per transaction by the outbox dispatcher."),
        PARLEY_KEY(int, "outbox.retry_base_ms", "PARLEY_OUTBOX_RETRY_BASE_MS", outbox.retry_base_ms,
                   "Wait before a subscription's failed event is retried; doubles per attempt."),
        PARLEY_KEY(int, "outbox.retry_max_ms", "PARLEY_OUTBOX_RETRY_MAX_MS", outbox.retry_max_ms,
                   "Longest wait between a subscription's attempts at one event."),
    };
}

const ConfigKey* findKey(const std::string& path) {
    for (const auto& k : configKeys())
        if (k.path == path) return &k;
    return nullptr;
}

// Walks the JSON file, setting known keys and collecting unknown ones.
void applyJson(Config& config, const Poco::JSON::Object::Ptr& object, const std::string& prefix,
               std::vector<std::string>& warnings) {
    for (const auto& [name, value] : *object) {
        std::string path = prefix.empty() ? name : prefix + "." + name;
        if (path == "plugins" && value.type() == typeid(Poco::JSON::Object::Ptr)) {
            config.plugins.settings = value.extract<Poco::JSON::Object::Ptr>();
        }
        if (const ConfigKey* k = findKey(path)) {
            k->setJson(config, value);
        } else if (value.type() == typeid(Poco::JSON::Object::Ptr)) {
            if (prefix == "plugins") continue;  // plugins.<id>.* belongs to the plugin host
            applyJson(config, value.extract<Poco::JSON::Object::Ptr>(), path, warnings);
        } else if (name.rfind("_", 0) != 0) {  // keys starting with _ are comments
            warnings.push_back("unknown config key '" + path + "' ignored");
        }
    }
}

// Until the plugin host validates settings against each manifest, mask anything that sounds secret.
Poco::Dynamic::Var maskByName(const Poco::Dynamic::Var& value) {
    if (value.type() != typeid(Poco::JSON::Object::Ptr)) return value;
    Poco::JSON::Object::Ptr out = new Poco::JSON::Object;
    for (const auto& [name, v] : *value.extract<Poco::JSON::Object::Ptr>()) {
        bool secret = name.find("secret") != std::string::npos || name.find("token") != std::string::npos ||
                      name.find("password") != std::string::npos || name.find("key") != std::string::npos;
        out->set(name, secret && v.isString() ? Poco::Dynamic::Var("••••") : maskByName(v));
    }
    return out;
}

// Hides the password of a database URL, in user:password@ or ?password= form.
std::string maskUrlPassword(std::string s) {
    auto at = s.find('@'), scheme = s.find("://");
    if (at != std::string::npos && scheme != std::string::npos) {
        auto colon = s.find(':', scheme + 3);
        if (colon != std::string::npos && colon < at) s = s.substr(0, colon + 1) + "••••" + s.substr(at);
    }
    auto p = s.find("password=");
    if (p != std::string::npos) {
        auto end = s.find('&', p);
        s = s.substr(0, p + 9) + "••••" + (end == std::string::npos ? "" : s.substr(end));
    }
    return s;
}

}  // namespace

const std::vector<ConfigKey>& configKeys() {
    static const std::vector<ConfigKey> keys = buildKeys();
    return keys;
}

std::string Config::publicUrl() const {
    std::string url = server.public_url;
    if (url.empty()) url = "http://localhost:" + std::to_string(server.port);
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
}

Config loadConfig(const std::string& path, bool required, std::vector<std::string>& warnings,
                  const std::map<std::string, std::string>& environment) {
    Config config;
    config.plugins.settings = new Poco::JSON::Object;
    std::ifstream in(path);
    if (in) {
        std::stringstream text;
        text << in.rdbuf();
        Poco::Dynamic::Var parsed;
        try {
            parsed = Poco::JSON::Parser().parse(text.str());
        } catch (const Poco::Exception& e) {
            throw ConfigError("config file '" + path + "' is not valid JSON: " + e.displayText());
        }
        if (parsed.type() != typeid(Poco::JSON::Object::Ptr))
            throw ConfigError("config file '" + path + "' must hold a JSON object");
        applyJson(config, parsed.extract<Poco::JSON::Object::Ptr>(), "", warnings);
    } else if (required) {
        throw ConfigError("config file '" + path + "' cannot be read");
    }
    for (const auto& k : configKeys()) {
        if (k.env.empty()) continue;  // (validated below with the rest)
        auto it = environment.find(k.env);
        if (it != environment.end()) {
            try {
                k.set(config, it->second);
            } catch (const ConfigError& e) {
                throw ConfigError(std::string(e.what()) + " (from environment variable " + k.env + ")");
            }
        }
    }
    validateConfig(config);
    return config;
}

void validateConfig(const Config& config) {
    static const std::set<std::string> levels = {"fatal", "critical", "error", "warning", "notice",
                                                 "information", "debug", "trace"};
    if (!levels.count(config.log.level))
        throw ConfigError("config key 'log.level' must be one of fatal, critical, error, warning, notice, "
                          "information, debug, trace (got '" + config.log.level + "')");
    auto positive = [](const std::string& key, long long v) {
        if (v < 1) throw ConfigError("config key '" + key + "' must be at least 1 (got " + std::to_string(v) + ")");
    };
    positive("server.max_threads", config.server.max_threads);
    positive("server.max_queued", config.server.max_queued);
    positive("server.max_body_bytes", config.server.max_body_bytes);
    positive("server.max_json_depth", config.server.max_json_depth);
    positive("database.pool_size", config.database.pool_size);
    positive("security.argon2_iterations", config.security.argon2_iterations);
    if (config.security.argon2_memory_kib < 8)
        throw ConfigError("config key 'security.argon2_memory_kib' must be at least 8");
    if (config.lua.memory_limit_kib < 256)
        throw ConfigError("config key 'lua.memory_limit_kib' must be at least 256 (got " +
                          std::to_string(config.lua.memory_limit_kib) + ")");
    if (config.lua.instruction_limit < 1000)
        throw ConfigError("config key 'lua.instruction_limit' must be at least 1000 (got " +
                          std::to_string(config.lua.instruction_limit) + ")");
    positive("lua.time_limit_ms", config.lua.time_limit_ms);
    positive("routing.default_capacity", config.routing.default_capacity);
    positive("routing.presence_timeout_seconds", config.routing.presence_timeout_seconds);
    positive("realtime.threads", config.realtime.threads);
    if (config.realtime.workers < 0) throw ConfigError("config key 'realtime.workers' must be 0 (automatic) or more");
    positive("realtime.ping_interval_seconds", config.realtime.ping_interval_seconds);
    positive("realtime.idle_timeout_seconds", config.realtime.idle_timeout_seconds);
    positive("realtime.auth_timeout_seconds", config.realtime.auth_timeout_seconds);
    if (config.realtime.max_frame_bytes < 1024)
        throw ConfigError("config key 'realtime.max_frame_bytes' must be at least 1024");
    if (config.realtime.max_queued_bytes < config.realtime.max_frame_bytes)
        throw ConfigError("config key 'realtime.max_queued_bytes' must be at least realtime.max_frame_bytes");
    if (config.lua.max_failures < 0) throw ConfigError("config key 'lua.max_failures' must be 0 or more");
    positive("outbox.poll_interval_ms", config.outbox.poll_interval_ms);
    positive("outbox.batch_size", config.outbox.batch_size);
    if (config.outbox.retention_days < 0 || config.outbox.retention_days > 3650)
        throw ConfigError("config key 'outbox.retention_days' must be 0 (keep forever) to 3650");
    if (config.outbox.wake_delay_ms < 0 || config.outbox.wake_delay_ms > 1000)
        throw ConfigError("config key 'outbox.wake_delay_ms' must be 0 to 1000");
    positive("outbox.retry_base_ms", config.outbox.retry_base_ms);
    if (config.outbox.retry_max_ms < config.outbox.retry_base_ms)
        throw ConfigError("config key 'outbox.retry_max_ms' must be at least outbox.retry_base_ms (" +
                          std::to_string(config.outbox.retry_base_ms) + ")");
    if (config.lua.reload_interval_ms < 0)
        throw ConfigError("config key 'lua.reload_interval_ms' must be 0 (off) or more");
    if (config.server.port < 0 || config.server.port > 65535)
        throw ConfigError("config key 'server.port' must be between 0 and 65535");
}

void setConfigKey(Config& config, const std::string& path, const std::string& text) {
    const ConfigKey* k = findKey(path);
    if (!k) throw ConfigError("unknown config key '" + path + "' (see docs/configuration.md)");
    k->set(config, text);
}

Poco::JSON::Object::Ptr configToJson(const Config& config, bool mask_secrets) {
    Poco::JSON::Object::Ptr root = new Poco::JSON::Object;
    for (const auto& k : configKeys()) {
        auto dot = k.path.find('.');
        std::string section = k.path.substr(0, dot), name = k.path.substr(dot + 1);
        if (!root->has(section)) root->set(section, Poco::JSON::Object::Ptr(new Poco::JSON::Object));
        Poco::Dynamic::Var value = k.get(config);
        if (k.secret && mask_secrets) {
            if (value.isString()) {
                std::string s = value.extract<std::string>();
                // Keep a database URL readable without its password.
                if (k.path == "database.url") value = maskUrlPassword(s);
                else value = s.empty() ? "" : "••••";
            } else {
                Poco::JSON::Array::Ptr masked = new Poco::JSON::Array;
                for (size_t i = 0; i < config.security.previous_master_keys.size(); ++i) masked->add("••••");
                value = masked;
            }
        }
        root->getObject(section)->set(name, value);
    }
    if (config.plugins.settings) {
        for (const auto& [id, settings] : *config.plugins.settings)
            if (id != "enabled") root->getObject("plugins")->set(id, mask_secrets ? maskByName(settings) : settings);
    }
    return root;
}

std::map<std::string, std::string> processEnvironment() {
    std::map<std::string, std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string entry(*e);
        auto eq = entry.find('=');
        if (eq != std::string::npos && entry.rfind("PARLEY_", 0) == 0)
            env[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    return env;
}

}  // namespace parley::core

// Builds the App: database pool, master key (generated once for a zero-setup start), caches.
#include "app/app.hpp"

#include "app/errors.hpp"
#include "auth/crypto.hpp"
#include "auth/secret_box.hpp"
#include "http/static_files.hpp"
#include "lua/script_engine.hpp"
#include "jobs/scheduler.hpp"
#include "pipeline/message_pipeline.hpp"
#include "pipeline/routing.hpp"
#include "realtime/hub.hpp"
#include "pipeline/outbox_dispatcher.hpp"
#include "plugin/plugin_host.hpp"

#include <Poco/Environment.h>
#include <Poco/Process.h>
#include "store/database.hpp"
#include "store/kv_repository.hpp"
#include "widgets/widget_config_cache.hpp"

#include <Poco/File.h>
#include <Poco/Path.h>

#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace parley::core {

App::App() = default;
App::~App() = default;

namespace {

std::string decodeKey(const std::string& text, const std::string& what) {
    std::string key;
    try {
        key = base64Decode(Poco::trim(text));
    } catch (const std::exception&) {
        throw ConfigError(what + " is not base64; generate one with: head -c32 /dev/urandom | base64");
    }
    if (key.size() != 32)
        throw ConfigError(what + " must be base64 of exactly 32 bytes (got " + std::to_string(key.size()) +
                          "); generate one with: head -c32 /dev/urandom | base64");
    return key;
}

// With no configured key, a key file in the data folder keeps `make run` zero-setup; production sets one.
std::string loadOrCreateKeyFile(const Config& config, Poco::Logger& log) {
    Poco::File(config.server.data_dir).createDirectories();
    std::string path = Poco::Path(config.server.data_dir).append("master.key").toString();
    std::ifstream in(path);
    if (in) {
        std::stringstream text;
        text << in.rdbuf();
        return decodeKey(text.str(), "master key file '" + path + "'");
    }
    std::string key = randomBytes(32);
    {
        std::ofstream out(path);
        out << base64Encode(key) << "\n";
        if (!out) throw ConfigError("cannot write master key file '" + path + "'");
    }
    chmod(path.c_str(), 0600);
    log.warning("no security.master_key configured: generated " + path +
                " (back it up; secrets at rest cannot be read without it)");
    return key;
}

}  // namespace

std::unique_ptr<App> openApp(const Config& config, Poco::Logger& log) {
    auto app = std::make_unique<App>();
    app->config = config;
    app->log = &log;
    app->started_at_ms = nowMs();
    std::string key = config.security.master_key.empty() ? loadOrCreateKeyFile(config, log)
                                                          : decodeKey(config.security.master_key, "security.master_key");
    std::vector<std::string> previous;
    for (size_t i = 0; i < config.security.previous_master_keys.size(); ++i)
        previous.push_back(decodeKey(config.security.previous_master_keys[i],
                                     "security.previous_master_keys[" + std::to_string(i) + "]"));
    app->secrets = std::make_unique<SecretBox>(key, previous);
    app->db = std::make_unique<Database>(config.database);
    app->widget_configs = std::make_unique<WidgetConfigCache>(*app);
    app->static_files = std::make_unique<StaticFiles>(config.server.public_dir);
    app->kv = std::make_unique<DatabaseKvStore>(*app->db);
    app->scripts = std::make_unique<ScriptEngine>(scriptEngineOptions(config.lua), app->hooks, app->kv.get(), log);
    app->plugins = std::make_unique<PluginHost>(*app);
    app->pipeline = std::make_unique<MessagePipeline>(*app);
    app->routing = std::make_unique<Routing>(*app);
    app->realtime = std::make_unique<realtime::Hub>(*app);
    app->scheduler = std::make_unique<Scheduler>(*app->db, Poco::Environment::nodeName() + ":" +
                                                               std::to_string(Poco::Process::id()) + ":" +
                                                               randomToken(4));
    OutboxOptions outbox{config.outbox.poll_interval_ms, config.outbox.batch_size, config.outbox.retry_base_ms,
                         config.outbox.retry_max_ms, config.outbox.wake_delay_ms};
    app->outbox = std::make_unique<OutboxDispatcher>(*app->db, outbox, log);
    OutboxDispatcher* dispatcher = app->outbox.get();
    // A commit that wrote outbox rows wakes the dispatcher at once: no waiting for its next poll.
    app->db->onOutboxCommit([dispatcher] { dispatcher->wake(true); });
    Database* db = app->db.get();
    long long started = app->started_at_ms;
    app->metrics.addGauge("parley_db_pool_size", "Database connections in the pool.",
                          [db] { return static_cast<double>(db->poolSize()); });
    app->metrics.addGauge("parley_db_pool_in_use", "Database connections currently lent out.",
                          [db] { return static_cast<double>(db->inUse()); });
    app->metrics.addGauge("parley_uptime_seconds", "Seconds since parleyd started.",
                          [started] { return (nowMs() - started) / 1000.0; });
    App* raw = app.get();
    app->metrics.addGauge("parley_outbox_pending", "Outbox events not yet given to every durable subscription.",
                          [raw] { return static_cast<double>(raw->outbox->pending()); });
    app->metrics.addGauge("parley_http_in_flight_requests", "Requests being handled now.",
                          [raw] { return static_cast<double>(raw->in_flight.load()); });
    realtime::Hub* hub = app->realtime.get();
    app->metrics.addGauge("parley_realtime_connections", "Open WebSockets on this node (visitors and agents).",
                          [hub] { return static_cast<double>(hub->connections()); });
    return app;
}

}  // namespace parley::core

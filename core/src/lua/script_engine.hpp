// Every rule file under the scripts folder, registered in the hook registry, reloaded live when edited.
#pragma once

#include <Poco/Logger.h>

#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "app/config.hpp"
#include "http/json.hpp"
#include "lua/lua_script.hpp"
#include "plugin/hooks.hpp"
#include "store/kv_repository.hpp"

namespace parley::core {

struct ScriptEngineOptions {
    std::string scripts_dir = "scripts";
    LuaLimits limits;
    int max_failures = 5;
    int reload_interval_ms = 1000;  // 0: no watcher, reload() only
};

// The engine's options from the lua.* config keys.
ScriptEngineOptions scriptEngineOptions(const LuaConfig& config);

// What GET /api/v1/scripts shows for one file.
struct ScriptFileStatus {
    std::string file;            // relative to the scripts folder: "bot/greeting.lua"
    std::string state;           // "loaded"; "disabled" when every rule is; "failed" when no version runs
    std::string error;           // the latest load error ("" if none); a previous version may still run
    long long loaded_at_ms = 0;  // when the running version was loaded; 0 when none runs
    size_t hooks = 0;
    long long failures = 0;  // rule failures since the running version was loaded
    std::vector<RuleStatus> rules;

    JsonObject toJson() const;
};

class ScriptEngine {
public:
    // `kv` may be null (parley.kv then raises). Nothing is loaded before start() or reload().
    ScriptEngine(ScriptEngineOptions options, HookRegistry& hooks, KvStore* kv, Poco::Logger& log);
    // Stops the watcher and removes this engine's hooks from the registry.
    ~ScriptEngine();
    ScriptEngine(const ScriptEngine&) = delete;
    ScriptEngine& operator=(const ScriptEngine&) = delete;

    // Loads every file, then starts the watcher thread when reload_interval_ms > 0.
    void start();
    // Stops the watcher (waits for a reload in progress). Idempotent.
    void stop();

    // Scans the folder (recursively, *.lua, skipping lib/): new and edited files are loaded and their hooks
    // replace the old ones at once; a file that fails to load keeps its previous version running and records
    // the reason; removed files are unregistered. `force` reloads every file (re-enabling disabled rules), as
    // does any change under lib/. Safe from any thread; reloads are serialized. Returns the status
    // afterwards.
    std::vector<ScriptFileStatus> reload(bool force = true);

    std::vector<ScriptFileStatus> status() const;

    // The plugin functions scripts see as parley.<namespace>.<name>; set before start() (states built later
    // pick them up).
    void setExports(std::vector<LuaExport> exports);
    // The client behind parley.http.request; set before start().
    void setHttp(std::function<OutboundResponse(const OutboundRequest&)> http) { http_ = std::move(http); }
    const std::string& scriptsDir() const { return options_.scripts_dir; }

private:
    struct Stamp {
        std::filesystem::file_time_type mtime;
        std::uintmax_t size = 0;
        bool operator==(const Stamp&) const = default;
    };
    struct FileEntry {
        std::shared_ptr<LuaScript> script;  // the running version, if any
        std::string error;
        Stamp stamp;  // of the last load attempt
        long long loaded_at_ms = 0;
    };
    struct Found {
        std::string name, path;
        Stamp stamp;
    };
    std::vector<Found> scan(bool libraries) const;
    ScriptServices servicesFor(const std::string& name);
    void watch();

    ScriptEngineOptions options_;
    HookRegistry& hooks_;
    KvStore* kv_;
    std::shared_ptr<const std::vector<LuaExport>> exports_;
    std::function<OutboundResponse(const OutboundRequest&)> http_;
    Poco::Logger& log_;

    mutable std::mutex mutex_;  // files_
    std::map<std::string, FileEntry> files_;
    std::mutex reload_mutex_;
    std::map<std::string, Stamp> library_stamps_;
    bool missing_dir_logged_ = false;

    std::mutex watch_mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread watcher_;
};

// The status of every file as the HTTP API returns it: {"scripts_dir": ..., "scripts": [...]}.
JsonObject scriptStatusJson(const std::string& scripts_dir, const std::vector<ScriptFileStatus>& files);

}  // namespace parley::core

// Scans the scripts folder, swaps each file's hooks atomically on reload, and polls mtimes on a watcher
// thread.
#include "lua/script_engine.hpp"

#include <algorithm>

#include "store/database.hpp"

namespace fs = std::filesystem;

namespace parley::core {

namespace {

const char* kindName(HookKind kind) { return kind == HookKind::filter ? "filter" : "notification"; }

Poco::Dynamic::Var textOrNull(const std::string& s) {
    return s.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(s);
}

}  // namespace

ScriptEngineOptions scriptEngineOptions(const LuaConfig& config) {
    ScriptEngineOptions options;
    options.scripts_dir = config.scripts_dir;
    options.limits.memory_bytes = static_cast<size_t>(config.memory_limit_kib) * 1024;
    options.limits.instructions = config.instruction_limit;
    options.limits.time_ms = config.time_limit_ms;
    options.limits.max_string_bytes = std::min<size_t>(1u << 20, options.limits.memory_bytes / 4);
    options.max_failures = config.max_failures;
    options.reload_interval_ms = config.reload_interval_ms;
    return options;
}

JsonObject ScriptFileStatus::toJson() const {
    JsonObject o = jsonObject();
    o->set("file", file);
    o->set("state", state);
    o->set("error", textOrNull(error));
    o->set("loaded_at", static_cast<Poco::Int64>(loaded_at_ms));
    o->set("hooks", static_cast<Poco::UInt64>(hooks));
    o->set("failures", static_cast<Poco::Int64>(failures));
    JsonArray list = jsonArray();
    for (const auto& r : rules) {
        JsonObject rule = jsonObject();
        rule->set("event", r.event);
        rule->set("priority", r.priority);
        rule->set("kind", std::string(kindName(r.kind)));
        rule->set("line", r.line);
        rule->set("calls", static_cast<Poco::Int64>(r.calls));
        rule->set("failures", static_cast<Poco::Int64>(r.failures));
        rule->set("failures_in_a_row", r.failures_in_a_row);
        rule->set("disabled", r.disabled);
        rule->set("last_error", textOrNull(r.last_error));
        list->add(rule);
    }
    o->set("rules", list);
    return o;
}

JsonObject scriptStatusJson(const std::string& scripts_dir, const std::vector<ScriptFileStatus>& files) {
    JsonObject body = jsonObject();
    body->set("scripts_dir", scripts_dir);
    JsonArray list = jsonArray();
    for (const auto& f : files) list->add(f.toJson());
    body->set("scripts", list);
    return body;
}

ScriptEngine::ScriptEngine(ScriptEngineOptions options, HookRegistry& hooks, KvStore* kv, Poco::Logger& log)
    : options_(std::move(options)), hooks_(hooks), kv_(kv), log_(log) {}

ScriptEngine::~ScriptEngine() {
    stop();
    std::lock_guard lock(mutex_);
    for (const auto& [name, entry] : files_)
        if (entry.script) hooks_.removeOwner(entry.script->owner());
}

void ScriptEngine::start() {
    reload(true);
    if (options_.reload_interval_ms > 0 && !watcher_.joinable()) {
        {
            std::lock_guard lock(watch_mutex_);
            stopping_ = false;
        }
        watcher_ = std::thread([this] { watch(); });
    }
}

void ScriptEngine::stop() {
    {
        std::lock_guard lock(watch_mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (watcher_.joinable()) watcher_.join();
}

void ScriptEngine::watch() {
    std::unique_lock lock(watch_mutex_);
    while (!stopping_) {
        if (wake_.wait_for(lock, std::chrono::milliseconds(options_.reload_interval_ms),
                           [this] { return stopping_; }))
            break;
        lock.unlock();
        try {
            reload(false);
        } catch (const std::exception& e) {
            log_.error(std::string("lua: checking the scripts folder failed: ") + e.what());
        }
        lock.lock();
    }
}

std::vector<ScriptEngine::Found> ScriptEngine::scan(bool libraries) const {
    std::vector<Found> out;
    fs::path root = libraries ? fs::path(options_.scripts_dir) / "lib" : fs::path(options_.scripts_dir);
    std::error_code ec;
    if (!fs::is_directory(root, ec)) return out;
    for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const fs::path& path = it->path();
        std::string leaf = path.filename().string();
        if (!leaf.empty() && leaf[0] == '.') {  // editor swap files, hidden folders
            if (it->is_directory(ec)) it.disable_recursion_pending();
            continue;
        }
        if (!libraries && it.depth() == 0 && leaf == "lib" && it->is_directory(ec)) {
            it.disable_recursion_pending();  // helpers, loaded by parley.import, not rules
            continue;
        }
        if (!it->is_regular_file(ec) || path.extension() != ".lua") continue;
        Found f;
        f.name = fs::relative(path, options_.scripts_dir, ec).generic_string();
        f.path = path.string();
        f.stamp.mtime = fs::last_write_time(path, ec);
        f.stamp.size = fs::file_size(path, ec);
        out.push_back(std::move(f));
    }
    std::sort(out.begin(), out.end(), [](const Found& a, const Found& b) { return a.name < b.name; });
    return out;
}

void ScriptEngine::setExports(std::vector<LuaExport> exports) {
    exports_ = std::make_shared<const std::vector<LuaExport>>(std::move(exports));
}

ScriptServices ScriptEngine::servicesFor(const std::string& name) {
    ScriptServices services;
    services.kv = kv_;
    services.scripts_dir = options_.scripts_dir;
    services.exports = exports_;
    services.http = http_;
    Poco::Logger* log = &log_;
    services.log = [log, name](const std::string& level, const std::string& message) {
        std::string line = "lua " + name + ": " + message;
        if (level == "error")
            log->error(line);
        else if (level == "warning")
            log->warning(line);
        else if (level == "debug")
            log->debug(line);
        else
            log->information(line);
    };
    return services;
}

std::vector<ScriptFileStatus> ScriptEngine::reload(bool force) {
    std::lock_guard reload_lock(reload_mutex_);
    std::error_code ec;
    if (!fs::is_directory(options_.scripts_dir, ec)) {
        if (!missing_dir_logged_)
            log_.information("lua: scripts folder '" + options_.scripts_dir +
                             "' does not exist; no rules loaded");
        missing_dir_logged_ = true;
    } else {
        missing_dir_logged_ = false;
    }
    // A helper under lib/ may be imported by any file: when one changes, every file loads again.
    std::map<std::string, Stamp> libraries;
    for (const auto& f : scan(true)) libraries[f.name] = f.stamp;
    if (libraries != library_stamps_) force = true;
    library_stamps_ = std::move(libraries);

    std::vector<Found> found = scan(false);
    for (const auto& f : found) {
        {
            std::lock_guard lock(mutex_);
            auto it = files_.find(f.name);
            if (!force && it != files_.end() && it->second.stamp == f.stamp) continue;
        }
        std::shared_ptr<LuaScript> script;
        std::string error;
        try {
            script = LuaScript::fromFile(f.name, f.path, options_.limits, options_.max_failures,
                                         servicesFor(f.name));
            Poco::Logger* log = &log_;
            script->on_failure = [log](const std::string& error) { log->warning("lua: rule failed: " + error); };
            script->on_disabled = [log](const std::string& message) { log->error("lua: " + message); };
        } catch (const std::exception& e) {
            error = e.what();
        }
        if (script) hooks_.replaceOwner(script->owner(), script->hooks());
        bool had_version = false;
        {
            std::lock_guard lock(mutex_);
            FileEntry& entry = files_[f.name];
            had_version = entry.script != nullptr;
            entry.stamp = f.stamp;
            entry.error = error;
            if (script) {
                entry.script = script;
                entry.loaded_at_ms = nowMs();
            }
        }
        if (script)
            log_.information("lua: loaded " + f.name + " (" + std::to_string(script->ruleCount()) + " rule" +
                             (script->ruleCount() == 1 ? "" : "s") + ")");
        else
            log_.error("lua: " + f.name + " failed to load" +
                       (had_version ? " (its previous version keeps running): " : ": ") + error);
    }
    // Files that are gone take their hooks with them.
    std::vector<std::string> removed;
    {
        std::lock_guard lock(mutex_);
        for (auto it = files_.begin(); it != files_.end();) {
            bool present =
                std::any_of(found.begin(), found.end(), [&](const Found& f) { return f.name == it->first; });
            if (present) {
                ++it;
                continue;
            }
            removed.push_back(it->first);
            it = files_.erase(it);
        }
    }
    for (const auto& name : removed) {
        hooks_.removeOwner("lua:" + name);
        log_.information("lua: " + name + " was removed; its rules are unregistered");
    }
    return status();
}

std::vector<ScriptFileStatus> ScriptEngine::status() const {
    std::lock_guard lock(mutex_);
    std::vector<ScriptFileStatus> out;
    for (const auto& [name, entry] : files_) {
        ScriptFileStatus s;
        s.file = name;
        s.error = entry.error;
        if (!entry.script) {
            s.state = "failed";
        } else {
            s.rules = entry.script->status();
            s.hooks = s.rules.size();
            s.loaded_at_ms = entry.loaded_at_ms;
            for (const auto& r : s.rules) s.failures += r.failures;
            s.state = entry.script->allDisabled() ? "disabled" : "loaded";
            if (s.state == "disabled" && s.error.empty() && !s.rules.empty())
                s.error = "every rule is disabled after failing; last error: " + s.rules.front().last_error;
        }
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace parley::core

// The load sequence and route serving; the host function table itself lives in host_api.cpp.
#include "plugin/plugin_host.hpp"

#include "app/app.hpp"
#include "app/errors.hpp"
#include "http/request_context.hpp"
#include "jobs/scheduler.hpp"
#include "pipeline/outbox_dispatcher.hpp"
#include "plugin/loaded_plugin.hpp"
#include "auth/secret_box.hpp"
#include "store/database.hpp"
#include "store/migrator.hpp"

#include <Poco/File.h>
#include <Poco/Path.h>

#include <dlfcn.h>

#include <fstream>
#include <set>
#include <sstream>

namespace parley::core {

JsonObject PluginStatus::toJson() const {
    JsonObject o = jsonObject();
    o->set("id", id);
    o->set("version", version);
    o->set("state", state);
    o->set("reason", reason.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(reason));
    o->set("hooks", hooks);
    o->set("routes", routes);
    o->set("config", config ? Poco::Dynamic::Var(config) : Poco::Dynamic::Var());
    return o;
}

PluginHost::PluginHost(App& app) : app_(app) {}
PluginHost::~PluginHost() = default;  // libraries stay mapped: no dlclose (thread-local destructors)

std::string findPluginDirectory(const std::vector<std::string>& search_path, const std::string& id) {
    for (const auto& dir : search_path) {
        std::string candidate = Poco::Path(dir).append(id).toString();
        if (Poco::File(candidate + "/plugin.json").exists()) return candidate;
    }
    return "";
}

void PluginHost::disable(const std::string& id, const std::string& reason, const PluginManifest* manifest) {
    PluginStatus s;
    s.id = id;
    s.state = "disabled";
    s.reason = reason;
    if (manifest) {
        s.version = manifest->version;
        s.directory = manifest->directory;
    }
    status_[id] = s;
    app_.log->error("plugin '" + id + "' disabled: " + reason);
}

void PluginHost::loadAll() {
    const auto& enabled = app_.config.plugins.enabled;
    std::map<std::string, PluginManifest> manifests;
    std::set<std::string> wanted(enabled.begin(), enabled.end());
    // Manifests first: nothing of a plugin runs before its manifest and config are known to be good.
    for (const auto& id : enabled) {
        std::string dir = findPluginDirectory(app_.config.plugins.path, id);
        if (dir.empty()) {
            std::string where;
            for (const auto& p : app_.config.plugins.path) where += (where.empty() ? "" : ", ") + p;
            disable(id, "no " + id + "/plugin.json in plugins.path (" + where + ")", nullptr);
            continue;
        }
        std::ifstream in(dir + "/plugin.json");
        std::stringstream text;
        text << in.rdbuf();
        try {
            PluginManifest m = parseManifest(text.str(), dir);
            if (m.id != id) throw std::runtime_error("plugin.json in " + dir + " declares id '" + m.id + "'");
            manifests[id] = m;
        } catch (const std::exception& e) {
            disable(id, e.what(), nullptr);
        }
    }
    // Then each plugin after its dependencies (a cycle or a missing dependency disables the plugin).
    std::set<std::string> visiting;
    std::function<void(const std::string&)> visit = [&](const std::string& id) {
        if (status_.count(id) || !manifests.count(id)) return;
        if (visiting.count(id)) {
            disable(id, "dependency cycle through '" + id + "'", &manifests[id]);
            return;
        }
        visiting.insert(id);
        for (const auto& dep : manifests[id].requires_) {
            if (!wanted.count(dep)) {
                disable(id, "requires plugin '" + dep + "', which is not in plugins.enabled", &manifests[id]);
                return;
            }
            visit(dep);
            if (!status_.count(dep) || status_[dep].state != "loaded") {
                if (!status_.count(id))
                    disable(id, "requires plugin '" + dep + "', which did not load", &manifests[id]);
                return;
            }
        }
        if (!status_.count(id)) loadOne(id, manifests);
    };
    for (const auto& id : enabled) visit(id);
}

void PluginHost::loadOne(const std::string& id, std::map<std::string, PluginManifest>& manifests) {
    const PluginManifest& m = manifests[id];
    if (m.abi_major != PARLEY_ABI_MAJOR || m.abi_minor > PARLEY_ABI_MINOR) {
        disable(id,
                "built for ABI " + std::to_string(m.abi_major) + "." + std::to_string(m.abi_minor) + ", this host has " +
                    std::to_string(PARLEY_ABI_MAJOR) + "." + std::to_string(PARLEY_ABI_MINOR),
                &m);
        return;
    }
    JsonObject settings;
    try {
        JsonObject given = app_.config.plugins.settings ? app_.config.plugins.settings->getObject(id) : nullptr;
        settings = validatePluginConfig(m, given);
        openSealedSettings(m, settings, *app_.secrets);
    } catch (const std::exception& e) {
        disable(id, std::string("bad configuration: ") + e.what(), &m);
        return;
    }
    try {
        auto files = readMigrationFiles(m.directory + "/migrations");
        applyMigrations(*app_.db, id, selectMigrations(files, app_.db->backend()),
                        [&](const std::string& line) { app_.log->information(line); });
    } catch (const std::exception& e) {
        disable(id, std::string("migration failed: ") + e.what(), &m);
        return;
    }
    std::string library = m.directory + "/" + m.library;
    void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        disable(id, std::string("cannot load library: ") + dlerror(), &m);
        return;
    }
    auto abi = reinterpret_cast<parley_plugin_abi_fn>(dlsym(handle, PARLEY_PLUGIN_ABI_SYMBOL));
    auto entry = reinterpret_cast<parley_plugin_load_fn>(dlsym(handle, PARLEY_PLUGIN_LOAD_SYMBOL));
    if (!entry) {
        disable(id, std::string("library has no ") + PARLEY_PLUGIN_LOAD_SYMBOL + " symbol", &m);
        return;
    }
    if (abi) {
        uint32_t v = abi();
        if ((v >> 16) != PARLEY_ABI_MAJOR || (v & 0xffff) > PARLEY_ABI_MINOR) {
            disable(id, "library built for ABI " + std::to_string(v >> 16) + "." + std::to_string(v & 0xffff) +
                            ", this host has " + std::to_string(PARLEY_ABI_MAJOR) + "." + std::to_string(PARLEY_ABI_MINOR),
                    &m);
            return;
        }
    }
    auto plugin = std::make_unique<Loaded>();
    plugin->unload = reinterpret_cast<parley_plugin_unload_fn>(dlsym(handle, PARLEY_PLUGIN_UNLOAD_SYMBOL));
    plugin->handle.host = this;
    plugin->handle.plugin = plugin.get();
    plugin->manifest = m;
    plugin->config_text = toJson(settings);
    plugin->loading = true;
    int rc = PARLEY_ERR_INTERNAL;
    std::string error;
    try {
        clearPluginError();
        rc = entry(hostApi(), &plugin->handle);
        error = pluginError();
    } catch (const std::exception& e) {
        error = std::string("load threw: ") + e.what();
    } catch (...) {
        error = "load threw an unknown exception";
    }
    plugin->loading = false;
    if (rc != PARLEY_OK) {
        // Nothing it registered was published, so there is nothing to roll back but the record.
        disable(id, "load failed (status " + std::to_string(rc) + "): " + (error.empty() ? "no message" : error), &m);
        return;
    }
    // Lua functions first: a name the registry refuses fails the load before anything goes live.
    for (const auto& f : plugin->lua_functions) {
        parley_lua_fn fn = f.fn;
        void* user = f.user;
        try {
            app_.lua_exports.add(id, f.name, [fn, user](const std::string& args) {
                parley_lua_call call;
                clearPluginError();
                int rc = fn(user, args.c_str(), &call);
                if (rc != PARLEY_OK)
                    throw std::runtime_error(pluginError().empty() ? "failed with status " + std::to_string(rc)
                                                                   : pluginError());
                return call.result;
            });
        } catch (const std::invalid_argument& e) {
            app_.lua_exports.removeOwner(id);
            disable(id, std::string("load failed: ") + e.what(), &m);
            return;
        }
    }
    plugin->publishHooks(app_.hooks);
    for (const auto& job : plugin->jobs) {
        parley_job_fn fn = job.fn;
        void* user = job.user;
        std::string name = id + ":" + job.name;
        app_.scheduler->add(name, job.interval_seconds, [fn, user, name] {
            clearPluginError();
            int rc = fn(user);
            if (rc != PARLEY_OK) throw std::runtime_error("status " + std::to_string(rc) + ": " + pluginError());
        });
    }
    for (const auto& sub : plugin->subscriptions) {
        parley_event_fn fn = sub.fn;
        parley_batch_fn batch = sub.batch;
        parley_committed_fn committed = sub.committed;
        void* user = sub.user;
        OutboxSubscriber subscriber;
        subscriber.name = id + ":" + sub.name;
        subscriber.owner = id;
        subscriber.events = sub.events;
        if (batch) {
            subscriber.deliver_batch = [batch, user](soci::session& sql, const std::string& events, std::size_t count,
                                                     std::string& error) {
                PluginTransactionScope scope(sql);  // the plugin's sql calls join the delivery transaction
                clearPluginError();
                int rc = batch(user, events.c_str(), count);
                if (rc != PARLEY_OK) error = pluginError();
                return rc;
            };
        } else {
            subscriber.deliver = [fn, user](soci::session& sql, const std::string& event, std::string& error) {
                PluginTransactionScope scope(sql);
                clearPluginError();
                int rc = fn(user, event.c_str());
                if (rc != PARLEY_OK) error = pluginError();
                return rc;
            };
        }
        if (committed) subscriber.committed = [committed, user] { committed(user); };
        app_.outbox->add(std::move(subscriber));
    }
    PluginStatus s;
    s.id = id;
    s.version = m.version;
    s.state = "loaded";
    s.directory = m.directory;
    s.hooks = static_cast<int>(plugin->hooks.size());
    s.routes = static_cast<int>(plugin->routes.size());
    s.config = maskPluginConfig(m, settings);
    status_[id] = s;
    app_.log->information("plugin '" + id + "' " + m.version + " loaded (" + std::to_string(s.hooks) + " hooks, " +
                          std::to_string(s.routes) + " routes)");
    load_order_.push_back(id);
    loaded_[id] = std::move(plugin);
}

void PluginHost::stopAll() {
    for (auto it = load_order_.rbegin(); it != load_order_.rend(); ++it) {
        auto& plugin = loaded_[*it];
        if (!plugin || !plugin->unload) continue;
        try {
            plugin->unload();
        } catch (...) {
            app_.log->error("plugin '" + *it + "': parley_plugin_unload threw");
        }
        plugin->unload = nullptr;  // once
    }
}

std::vector<PluginStatus> PluginHost::status() const {
    std::vector<PluginStatus> out;
    for (const auto& id : app_.config.plugins.enabled) {
        auto it = status_.find(id);
        if (it != status_.end()) out.push_back(it->second);
    }
    return out;
}

void PluginHost::handleRoute(RequestContext& ctx, int visibility) {
    std::string id = ctx.param("id");
    auto it = loaded_.find(id);
    if (it == loaded_.end()) {
        auto st = status_.find(id);
        if (st != status_.end())
            throw ApiError(503, "plugin_disabled", "plugin '" + id + "' is disabled: " + st->second.reason);
        throw notFound("no plugin '" + id + "' is loaded");
    }
    it->second->serve(ctx, visibility);
}

}  // namespace parley::core

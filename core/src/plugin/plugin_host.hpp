// Loads native plugins (plugins.enabled) and serves their hooks and routes; a bad plugin is disabled, never fatal.
#pragma once

#include "http/json.hpp"
#include "plugin/manifest.hpp"

#include <parley/plugin.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace soci {
class session;
}

namespace parley::core {

struct App;
class RequestContext;

// A route a plugin registered.
struct PluginRoute {
    std::string method;
    std::string path;  // relative to the plugin's prefix, "/items/{id}"
    int visibility = PARLEY_ROUTE_ADMIN;
    parley_route_fn fn = nullptr;
    void* user = nullptr;
};

// What GET /api/v1/plugins and `parleyd plugins` show.
struct PluginStatus {
    std::string id;
    std::string version;
    std::string state;  // "loaded" or "disabled"
    std::string reason; // why disabled
    std::string directory;
    int hooks = 0;
    int routes = 0;
    JsonObject config;  // effective, secrets masked
    JsonObject toJson() const;
};

class PluginHost {
public:
    explicit PluginHost(App& app);
    ~PluginHost();

    // Loads every enabled plugin, dependencies first: manifest, ABI, config, dependencies, migrations, library,
    // entry point. Anything that fails disables that plugin with one log line; the host runs on.
    void loadAll();

    std::vector<PluginStatus> status() const;

    // Calls each loaded plugin's optional parley_plugin_unload, last loaded first, once (at shutdown, so
    // plugins join their own threads while the host's services still run).
    void stopAll();

    // Serves /api/v1/plugins/<id>/... (ADMIN) or /hooks/<id>/... (PUBLIC) for the router.
    void handleRoute(RequestContext& ctx, int visibility);

    App& app() { return app_; }

    struct Loaded;  // one plugin's state, shared with the host function table

private:
    void loadOne(const std::string& id, std::map<std::string, PluginManifest>& manifests);
    void disable(const std::string& id, const std::string& reason, const PluginManifest* manifest);

    App& app_;
    std::map<std::string, std::unique_ptr<Loaded>> loaded_;
    std::map<std::string, PluginStatus> status_;
    std::vector<std::string> load_order_;
};

// The host function table given to every plugin.
const parley_host_api* hostApi();

// While alive, plugin SQL on this thread joins `session` (the host's open transaction) instead of borrowing
// its own connection; the pipeline wraps hook dispatch in it.
class PluginTransactionScope {
public:
    explicit PluginTransactionScope(soci::session& session);
    ~PluginTransactionScope();

private:
    soci::session* previous_;
};

// Searches `plugins.path` for the folder whose plugin.json has this id.
std::string findPluginDirectory(const std::vector<std::string>& search_path, const std::string& id);

}  // namespace parley::core

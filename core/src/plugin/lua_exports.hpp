// Functions plugins expose to Lua rules, reachable from scripts as parley.<namespace>.<name>.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace parley::core {

// Calls the plugin with the Lua arguments as a JSON array; returns the result as JSON text ("null" for none),
// or throws std::runtime_error with the plugin's message.
using LuaExportFn = std::function<std::string(const std::string& args_json)>;

struct LuaExport {
    std::string owner;  // plugin id
    std::string ns;     // "kb"
    std::string name;   // "search"
    LuaExportFn fn;
};

class LuaExports {
public:
    // Adds parley.<dotted>; throws std::invalid_argument when the name is malformed ("ns.fn" of [a-z0-9_]),
    // its namespace belongs to the core or to another plugin, or it is already taken.
    void add(const std::string& owner, const std::string& dotted, LuaExportFn fn);
    std::vector<LuaExport> list() const;
    // Drops every function of a plugin (its load failed after some were added).
    void removeOwner(const std::string& owner);

private:
    mutable std::mutex mutex_;
    std::vector<LuaExport> exports_;
};

}  // namespace parley::core

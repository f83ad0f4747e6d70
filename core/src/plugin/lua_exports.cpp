// The registry of plugin functions for Lua; the script engine reads it when it builds each state.
#include "plugin/lua_exports.hpp"

#include <regex>
#include <set>
#include <stdexcept>

namespace parley::core {

void LuaExports::add(const std::string& owner, const std::string& dotted, LuaExportFn fn) {
    static const std::regex name_re("^([a-z][a-z0-9_]{0,31})\\.([a-z][a-z0-9_]{0,31})$");
    static const std::set<std::string> reserved = {"on", "log", "now", "import", "kv", "time", "text", "http"};
    std::smatch m;
    if (!std::regex_match(dotted, m, name_re))
        throw std::invalid_argument("Lua function name '" + dotted + "' must look like 'namespace.function' "
                                    "(lower-case letters, digits, '_')");
    std::string ns = m[1], name = m[2];
    if (reserved.count(ns)) throw std::invalid_argument("Lua namespace '" + ns + "' belongs to the core");
    std::lock_guard lock(mutex_);
    for (const auto& e : exports_) {
        if (e.ns == ns && e.owner != owner)
            throw std::invalid_argument("Lua namespace '" + ns + "' is taken by plugin '" + e.owner + "'");
        if (e.ns == ns && e.name == name) throw std::invalid_argument("parley." + dotted + " is already exposed");
    }
    exports_.push_back({owner, ns, name, std::move(fn)});
}

void LuaExports::removeOwner(const std::string& owner) {
    std::lock_guard lock(mutex_);
    std::erase_if(exports_, [&](const LuaExport& e) { return e.owner == owner; });
}

std::vector<LuaExport> LuaExports::list() const {
    std::lock_guard lock(mutex_);
    return exports_;
}

}  // namespace parley::core

// Gives Lua rules parley.probe.double, parley.probe.record and parley.probe.fail; /hooks/lua_probe/last shows
// what was recorded.
#include <parley/sdk.hpp>

#include <string>

namespace {
const parley_host_api* g_api = nullptr;
parley_plugin* g_self = nullptr;

// args_json is "[21]": the first number.
int doubleIt(void*, const char* args, parley_lua_call* call) {
    std::string text = args;
    long n = std::stol(text.substr(1));
    return g_api->lua_return(call, std::to_string(n * 2).c_str());
}

int record(void*, const char* args, parley_lua_call*) { return g_api->kv_set(g_self, "last", args); }

int fail(void*, const char*, parley_lua_call*) {
    g_api->set_error("the probe refuses");
    return PARLEY_ERR_INVALID_ARGUMENT;
}
}  // namespace

PARLEY_PLUGIN(load) {
    g_api = p.api();
    g_self = p.handle();
    g_api->lua_function(g_self, "probe.double", &doubleIt, nullptr);
    g_api->lua_function(g_self, "probe.record", &record, nullptr);
    g_api->lua_function(g_self, "probe.fail", &fail, nullptr);
    parley::Plugin plugin = p;
    p.route("GET", "/last", parley::Public, [plugin](const parley::Request&, parley::Response& w) {
        w.json(200, plugin.kvGet("last").value_or("null"));
    });
}

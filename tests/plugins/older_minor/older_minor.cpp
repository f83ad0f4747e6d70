// A plugin built for an older ABI minor (1.3) than the host's: the host must load it and answer its calls. Its
// one public route reports the table it was given.
#include <parley/plugin.h>

#include <string>

namespace {

const parley_host_api* g_api = nullptr;

int table(void*, const parley_request*, parley_response* response) {
    std::string body = "{\"host_minor\":" + std::to_string(g_api->abi_minor) + ",\"size\":" + std::to_string(g_api->size) + "}";
    return g_api->respond(response, 200, "application/json", body.c_str(), body.size());
}

}  // namespace

extern "C" PARLEY_EXPORT uint32_t parley_plugin_abi(void) { return (1u << 16) | 3u; }
extern "C" PARLEY_EXPORT int parley_plugin_load(const parley_host_api* api, parley_plugin* self) {
    g_api = api;
    return api->route(self, "GET", "/table", PARLEY_ROUTE_PUBLIC, table, nullptr);
}

// A library built against a future ABI major: the host must refuse it after reading parley_plugin_abi.
#include <parley/plugin.h>

extern "C" PARLEY_EXPORT uint32_t parley_plugin_abi(void) { return 2u << 16; }
extern "C" PARLEY_EXPORT int parley_plugin_load(const parley_host_api*, parley_plugin*) { return PARLEY_OK; }

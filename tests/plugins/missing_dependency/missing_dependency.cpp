// Requires a plugin that is not enabled: never loaded.
#include <parley/sdk.hpp>

PARLEY_PLUGIN(load) {}

// Loads only when its configuration is within its schema's bounds.
#include <parley/sdk.hpp>

PARLEY_PLUGIN(load) {}

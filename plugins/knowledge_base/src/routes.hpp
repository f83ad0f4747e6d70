// The admin API under /api/v1/plugins/knowledge_base/widgets/{widget_id}/… (see the plugin's README).
#pragma once

#include "index_cache.hpp"
#include "store.hpp"

#include <parley/sdk.hpp>

namespace parley::knowledge_base {

// Registers every admin route. Call from the load function; `cache` lives as long as the process.
void registerAdminRoutes(parley::Plugin& plugin, Store store, IndexCache& cache);

}  // namespace parley::knowledge_base

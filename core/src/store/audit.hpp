// Writes one audit entry for a change made through the admin API, inside the change's own transaction.
#pragma once

#include "http/json.hpp"

#include <soci/soci.h>

#include <string>

namespace parley::core {

class RequestContext;

void audit(RequestContext& ctx, soci::session& sql, const std::string& tenant_id, const std::string& action,
           const std::string& resource_type, const std::string& resource_id, const JsonObject& before,
           const JsonObject& after);

}  // namespace parley::core

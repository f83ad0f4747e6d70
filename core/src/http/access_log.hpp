// JSON log lines: one per request on standard output, server events on standard error.
#pragma once

#include "http/request_context.hpp"

namespace parley::core {

void writeAccessLog(const RequestContext& ctx, double seconds);

// One JSON line for a server event (start, stop, warnings), same shape as the access log.
void writeEventLog(const std::string& level, const std::string& message);

}  // namespace parley::core

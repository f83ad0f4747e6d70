// Seeding conversations through parleyd's HTTP API for the realtime benches.
#pragma once

#include <string>

namespace parley::bench {

// Starts `count` conversations on widget `key` (sending `origin`) over `connections` keep-alive connections in
// parallel, and writes one "conversation_id visitor_token" line each to `out_path`. Throws on the first failure.
int seedConversations(int port, const std::string& key, const std::string& origin, int count, int connections,
                      const std::string& out_path);

}  // namespace parley::bench

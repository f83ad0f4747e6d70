// `parleyd script test FILE.lua TRANSCRIPT`: one rule file against a scripted conversation, offline.
#pragma once

#include <ostream>
#include <string>

#include "lua/sandbox.hpp"

namespace parley::core {

struct TranscriptOptions {
    LuaLimits limits;
    std::string scripts_dir = "scripts";  // lua.scripts_dir: names the file and roots parley.import
};

// Loads `script_path` alone (parley.kv in memory, no database) and plays `transcript_path` through it: each
// `visitor:` line dispatches message.inbound and the `bot:` and `!` lines after it are compared with what the
// rules did. Writes every difference as "TRANSCRIPT:line: expected bot "X", got "Y"" (rule errors as
// "file:line: message"), then "N turns, M expectations, K failed". Returns 0 when nothing differed, 1
// otherwise, 2 when a file cannot be read. The format is described in docs/lua-rules.md.
int runTranscript(const std::string& script_path, const std::string& transcript_path,
                  const TranscriptOptions& options, std::ostream& out);

}  // namespace parley::core

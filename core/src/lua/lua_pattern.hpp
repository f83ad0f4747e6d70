// string.find, match, gmatch and gsub with a step budget, so a pathological pattern cannot outrun the
// deadline.
#pragma once

#include <lua.hpp>

namespace parley::core {

// Replaces find, match, gmatch and gsub in the string table at `string_table` with implementations of
// Lua 5.4's patterns (manual §6.4.1) that charge every matching step to the sandbox's instruction budget
// (LuaSandbox::chargeSteps). Lua's own matcher is C code the instruction hook never interrupts.
void installBoundedPatterns(lua_State* L, int string_table);

}  // namespace parley::core

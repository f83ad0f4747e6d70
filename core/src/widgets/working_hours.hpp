// Whether a widget is open now, from its working hours in its own time zone (ICU).
#pragma once

#include "http/json.hpp"

#include <string>

namespace parley::core {

// True when `tz` names a time zone ICU knows ("Europe/Madrid", "UTC").
bool isKnownTimeZone(const std::string& tz);

// True when "HH:MM" is a valid time of day (24:00 allowed as an end).
bool isTimeOfDay(const std::string& text);

// Evaluates working_hours { enabled, timezone, schedule: { mon: [{start, end}], ... }, holidays: ["YYYY-MM-DD"] }
// at `now_ms`. Disabled working hours mean always open.
bool isOpenAt(const JsonObject& working_hours, long long now_ms);

}  // namespace parley::core

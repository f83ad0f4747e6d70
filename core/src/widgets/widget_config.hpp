// The widget's JSON config: its sections (seeds 000 and 003), defaults, and validation with named fields.
#pragma once

#include "http/json.hpp"

#include <string>

namespace parley::core {

// Every section with its defaults: branding, behavior, localization, features, working_hours, utm,
// display_rules.
JsonObject defaultWidgetConfig();

// Checks the known fields of `input` (types, enums, ranges, time zone, "HH:MM" times) and returns the
// defaults overlaid with it, section by section. Unknown fields are kept as given. Throws ApiError 422
// naming the field as "config.<section>.<field>".
JsonObject validateWidgetConfig(const JsonObject& input);

// Overlays `patch` onto `base` one section deep (a PATCH of config.branding.primary_color keeps the rest).
JsonObject mergeWidgetConfig(const JsonObject& base, const JsonObject& patch);

}  // namespace parley::core

// plugin.json: a plugin's identity, ABI, dependencies and config schema, checked before any of its code runs.
#pragma once

#include "http/json.hpp"

#include <string>
#include <vector>

namespace parley::core {

struct PluginManifest {
    std::string id;  // one name everywhere: folder, library, config key, table prefix, route prefix
    std::string version;
    int abi_major = 0;
    int abi_minor = 0;
    std::string description;
    std::vector<std::string> requires_;  // ids of plugins that must load first
    std::string library;                 // file name of the shared library, default "<id>.so"
    JsonObject config_schema;            // key -> {type, default, min, max, enum, secret, required, description}
    std::string directory;               // where plugin.json was found
};

// Parses plugin.json text; throws std::runtime_error naming the problem ("plugin.json: 'id' is missing").
PluginManifest parseManifest(const std::string& text, const std::string& directory);

// Checks the operator's settings (plugins.<id>) against the schema and returns them with defaults filled in.
// Throws std::runtime_error naming the key: "plugins.echo.max_items must be at most 10 (got 50)". Unknown keys
// are refused too, so a typo does not silently fall back to a default.
JsonObject validatePluginConfig(const PluginManifest& manifest, const JsonObject& given);

class SecretBox;

// Secret settings may be written in the config file sealed (`parleyd secrets seal plugins.<id>.<key>`), so
// the file holds no clear secret: this opens every sealed `secret` setting in place. Throws
// std::runtime_error naming the key when one does not open (wrong master key, altered, another key's value).
void openSealedSettings(const PluginManifest& manifest, JsonObject& effective, const SecretBox& secrets);

// Seals a value for the setting `key` ("plugins.<id>.<name>"), bound to that key.
std::string sealConfigSecret(const SecretBox& secrets, const std::string& key, const std::string& value);

// The same settings with `secret` fields masked, for /api/v1/plugins and `parleyd config`.
JsonObject maskPluginConfig(const PluginManifest& manifest, const JsonObject& effective);

}  // namespace parley::core

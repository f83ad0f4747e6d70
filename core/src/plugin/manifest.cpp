// Manifest parsing and schema validation: a plain function of JSON in, JSON or a clear error out.
#include "plugin/manifest.hpp"

#include "auth/secret_box.hpp"

#include <regex>
#include <stdexcept>

namespace parley::core {
namespace {

std::runtime_error bad(const std::string& message) { return std::runtime_error("plugin.json: " + message); }

std::string typeOf(const Poco::Dynamic::Var& v) {
    if (v.isEmpty()) return "null";
    if (v.isBoolean()) return "boolean";
    if (v.isInteger()) return "integer";
    if (v.isNumeric()) return "number";
    if (v.isString()) return "string";
    if (v.type() == typeid(Poco::JSON::Array::Ptr)) return "array";
    if (v.type() == typeid(Poco::JSON::Object::Ptr)) return "object";
    return "unknown";
}

bool hasType(const Poco::Dynamic::Var& v, const std::string& type) {
    std::string actual = typeOf(v);
    return actual == type || (type == "number" && actual == "integer");
}

}  // namespace

PluginManifest parseManifest(const std::string& text, const std::string& directory) {
    Poco::Dynamic::Var parsed;
    try {
        parsed = parseJson(text);
    } catch (const std::exception& e) {
        throw bad(std::string("not valid JSON (") + e.what() + ")");
    }
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) throw bad("must hold a JSON object");
    auto o = parsed.extract<Poco::JSON::Object::Ptr>();
    auto str = [&](const std::string& key, bool required) -> std::string {
        if (!o->has(key)) {
            if (required) throw bad("'" + key + "' is missing");
            return "";
        }
        if (!o->get(key).isString()) throw bad("'" + key + "' must be a string");
        return o->getValue<std::string>(key);
    };
    PluginManifest m;
    m.directory = directory;
    m.id = str("id", true);
    static const std::regex id_re("^[a-z][a-z0-9_]{0,39}$");
    if (!std::regex_match(m.id, id_re))
        throw bad("'id' must be lower-case letters, digits and '_', starting with a letter (got '" + m.id + "')");
    m.version = str("version", true);
    std::string abi = str("abi", true);
    static const std::regex abi_re("^(\\d+)\\.(\\d+)$");
    std::smatch am;
    if (!std::regex_match(abi, am, abi_re)) throw bad("'abi' must look like \"1.0\" (got '" + abi + "')");
    m.abi_major = std::stoi(am[1]);
    m.abi_minor = std::stoi(am[2]);
    m.description = str("description", false);
    m.library = str("library", false);
    if (m.library.empty()) m.library = m.id + ".so";
    if (m.library.find('/') != std::string::npos) throw bad("'library' must be a file name, not a path");
    if (o->has("requires")) {
        auto v = o->get("requires");
        if (v.type() != typeid(Poco::JSON::Array::Ptr)) throw bad("'requires' must be an array of plugin ids");
        for (const auto& r : *v.extract<Poco::JSON::Array::Ptr>()) {
            if (!r.isString()) throw bad("'requires' must be an array of plugin ids");
            m.requires_.push_back(r.extract<std::string>());
        }
    }
    m.config_schema = jsonObject();
    if (o->has("config")) {
        auto v = o->get("config");
        if (v.type() != typeid(Poco::JSON::Object::Ptr)) throw bad("'config' must be an object of settings");
        m.config_schema = v.extract<Poco::JSON::Object::Ptr>();
        static const std::vector<std::string> types = {"string", "integer", "number", "boolean", "array", "object"};
        for (const auto& [key, spec] : *m.config_schema) {
            if (spec.type() != typeid(Poco::JSON::Object::Ptr))
                throw bad("config setting '" + key + "' must be an object like {\"type\": \"string\"}");
            auto s = spec.extract<Poco::JSON::Object::Ptr>();
            std::string type = s->optValue<std::string>("type", "");
            if (std::find(types.begin(), types.end(), type) == types.end())
                throw bad("config setting '" + key + "' has type '" + type +
                          "'; use string, integer, number, boolean, array or object");
            if (s->has("default") && !hasType(s->get("default"), type))
                throw bad("config setting '" + key + "' has a default that is not a " + type);
        }
    }
    return m;
}

JsonObject validatePluginConfig(const PluginManifest& m, const JsonObject& given_in) {
    JsonObject given = given_in ? given_in : jsonObject();
    JsonObject out = jsonObject();
    std::string prefix = "plugins." + m.id + ".";
    for (const auto& [key, value] : *given) {
        if (key == "_comment" || key.rfind("_", 0) == 0) continue;
        if (!m.config_schema->has(key))
            throw std::runtime_error(prefix + key + " is not a setting of plugin '" + m.id + "' (see its plugin.json)");
    }
    for (const auto& [key, spec_var] : *m.config_schema) {
        auto spec = spec_var.extract<Poco::JSON::Object::Ptr>();
        std::string type = spec->getValue<std::string>("type");
        std::string path = prefix + key;
        if (!given->has(key) || given->isNull(key)) {
            if (spec->has("default")) out->set(key, spec->get("default"));
            else if (spec->optValue<bool>("required", false)) throw std::runtime_error(path + " is required");
            continue;
        }
        const auto& v = given->get(key);
        if (!hasType(v, type)) throw std::runtime_error(path + " must be a " + type + " (got " + typeOf(v) + ")");
        if (type == "integer" || type == "number") {
            double d = v.convert<double>();
            if (spec->has("min") && d < spec->getValue<double>("min"))
                throw std::runtime_error(path + " must be at least " + spec->get("min").toString() + " (got " +
                                         v.toString() + ")");
            if (spec->has("max") && d > spec->getValue<double>("max"))
                throw std::runtime_error(path + " must be at most " + spec->get("max").toString() + " (got " +
                                         v.toString() + ")");
        }
        if (spec->has("enum")) {
            auto choices = spec->getArray("enum");
            bool found = false;
            std::string list;
            for (const auto& c : *choices) {
                found = found || c.toString() == v.toString();
                list += (list.empty() ? "" : ", ") + c.toString();
            }
            if (!found) throw std::runtime_error(path + " must be one of " + list + " (got " + v.toString() + ")");
        }
        out->set(key, v);
    }
    return out;
}

void openSealedSettings(const PluginManifest& m, JsonObject& effective, const SecretBox& secrets) {
    for (const auto& [key, spec_var] : *m.config_schema) {
        auto spec = spec_var.extract<Poco::JSON::Object::Ptr>();
        if (!spec->optValue<bool>("secret", false) || !effective->has(key) || !effective->get(key).isString()) continue;
        std::string value = effective->getValue<std::string>(key);
        if (value.rfind("v1.", 0) != 0) continue;  // given in clear
        std::string path = "plugins." + m.id + "." + key;
        try {
            effective->set(key, secrets.open(value, "config:" + path));
        } catch (const std::exception& e) {
            throw std::runtime_error("cannot open sealed " + path + ": " + e.what());
        }
    }
}

std::string sealConfigSecret(const SecretBox& secrets, const std::string& key, const std::string& value) {
    return secrets.seal(value, "config:" + key);
}

JsonObject maskPluginConfig(const PluginManifest& m, const JsonObject& effective) {
    JsonObject out = jsonObject();
    for (const auto& [key, value] : *effective) {
        bool secret = false;
        if (auto spec = m.config_schema->getObject(key)) secret = spec->optValue<bool>("secret", false);
        out->set(key, secret ? Poco::Dynamic::Var(std::string("••••")) : value);
    }
    return out;
}

}  // namespace parley::core

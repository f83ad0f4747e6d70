// Proves how configuration is layered (defaults, file, environment), validated and printed with secrets masked.
#include "app/config.hpp"

#include "app/errors.hpp"
#include "support.hpp"

#include <boost/test/unit_test.hpp>

#include <sstream>

using namespace parley::core;
using core_test::contains;
using core_test::errorMessageFrom;
using core_test::TempDir;

namespace {

std::string printed(const Config& config, bool mask_secrets) {
    std::ostringstream out;
    configToJson(config, mask_secrets)->stringify(out);
    return out.str();
}

// Loads `json` written to a temp file with `env` as the environment.
Config loadFrom(const std::string& json, std::vector<std::string>& warnings,
                const std::map<std::string, std::string>& env = {}) {
    TempDir dir;
    return loadConfig(dir.write("parley.json", json), true, warnings, env);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(missing_optional_file_gives_documented_defaults) {
    TempDir dir;
    std::vector<std::string> warnings;
    Config c = loadConfig(dir.file("absent.json"), false, warnings, {});
    BOOST_TEST(warnings.empty());
    BOOST_TEST(c.server.host == "0.0.0.0");
    BOOST_TEST(c.server.port == 8080);
    BOOST_TEST(c.server.max_body_bytes == 1 << 20);
    BOOST_TEST(c.server.max_json_depth == 32);
    BOOST_TEST(c.server.trust_proxy == false);
    BOOST_TEST(c.database.url == "sqlite:data/parley.db");
    BOOST_TEST(c.database.pool_size == 20);
    BOOST_TEST(c.security.master_key.empty());
    BOOST_TEST(c.security.argon2_memory_kib == 19456);
    BOOST_TEST(c.security.min_password_length == 10);
    BOOST_TEST(c.rate_limits.public_per_ip_per_minute == 600);
    BOOST_TEST(c.log.level == "information");
    BOOST_TEST(c.plugins.enabled.empty());
    BOOST_TEST(c.publicUrl() == "http://localhost:8080");
}

BOOST_AUTO_TEST_CASE(every_key_has_a_dotted_path_a_known_type_and_a_description) {
    for (const auto& k : configKeys()) {
        BOOST_TEST_CONTEXT(k.path) {
            BOOST_TEST(k.path.find('.') != std::string::npos);
            BOOST_TEST((k.type == "string" || k.type == "integer" || k.type == "boolean" || k.type == "string[]"));
            BOOST_TEST(!k.description.empty());
            BOOST_TEST((k.env.empty() || k.env.rfind("PARLEY_", 0) == 0));
        }
    }
}

BOOST_AUTO_TEST_CASE(json_file_sets_values_of_every_type) {
    std::vector<std::string> warnings;
    Config c = loadFrom(R"({
        "server": {"port": 9090, "public_url": "https://chat.example.com/", "trust_proxy": true,
                   "max_body_bytes": 5000000000},
        "database": {"url": "sqlite:/var/lib/parley/p.db", "pool_size": 3},
        "security": {"previous_master_keys": ["a", "b"]},
        "plugins": {"enabled": ["echo"], "echo": {"greeting": "hi"}}
    })",
                        warnings);
    BOOST_TEST(warnings.empty());
    BOOST_TEST(c.server.port == 9090);
    BOOST_TEST(c.server.trust_proxy == true);
    BOOST_TEST(c.server.max_body_bytes == 5000000000LL);
    BOOST_TEST(c.database.url == "sqlite:/var/lib/parley/p.db");
    BOOST_TEST(c.database.pool_size == 3);
    BOOST_TEST(c.security.previous_master_keys == (std::vector<std::string>{"a", "b"}));
    BOOST_TEST(c.plugins.enabled == std::vector<std::string>{"echo"});
    BOOST_REQUIRE(c.plugins.settings);
    BOOST_TEST(c.plugins.settings->getObject("echo")->getValue<std::string>("greeting") == "hi");
    BOOST_TEST(c.publicUrl() == "https://chat.example.com");  // trailing slash dropped
    BOOST_TEST(c.server.host == "0.0.0.0");                  // untouched keys keep their defaults
}

BOOST_AUTO_TEST_CASE(environment_overrides_the_file) {
    std::vector<std::string> warnings;
    Config c = loadFrom(R"({"server": {"port": 9090}, "database": {"url": "sqlite:file.db"}})", warnings,
                        {{"PARLEY_HTTP_PORT", "7070"},
                         {"PARLEY_DATABASE_URL", "postgresql://parley:pw@db/parley"},
                         {"PARLEY_PLUGINS", "echo,,appointments"},
                         {"PARLEY_TRUST_PROXY", "yes"},
                         {"UNRELATED", "ignored"}});
    BOOST_TEST(c.server.port == 7070);
    BOOST_TEST(c.database.url == "postgresql://parley:pw@db/parley");
    BOOST_TEST(c.plugins.enabled == (std::vector<std::string>{"echo", "appointments"}));
    BOOST_TEST(c.server.trust_proxy == true);
}

BOOST_AUTO_TEST_CASE(wrong_type_in_file_throws_config_error_naming_the_key) {
    struct Case {
        const char* json;
        const char* key;
    };
    const Case cases[] = {
        {R"({"server": {"port": "8080"}})", "server.port"},
        {R"({"server": {"port": 80.5}})", "server.port"},
        {R"({"server": {"port": true}})", "server.port"},
        {R"({"server": {"max_body_bytes": false}})", "server.max_body_bytes"},
        {R"({"server": {"host": 1}})", "server.host"},
        {R"({"server": {"trust_proxy": "yes"}})", "server.trust_proxy"},
        {R"({"server": {"trust_proxy": 1}})", "server.trust_proxy"},
        {R"({"plugins": {"enabled": "echo"}})", "plugins.enabled"},
        {R"({"security": {"previous_master_keys": ["ok", 7]}})", "security.previous_master_keys"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.json) {
            std::vector<std::string> warnings;
            auto message = errorMessageFrom<ConfigError>([&] { loadFrom(c.json, warnings); });
            BOOST_REQUIRE(message.has_value());
            BOOST_TEST(contains(*message, std::string("'") + c.key + "'"), *message);
        }
    }
}

BOOST_AUTO_TEST_CASE(bad_value_in_environment_throws_naming_the_variable) {
    struct Case {
        const char* env;
        const char* value;
        const char* key;
    };
    const Case cases[] = {
        {"PARLEY_HTTP_PORT", "80a", "server.port"},
        {"PARLEY_HTTP_PORT", "", "server.port"},
        {"PARLEY_HTTP_MAX_BODY_BYTES", "1MB", "server.max_body_bytes"},
        {"PARLEY_TRUST_PROXY", "maybe", "server.trust_proxy"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.env << "=" << c.value) {
            std::vector<std::string> warnings;
            auto message = errorMessageFrom<ConfigError>([&] { loadFrom("{}", warnings, {{c.env, c.value}}); });
            BOOST_REQUIRE(message.has_value());
            BOOST_TEST(contains(*message, c.env), *message);
            BOOST_TEST(contains(*message, c.key), *message);
        }
    }
}

BOOST_AUTO_TEST_CASE(unknown_keys_give_warnings_and_are_otherwise_ignored) {
    std::vector<std::string> warnings;
    Config c = loadFrom(R"({"server": {"prot": 1, "port": 8181}, "extra": "x"})", warnings);
    BOOST_TEST(c.server.port == 8181);
    BOOST_REQUIRE(warnings.size() == 2u);
    std::string all = warnings[0] + "\n" + warnings[1];
    BOOST_TEST(contains(all, "'server.prot'"), all);
    BOOST_TEST(contains(all, "'extra'"), all);
}

BOOST_AUTO_TEST_CASE(keys_starting_with_underscore_are_comments_and_ignored_silently) {
    std::vector<std::string> warnings;
    Config c = loadFrom(R"({"_comment": "top", "server": {"_why": "behind nginx", "port": 8282}})", warnings);
    BOOST_TEST(warnings.empty());
    BOOST_TEST(c.server.port == 8282);
}

BOOST_AUTO_TEST_CASE(plugin_settings_are_left_to_the_plugin_host_without_warnings) {
    std::vector<std::string> warnings;
    Config c = loadFrom(R"({"plugins": {"enabled": ["crm"], "crm": {"api_url": "https://crm", "nested": {"x": 1}}}})",
                        warnings);
    BOOST_TEST(warnings.empty());
    BOOST_TEST(c.plugins.settings->getObject("crm")->getObject("nested")->getValue<int>("x") == 1);
}

BOOST_AUTO_TEST_CASE(file_that_is_not_a_json_object_throws_naming_the_file) {
    for (const char* text : {"{\"server\": ", "[1, 2]", "not json"}) {
        BOOST_TEST_CONTEXT(text) {
            TempDir dir;
            std::string path = dir.write("broken.json", text);
            std::vector<std::string> warnings;
            auto message = errorMessageFrom<ConfigError>([&] { loadConfig(path, false, warnings, {}); });
            BOOST_REQUIRE(message.has_value());
            BOOST_TEST(contains(*message, path), *message);
        }
    }
}

BOOST_AUTO_TEST_CASE(missing_required_file_throws_naming_the_file) {
    TempDir dir;
    std::vector<std::string> warnings;
    std::string path = dir.file("nowhere.json");
    auto message = errorMessageFrom<ConfigError>([&] { loadConfig(path, true, warnings, {}); });
    BOOST_REQUIRE(message.has_value());
    BOOST_TEST(contains(*message, path), *message);
}

BOOST_AUTO_TEST_CASE(values_out_of_range_or_outside_an_enumeration_throw_naming_the_key) {
    struct Case {
        const char* json;
        const char* key;
    };
    const Case cases[] = {
        {R"({"log": {"level": "verbose"}})", "'log.level'"},
        {R"({"server": {"port": 65536}})", "'server.port'"},
        {R"({"server": {"port": -1}})", "'server.port'"},
        {R"({"server": {"port": 99999999999}})", "'server.port'"},
        {R"({"server": {"max_body_bytes": 18446744073709551615}})", "'server.max_body_bytes'"},
        {R"({"server": {"max_threads": 0}})", "'server.max_threads'"},
        {R"({"server": {"max_json_depth": 0}})", "'server.max_json_depth'"},
        {R"({"database": {"pool_size": 0}})", "'database.pool_size'"},
        {R"({"security": {"argon2_memory_kib": 4}})", "'security.argon2_memory_kib'"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.json) {
            std::vector<std::string> warnings;
            auto message = errorMessageFrom<ConfigError>([&] { loadFrom(c.json, warnings); });
            BOOST_REQUIRE(message.has_value());
            BOOST_TEST(contains(*message, c.key), *message);
        }
    }
    // The environment is validated too, after it overrides the file.
    std::vector<std::string> warnings;
    auto message = errorMessageFrom<ConfigError>(
        [&] { loadFrom(R"({"log": {"level": "debug"}})", warnings, {{"PARLEY_LOG_LEVEL", "loud"}}); });
    BOOST_REQUIRE(message.has_value());
    BOOST_TEST(contains(*message, "'log.level'"), *message);
    BOOST_CHECK_NO_THROW(validateConfig(Config{}));
}

BOOST_AUTO_TEST_CASE(set_config_key_parses_text_and_rejects_unknown_keys_and_bad_values) {
    Config c;
    setConfigKey(c, "server.port", "1234");
    setConfigKey(c, "log.access", "off");
    setConfigKey(c, "plugins.enabled", "a,b");
    BOOST_TEST(c.server.port == 1234);
    BOOST_TEST(c.log.access == false);
    BOOST_TEST(c.plugins.enabled == (std::vector<std::string>{"a", "b"}));

    auto unknown = errorMessageFrom<ConfigError>([&] { setConfigKey(c, "server.prot", "1"); });
    BOOST_REQUIRE(unknown.has_value());
    BOOST_TEST(contains(*unknown, "'server.prot'"), *unknown);

    auto bad = errorMessageFrom<ConfigError>([&] { setConfigKey(c, "server.port", "eighty"); });
    BOOST_REQUIRE(bad.has_value());
    BOOST_TEST(contains(*bad, "'server.port'"), *bad);
    BOOST_TEST(c.server.port == 1234);  // a rejected value leaves the old one
}

BOOST_AUTO_TEST_CASE(printed_config_masks_master_keys_but_keeps_non_secrets) {
    Config c;
    c.security.master_key = "bWFzdGVyLWtleS1tYXN0ZXIta2V5LW1hc3Rlci1rZXk=";
    c.security.previous_master_keys = {"b2xkLWtleS1vbmU=", "b2xkLWtleS10d28="};
    c.server.host = "127.0.0.9";
    std::string masked = printed(c, true);
    BOOST_TEST(!contains(masked, c.security.master_key), masked);
    BOOST_TEST(!contains(masked, "b2xkLWtleS1vbmU="), masked);
    BOOST_TEST(!contains(masked, "b2xkLWtleS10d28="), masked);
    auto json = configToJson(c, true);
    BOOST_TEST(json->getObject("security")->getValue<std::string>("master_key") == "••••");
    BOOST_TEST(json->getObject("security")->getArray("previous_master_keys")->size() == 2u);
    BOOST_TEST(json->getObject("server")->getValue<std::string>("host") == "127.0.0.9");
    BOOST_TEST(json->getObject("database")->getValue<std::string>("url") == "sqlite:data/parley.db");
    BOOST_TEST(json->getObject("server")->getValue<int>("port") == 8080);

    // An unset secret prints as empty, so "not configured" stays visible.
    BOOST_TEST(configToJson(Config{}, true)->getObject("security")->getValue<std::string>("master_key") == "");
    // Unmasked output (for the operator's own terminal) shows the real value.
    BOOST_TEST(contains(printed(c, false), c.security.master_key));
}

BOOST_AUTO_TEST_CASE(printed_config_masks_plugin_settings_that_sound_secret) {
    std::vector<std::string> warnings;
    Config c = loadFrom(R"({"plugins": {"crm": {"api_token": "tok-123", "url": "https://crm.example",
                                               "auth": {"client_secret": "cs-456"}}}})",
                        warnings);
    std::string masked = printed(c, true);
    BOOST_TEST(!contains(masked, "tok-123"), masked);
    BOOST_TEST(!contains(masked, "cs-456"), masked);
    BOOST_TEST(contains(masked, "https://crm.example"), masked);
    BOOST_TEST(contains(printed(c, false), "tok-123"));
}

BOOST_AUTO_TEST_CASE(printed_config_hides_the_password_of_a_postgresql_url) {
    struct Case {
        const char* url;
        const char* expected;
        const char* secret;
    };
    const Case cases[] = {
        {"postgresql://u:secret@h/db", "postgresql://u:••••@h/db", "secret"},
        {"postgresql://parley:s3cr3t@db.internal:5432/parley", "postgresql://parley:••••@db.internal:5432/parley",
         "s3cr3t"},
        {"postgresql://h/db?user=u&password=secret&sslmode=require",
         "postgresql://h/db?user=u&password=••••&sslmode=require", "secret"},
    };
    for (const auto& k : cases) {
        BOOST_TEST_CONTEXT(k.url) {
            Config c;
            c.database.url = k.url;
            std::string url = configToJson(c, true)->getObject("database")->getValue<std::string>("url");
            BOOST_TEST(url == k.expected);
            BOOST_TEST(!contains(printed(c, true), k.secret));
        }
    }
    // Without a password there is nothing to hide, and the host must stay readable.
    Config c;
    c.database.url = "postgresql://parley@db:5432/parley";
    BOOST_TEST(configToJson(c, true)->getObject("database")->getValue<std::string>("url") ==
               "postgresql://parley@db:5432/parley");
}

BOOST_AUTO_TEST_SUITE_END()

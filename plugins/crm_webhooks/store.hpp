// The plugin's shared state and its SQL helpers: settings, rows as Poco JSON, ids and times.
#pragma once

#include "payloads.hpp"

#include <parley/sdk.hpp>
#include <parley/sql_params.hpp>

#include <Poco/JSON/Array.h>

#include <sstream>
#include <string>
#include <vector>

namespace parley::crm_webhooks {

struct Settings {
    std::vector<long long> retry_schedule;
    int attempt_timeout_ms = 10000;
    int max_concurrency_per_endpoint = 4;
    int workers = 4;
    int poll_interval_ms = 1000;
    int failing_after = 5;
    long long disable_after_ms = 259200000;
    int health_interval_seconds = 3600;
    int secret_overlap_seconds = 86400;
    bool test_on_save = true;
    int automation_timeout_ms = 8000;
    int max_endpoints_per_tenant = 50;
};

// Reads the validated plugin configuration; throws std::invalid_argument on a bad retry schedule.
Settings readSettings(const std::string& config_json);

// Parameters for Plugin::sql: P("a", 1, nullptr) gives ["a",1,null]; a Poco::Dynamic::Var goes as its value.
void addParam(parley::SqlParams& params, const Poco::Dynamic::Var& v);
template <typename T, std::enable_if_t<!std::is_same_v<std::decay_t<T>, Poco::Dynamic::Var>, int> = 0>
void addParam(parley::SqlParams& params, T&& v) {
    params.add(std::forward<T>(v));
}
template <typename... Args>
std::string P(Args&&... args) {
    parley::SqlParams params;
    (addParam(params, std::forward<Args>(args)), ...);
    return params.text();
}

// Runs a statement and returns its rows as objects.
std::vector<Json> rows(const parley::Plugin& p, const std::string& statement, const std::string& params = "[]");
long long intOf(const Json& row, const std::string& key, long long fallback = 0);
bool isNull(const Json& row, const std::string& key);

long long nowMs();
std::string newUuid();
bool isUuid(const std::string& text);

}  // namespace parley::crm_webhooks

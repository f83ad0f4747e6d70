// Settings, SQL rows as JSON objects, ids and the clock.
#include "store.hpp"

#include "retry_schedule.hpp"

#include <Poco/JSON/Parser.h>

#include <chrono>
#include <fstream>
#include <regex>

namespace parley::crm_webhooks {

Settings readSettings(const std::string& config_json) {
    Json c = parseObject(config_json);
    Settings s;
    s.retry_schedule = parseRetrySchedule(c->optValue<std::string>("retry_schedule", kDefaultRetrySchedule));
    s.attempt_timeout_ms = c->optValue<int>("attempt_timeout_ms", s.attempt_timeout_ms);
    s.max_concurrency_per_endpoint = c->optValue<int>("max_concurrency_per_endpoint", s.max_concurrency_per_endpoint);
    s.workers = c->optValue<int>("workers", s.workers);
    s.poll_interval_ms = c->optValue<int>("poll_interval_ms", s.poll_interval_ms);
    s.failing_after = c->optValue<int>("failing_after", s.failing_after);
    s.disable_after_ms = c->optValue<Poco::Int64>("disable_after_ms", s.disable_after_ms);
    s.health_interval_seconds = c->optValue<int>("health_interval_seconds", s.health_interval_seconds);
    s.secret_overlap_seconds = c->optValue<int>("secret_overlap_seconds", s.secret_overlap_seconds);
    s.test_on_save = c->optValue<bool>("test_on_save", s.test_on_save);
    s.automation_timeout_ms = c->optValue<int>("automation_timeout_ms", s.automation_timeout_ms);
    s.max_endpoints_per_tenant = c->optValue<int>("max_endpoints_per_tenant", s.max_endpoints_per_tenant);
    return s;
}

std::vector<Json> rows(const parley::Plugin& p, const std::string& statement, const std::string& params) {
    std::string text = p.sql(statement, params);
    Poco::JSON::Parser parser;
    Poco::JSON::Array::Ptr list = parser.parse(text).extract<Poco::JSON::Array::Ptr>();
    std::vector<Json> out;
    for (size_t i = 0; i < list->size(); ++i) out.push_back(list->getObject(static_cast<unsigned>(i)));
    return out;
}

void addParam(parley::SqlParams& params, const Poco::Dynamic::Var& v) {
    if (v.isEmpty()) params.add(nullptr);
    else if (v.isBoolean()) params.add(v.extract<bool>());
    else if (v.isInteger()) params.add(v.convert<long long>());
    else if (v.isNumeric()) params.add(v.convert<double>());
    else params.add(v.convert<std::string>());
}

long long intOf(const Json& row, const std::string& key, long long fallback) {
    if (!row || !row->has(key) || row->isNull(key)) return fallback;
    Poco::Dynamic::Var v = row->get(key);
    if (v.isString()) return std::stoll(v.extract<std::string>());
    return v.convert<Poco::Int64>();
}

bool isNull(const Json& row, const std::string& key) { return !row || !row->has(key) || row->isNull(key); }

long long nowMs() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string newUuid() {
    unsigned char b[16];
    std::ifstream random("/dev/urandom", std::ios::binary);
    random.read(reinterpret_cast<char*>(b), sizeof b);
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
    char out[37];
    std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                  b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return out;
}

bool isUuid(const std::string& text) {
    static const std::regex re("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
    return std::regex_match(text, re);
}

}  // namespace parley::crm_webhooks

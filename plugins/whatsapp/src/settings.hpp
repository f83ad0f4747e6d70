// The plugin's settings (plugins.whatsapp.* in parley.json, checked against plugin.json before load).
#pragma once

#include "db.hpp"

#include <string>

namespace parley::whatsapp {

struct Settings {
    std::string graph_base_url = "https://graph.facebook.com";
    std::string default_graph_version = "v21.0";
    int graph_timeout_ms = 10000;
    double send_rate_per_second = 80;
    int retry_base_ms = 1000;
    int max_attempts = 6;
    int sender_poll_ms = 200;
    long long window_ms = 24LL * 3600 * 1000;
    long long flow_session_ms = 30LL * 60 * 1000;
    size_t max_body_bytes = 1 << 20;
    long long media_max_bytes = 16LL << 20;  // inbound media larger than this is refused (the host caps at 16 MiB)

    static Settings fromJson(const std::string& config_json) {
        Settings s;
        Object::Ptr c = parseObject(config_json);
        s.graph_base_url = c->optValue<std::string>("graph_base_url", s.graph_base_url);
        while (!s.graph_base_url.empty() && s.graph_base_url.back() == '/') s.graph_base_url.pop_back();
        s.default_graph_version = c->optValue<std::string>("graph_version", s.default_graph_version);
        s.graph_timeout_ms = c->optValue<int>("graph_timeout_ms", s.graph_timeout_ms);
        s.send_rate_per_second = c->optValue<double>("send_rate_per_second", s.send_rate_per_second);
        s.retry_base_ms = c->optValue<int>("retry_base_ms", s.retry_base_ms);
        s.max_attempts = c->optValue<int>("max_attempts", s.max_attempts);
        s.sender_poll_ms = c->optValue<int>("sender_poll_ms", s.sender_poll_ms);
        s.media_max_bytes = c->optValue<Poco::Int64>("media_max_bytes", s.media_max_bytes);
        s.flow_session_ms = c->optValue<int>("flow_session_minutes", 30) * 60LL * 1000;
        return s;
    }
    // A send in flight holds its row this long; a row still "sending" after it was interrupted (the process
    // died mid-request) and is never sent again, so no one gets a second copy.
    long long leaseMs() const { return graph_timeout_ms + 1000LL; }
};

}  // namespace parley::whatsapp

// Counters and histograms kept in memory and rendered as Prometheus text on /metrics.
#include "http/metrics.hpp"

#include <sstream>

namespace parley::core {

void Metrics::observeRequest(const std::string& method, const std::string& route, int status, double seconds) {
    std::lock_guard lock(mutex_);
    requests_[{method, route, status}]++;
    Histogram& h = latency_[route];
    h.count++;
    h.sum += seconds;
    for (size_t i = 0; i < kBuckets.size(); ++i)
        if (seconds <= kBuckets[i]) h.buckets[i]++;
}

void Metrics::addToCounter(const std::string& name, double value) {
    std::lock_guard lock(mutex_);
    counters_[name] += value;
}

void Metrics::addGauge(const std::string& name, const std::string& help, std::function<double()> read) {
    std::lock_guard lock(mutex_);
    gauges_.push_back({name, help, std::move(read)});
}

namespace {
std::string escapeLabel(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '\\' || c == '"') out.push_back('\\');
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out.push_back(c);
    }
    return out;
}
}  // namespace

std::string Metrics::render() const {
    std::ostringstream out;
    std::lock_guard lock(mutex_);
    out << "# HELP parley_http_requests_total HTTP requests by method, route and status.\n"
        << "# TYPE parley_http_requests_total counter\n";
    for (const auto& [key, n] : requests_) {
        const auto& [method, route, status] = key;
        out << "parley_http_requests_total{method=\"" << method << "\",route=\"" << escapeLabel(route)
            << "\",status=\"" << status << "\"} " << n << "\n";
    }
    out << "# HELP parley_http_request_duration_seconds HTTP request latency by route.\n"
        << "# TYPE parley_http_request_duration_seconds histogram\n";
    for (const auto& [route, h] : latency_) {
        std::string label = escapeLabel(route);
        for (size_t i = 0; i < kBuckets.size(); ++i)
            out << "parley_http_request_duration_seconds_bucket{route=\"" << label << "\",le=\"" << kBuckets[i]
                << "\"} " << h.buckets[i] << "\n";
        out << "parley_http_request_duration_seconds_bucket{route=\"" << label << "\",le=\"+Inf\"} " << h.count << "\n"
            << "parley_http_request_duration_seconds_sum{route=\"" << label << "\"} " << h.sum << "\n"
            << "parley_http_request_duration_seconds_count{route=\"" << label << "\"} " << h.count << "\n";
    }
    for (const auto& [name, value] : counters_) out << "# TYPE " << name << " counter\n" << name << " " << value << "\n";
    for (const auto& g : gauges_) {
        out << "# HELP " << g.name << " " << g.help << "\n# TYPE " << g.name << " gauge\n"
            << g.name << " " << g.read() << "\n";
    }
    return out.str();
}

}  // namespace parley::core

// Prometheus metrics: request counts and latency histograms by route, plus gauges sampled on scrape.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace parley::core {

class Metrics {
public:
    // Records one request: `route` is the pattern ("/api/v1/tenants/{tenant_id}"), never the raw path.
    void observeRequest(const std::string& method, const std::string& route, int status, double seconds);

    // Adds to a free-form counter (plugins' counters): rendered as "<name> <value>".
    void addToCounter(const std::string& name, double value);

    // A gauge computed when /metrics is scraped (pool usage, uptime, connections).
    void addGauge(const std::string& name, const std::string& help, std::function<double()> read);

    // The whole registry in Prometheus text exposition format 0.0.4.
    std::string render() const;

    static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                        0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

private:
    struct Histogram {
        std::array<unsigned long long, kBuckets.size()> buckets{};
        unsigned long long count = 0;
        double sum = 0;
    };
    struct Gauge {
        std::string name, help;
        std::function<double()> read;
    };
    mutable std::mutex mutex_;
    std::map<std::tuple<std::string, std::string, int>, unsigned long long> requests_;
    std::map<std::string, Histogram> latency_;
    std::vector<Gauge> gauges_;
    std::map<std::string, double> counters_;
};

}  // namespace parley::core

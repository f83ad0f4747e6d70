// Proves the Prometheus text of /metrics: labelled request counters, cumulative latency buckets and gauges.
#include "http/metrics.hpp"

#include "support.hpp"

#include <boost/test/unit_test.hpp>

#include <sstream>

using namespace parley::core;
using core_test::contains;

namespace {

const std::string kRoute = "/api/v1/tenants/{tenant_id}";

// The value on the line that starts with `series` followed by a space; -1 when there is no such line.
double sample(const std::string& text, const std::string& series) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    return -1;
}

std::string bucket(const std::string& route, const std::string& le) {
    return "parley_http_request_duration_seconds_bucket{route=\"" + route + "\",le=\"" + le + "\"}";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics)

BOOST_AUTO_TEST_CASE(empty_registry_still_declares_its_metric_families) {
    std::string text = Metrics().render();
    BOOST_TEST(contains(text, "# TYPE parley_http_requests_total counter\n"), text);
    BOOST_TEST(contains(text, "# TYPE parley_http_request_duration_seconds histogram\n"), text);
}

BOOST_AUTO_TEST_CASE(requests_are_counted_per_method_route_and_status) {
    Metrics m;
    m.observeRequest("GET", kRoute, 200, 0.003);
    m.observeRequest("GET", kRoute, 200, 0.004);
    m.observeRequest("GET", kRoute, 404, 0.001);
    m.observeRequest("PATCH", kRoute, 200, 0.002);
    std::string text = m.render();
    const std::string prefix = "parley_http_requests_total{method=\"";
    BOOST_TEST(sample(text, prefix + "GET\",route=\"" + kRoute + "\",status=\"200\"}") == 2, text);
    BOOST_TEST(sample(text, prefix + "GET\",route=\"" + kRoute + "\",status=\"404\"}") == 1, text);
    BOOST_TEST(sample(text, prefix + "PATCH\",route=\"" + kRoute + "\",status=\"200\"}") == 1, text);
}

BOOST_AUTO_TEST_CASE(latency_buckets_are_cumulative_with_count_and_sum) {
    Metrics m;
    m.observeRequest("GET", kRoute, 200, 0.003);
    std::string text = m.render();
    struct Case {
        const char* le;
        double count;
    };
    const Case cases[] = {{"0.0005", 0}, {"0.001", 0}, {"0.0025", 0}, {"0.005", 1}, {"0.01", 1},
                          {"0.25", 1},   {"1", 1},     {"2.5", 1},    {"+Inf", 1}};
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT("le=" << c.le) {
            BOOST_TEST(sample(text, bucket(kRoute, c.le)) == c.count, text);
        }
    }
    BOOST_TEST(sample(text, "parley_http_request_duration_seconds_count{route=\"" + kRoute + "\"}") == 1);
    BOOST_TEST(sample(text, "parley_http_request_duration_seconds_sum{route=\"" + kRoute + "\"}") == 0.003);
}

BOOST_AUTO_TEST_CASE(buckets_never_decrease_and_slow_requests_count_only_in_inf) {
    Metrics m;
    for (double s : {0.0001, 0.003, 0.003, 0.2, 10.0}) m.observeRequest("GET", kRoute, 200, s);
    std::string text = m.render();
    double previous = 0;
    for (double le : Metrics::kBuckets) {
        std::ostringstream label;
        label << le;
        double n = sample(text, bucket(kRoute, label.str()));
        BOOST_TEST_CONTEXT("le=" << label.str()) {
            BOOST_TEST(n >= previous);
        }
        previous = n;
    }
    BOOST_TEST(sample(text, bucket(kRoute, "0.0005")) == 1);
    BOOST_TEST(sample(text, bucket(kRoute, "0.005")) == 3);
    BOOST_TEST(sample(text, bucket(kRoute, "0.25")) == 4);
    BOOST_TEST(sample(text, bucket(kRoute, "2.5")) == 4);  // the 10 s request is above every finite bucket
    BOOST_TEST(sample(text, bucket(kRoute, "+Inf")) == 5);
    BOOST_TEST(sample(text, "parley_http_request_duration_seconds_count{route=\"" + kRoute + "\"}") == 5);
    BOOST_TEST(sample(text, "parley_http_request_duration_seconds_sum{route=\"" + kRoute + "\"}") ==
               0.0001 + 0.003 + 0.003 + 0.2 + 10.0,
               boost::test_tools::tolerance(1e-4));
}

BOOST_AUTO_TEST_CASE(histograms_are_kept_per_route) {
    Metrics m;
    m.observeRequest("GET", "/a", 200, 0.001);
    m.observeRequest("GET", "/b", 200, 0.001);
    m.observeRequest("POST", "/b", 201, 0.001);
    std::string text = m.render();
    BOOST_TEST(sample(text, "parley_http_request_duration_seconds_count{route=\"/a\"}") == 1);
    BOOST_TEST(sample(text, "parley_http_request_duration_seconds_count{route=\"/b\"}") == 2);
}

BOOST_AUTO_TEST_CASE(label_values_escape_quotes_backslashes_and_newlines) {
    Metrics m;
    m.observeRequest("GET", "/x\"y\\z\nw", 200, 0.001);
    std::string text = m.render();
    BOOST_TEST(contains(text, "route=\"/x\\\"y\\\\z\\nw\""), text);
    BOOST_TEST(!contains(text, "/x\"y"), text);
}

BOOST_AUTO_TEST_CASE(gauges_are_rendered_with_help_and_type_and_read_at_each_scrape) {
    Metrics m;
    int in_use = 3;
    m.addGauge("parley_db_pool_in_use", "Database connections lent out.", [&] { return double(in_use); });
    m.addGauge("parley_uptime_seconds", "Seconds since start.", [] { return 12.5; });
    std::string text = m.render();
    BOOST_TEST(contains(text, "# HELP parley_db_pool_in_use Database connections lent out.\n"
                              "# TYPE parley_db_pool_in_use gauge\n"
                              "parley_db_pool_in_use 3\n"),
               text);
    BOOST_TEST(sample(text, "parley_uptime_seconds") == 12.5);
    in_use = 5;
    BOOST_TEST(sample(m.render(), "parley_db_pool_in_use") == 5);
}

BOOST_AUTO_TEST_SUITE_END()

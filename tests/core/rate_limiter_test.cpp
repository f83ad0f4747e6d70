// Proves the fixed one-minute windows behind 429 responses: the limit, Retry-After seconds and per-key counts.
#include "http/rate_limiter.hpp"

#include <boost/test/unit_test.hpp>

using namespace parley::core;

namespace {

constexpr long long kT0 = 1'700'000'000'000;  // a realistic clock, far from the epoch

}  // namespace

BOOST_AUTO_TEST_SUITE(rate_limiter)

BOOST_AUTO_TEST_CASE(allows_up_to_the_limit_then_returns_seconds_until_the_window_resets) {
    RateLimiter limiter;
    for (int i = 1; i <= 3; ++i) {
        BOOST_TEST_CONTEXT("hit " << i) {
            BOOST_TEST(limiter.hit("ip:a", 3, kT0 + i) == 0);
        }
    }
    struct Case {
        long long after_ms;
        int retry_after;
    };
    // The window opened at kT0 + 1; the wait is rounded up so a client never retries too early.
    const Case cases[] = {{1, 60}, {30'001, 30}, {30'002, 30}, {59'000, 2}, {59'500, 1}, {60'000, 1}};
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT("at +" << c.after_ms << " ms") {
            BOOST_TEST(limiter.hit("ip:a", 3, kT0 + c.after_ms) == c.retry_after);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_new_window_resets_the_count) {
    RateLimiter limiter;
    BOOST_TEST(limiter.hit("ip:a", 2, kT0) == 0);
    BOOST_TEST(limiter.hit("ip:a", 2, kT0) == 0);
    BOOST_TEST(limiter.hit("ip:a", 2, kT0 + 59'999) > 0);
    BOOST_TEST(limiter.hit("ip:a", 2, kT0 + 60'000) == 0);
    BOOST_TEST(limiter.hit("ip:a", 2, kT0 + 60'001) == 0);
    BOOST_TEST(limiter.hit("ip:a", 2, kT0 + 60'002) == 60);
}

BOOST_AUTO_TEST_CASE(a_limit_of_zero_or_less_means_unlimited) {
    RateLimiter limiter;
    for (int i = 0; i < 1000; ++i) BOOST_REQUIRE(limiter.hit("ip:a", 0, kT0) == 0);
    BOOST_TEST(limiter.hit("ip:a", -1, kT0) == 0);
    // Unlimited hits are not counted, so turning a limit on later starts from zero.
    BOOST_TEST(limiter.hit("ip:a", 1, kT0) == 0);
    BOOST_TEST(limiter.hit("ip:a", 1, kT0) == 60);
}

BOOST_AUTO_TEST_CASE(keys_are_counted_independently) {
    RateLimiter limiter;
    BOOST_TEST(limiter.hit("ip:a", 1, kT0) == 0);
    BOOST_TEST(limiter.hit("ip:a", 1, kT0) > 0);
    BOOST_TEST(limiter.hit("ip:b", 1, kT0) == 0);
    BOOST_TEST(limiter.hit("login:ip:a", 1, kT0) == 0);
}

BOOST_AUTO_TEST_CASE(windows_swept_after_a_quiet_minute_start_afresh) {
    RateLimiter limiter;
    BOOST_TEST(limiter.hit("ip:a", 1, kT0) == 0);
    BOOST_TEST(limiter.hit("ip:a", 1, kT0) > 0);
    BOOST_TEST(limiter.hit("ip:b", 1, kT0 + 120'000) == 0);  // triggers the sweep of ip:a's old window
    BOOST_TEST(limiter.hit("ip:a", 1, kT0 + 120'001) == 0);
    BOOST_TEST(limiter.hit("ip:a", 1, kT0 + 120'002) == 60);
}

BOOST_AUTO_TEST_SUITE_END()

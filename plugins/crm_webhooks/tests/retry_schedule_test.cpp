// The retry schedule: about a day by default, configurable down to milliseconds for tests.
#include "../retry_schedule.hpp"

#include <boost/test/unit_test.hpp>

using namespace parley::crm_webhooks;

BOOST_AUTO_TEST_SUITE(retry_schedule)

BOOST_AUTO_TEST_CASE(the_default_schedule_spans_about_a_day_in_seven_growing_waits) {
    auto s = parseRetrySchedule(kDefaultRetrySchedule);
    std::vector<long long> expected = {5'000, 300'000, 1'800'000, 7'200'000, 18'000'000, 36'000'000, 50'400'000};
    BOOST_TEST(s == expected, boost::test_tools::per_element());
    long long total = 0;
    for (auto d : s) total += d;
    BOOST_TEST(total > 24LL * 3600 * 1000);
    BOOST_TEST(total < 36LL * 3600 * 1000);
}

BOOST_AUTO_TEST_CASE(each_failure_takes_the_next_wait_and_then_the_delivery_is_dead) {
    auto s = parseRetrySchedule("50ms, 100, 2s");
    BOOST_TEST(*retryDelayMs(s, 1) == 50);
    BOOST_TEST(*retryDelayMs(s, 2) == 100);
    BOOST_TEST(*retryDelayMs(s, 3) == 2000);
    BOOST_TEST(!retryDelayMs(s, 4).has_value());
    BOOST_TEST(!retryDelayMs(s, 0).has_value());
}

BOOST_AUTO_TEST_CASE(a_bad_item_is_refused_with_its_name) {
    for (std::string bad : {"", "5x", "s", "-5s", "5s,,1m", "1234567890"}) {
        try {
            parseRetrySchedule(bad);
            BOOST_ERROR("accepted '" << bad << "'");
        } catch (const std::invalid_argument& e) {
            BOOST_TEST(std::string(e.what()).find("retry schedule") != std::string::npos);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

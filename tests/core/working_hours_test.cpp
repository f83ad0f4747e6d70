// Proves that a widget is open or closed by its weekly schedule in its own time zone, across DST and holidays.
#include "widgets/working_hours.hpp"

#include <boost/test/unit_test.hpp>

#include <unicode/locid.h>

#include <ctime>

using namespace parley::core;

namespace {

// Milliseconds since the epoch of a UTC wall-clock time.
long long utcMs(int year, int month, int day, int hour, int minute) {
    std::tm t{};
    t.tm_year = year - 1900;
    t.tm_mon = month - 1;
    t.tm_mday = day;
    t.tm_hour = hour;
    t.tm_min = minute;
    return static_cast<long long>(timegm(&t)) * 1000;
}

// working_hours as the widget config stores it; `schedule` and `holidays` are JSON text.
JsonObject hours(bool enabled, const std::string& tz, const std::string& schedule,
                 const std::string& holidays = "[]") {
    return parseJsonObject(R"({"enabled": )" + std::string(enabled ? "true" : "false") + R"(, "timezone": ")" + tz +
                               R"(", "schedule": )" + schedule + R"(, "holidays": )" + holidays + "}",
                           32);
}

const std::string kMadridWeekdays = R"({"mon": [{"start": "09:00", "end": "17:00"}],
                                        "tue": [{"start": "09:00", "end": "17:00"}], "sat": []})";

}  // namespace

BOOST_AUTO_TEST_SUITE(working_hours)

BOOST_AUTO_TEST_CASE(utc_helper_gives_known_epoch_values) {
    BOOST_TEST(utcMs(1970, 1, 1, 0, 0) == 0);
    BOOST_TEST(utcMs(2024, 1, 15, 8, 30) == 1705307400000LL);
}

BOOST_AUTO_TEST_CASE(disabled_or_missing_working_hours_are_always_open) {
    const long long sunday_night = utcMs(2024, 1, 14, 23, 0);
    BOOST_TEST(isOpenAt(hours(false, "Europe/Madrid", "{}"), sunday_night));
    BOOST_TEST(isOpenAt(JsonObject(), sunday_night));
    BOOST_TEST(isOpenAt(parseJsonObject(R"({"timezone": "UTC", "schedule": {}})", 32), sunday_night));
}

BOOST_AUTO_TEST_CASE(madrid_winter_monday_follows_local_time_one_hour_ahead_of_utc) {
    // 2024-01-15 is a Monday; Madrid is UTC+1 in January. Start is inclusive, end exclusive.
    struct Case {
        int hour, minute;
        bool open;
    };
    const Case cases[] = {
        {7, 59, false},  // 08:59 local
        {8, 0, true},    // 09:00 local
        {8, 30, true},   // 09:30 local
        {15, 59, true},  // 16:59 local
        {16, 0, false},  // 17:00 local
        {16, 30, false}, // 17:30 local
    };
    auto wh = hours(true, "Europe/Madrid", kMadridWeekdays);
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.hour << ":" << c.minute << " UTC") {
            BOOST_TEST(isOpenAt(wh, utcMs(2024, 1, 15, c.hour, c.minute)) == c.open);
        }
    }
}

BOOST_AUTO_TEST_CASE(madrid_summer_monday_follows_daylight_saving_two_hours_ahead_of_utc) {
    // 2024-07-15 is a Monday; Madrid is UTC+2 in July, so 07:30 UTC is open in summer and closed in winter.
    auto wh = hours(true, "Europe/Madrid", kMadridWeekdays);
    BOOST_TEST(!isOpenAt(wh, utcMs(2024, 7, 15, 6, 59)));  // 08:59 local
    BOOST_TEST(isOpenAt(wh, utcMs(2024, 7, 15, 7, 0)));    // 09:00 local
    BOOST_TEST(isOpenAt(wh, utcMs(2024, 7, 15, 7, 30)));
    BOOST_TEST(!isOpenAt(wh, utcMs(2024, 1, 15, 7, 30)));
    BOOST_TEST(isOpenAt(wh, utcMs(2024, 7, 15, 14, 59)));  // 16:59 local
    BOOST_TEST(!isOpenAt(wh, utcMs(2024, 7, 15, 15, 0)));  // 17:00 local
}

BOOST_AUTO_TEST_CASE(dst_switch_day_uses_the_new_offset_after_the_change) {
    // Madrid moved to UTC+2 at 01:00 UTC on Sunday 2024-03-31; a Sunday 03:00-04:00 local slot is then 01:00 UTC.
    auto wh = hours(true, "Europe/Madrid", R"({"sun": [{"start": "03:00", "end": "04:00"}]})");
    BOOST_TEST(isOpenAt(wh, utcMs(2024, 3, 31, 1, 30)));
    BOOST_TEST(!isOpenAt(wh, utcMs(2024, 3, 31, 2, 30)));  // 04:30 local
}

BOOST_AUTO_TEST_CASE(weekday_is_the_local_one_not_the_utc_one) {
    // Sunday 23:30 UTC is already Monday 00:30 in Madrid.
    auto monday_early = hours(true, "Europe/Madrid", R"({"mon": [{"start": "00:00", "end": "01:00"}]})");
    BOOST_TEST(isOpenAt(monday_early, utcMs(2024, 1, 14, 23, 30)));
    auto sunday_late = hours(true, "Europe/Madrid", R"({"sun": [{"start": "23:00", "end": "24:00"}]})");
    BOOST_TEST(!isOpenAt(sunday_late, utcMs(2024, 1, 14, 23, 30)));
    BOOST_TEST(isOpenAt(sunday_late, utcMs(2024, 1, 14, 22, 59)));  // 23:59 local, before the 24:00 end
}

BOOST_AUTO_TEST_CASE(days_without_ranges_and_missing_schedules_are_closed) {
    BOOST_TEST(!isOpenAt(hours(true, "UTC", kMadridWeekdays), utcMs(2024, 1, 13, 12, 0)));  // Saturday, []
    BOOST_TEST(!isOpenAt(hours(true, "UTC", kMadridWeekdays), utcMs(2024, 1, 17, 12, 0)));  // Wednesday, absent
    BOOST_TEST(!isOpenAt(parseJsonObject(R"({"enabled": true, "timezone": "UTC"})", 32), utcMs(2024, 1, 15, 12, 0)));
}

BOOST_AUTO_TEST_CASE(several_ranges_in_a_day_leave_the_lunch_gap_closed) {
    auto wh = hours(true, "UTC",
                    R"({"mon": [{"start": "09:00", "end": "13:00"}, {"start": "14:00", "end": "18:00"}]})");
    BOOST_TEST(isOpenAt(wh, utcMs(2024, 1, 15, 12, 59)));
    BOOST_TEST(!isOpenAt(wh, utcMs(2024, 1, 15, 13, 30)));
    BOOST_TEST(isOpenAt(wh, utcMs(2024, 1, 15, 14, 0)));
}

BOOST_AUTO_TEST_CASE(malformed_ranges_are_skipped_not_fatal) {
    auto wh = hours(true, "UTC", R"({"mon": ["09:00-17:00", {"start": "9am", "end": "5pm"}, {"start": "10:00"},
                                              {"start": "11:00", "end": "12:00"}]})");
    BOOST_TEST(!isOpenAt(wh, utcMs(2024, 1, 15, 10, 30)));
    BOOST_TEST(isOpenAt(wh, utcMs(2024, 1, 15, 11, 30)));
}

BOOST_AUTO_TEST_CASE(holidays_close_the_whole_local_day) {
    auto wh = hours(true, "Europe/Madrid", kMadridWeekdays, R"(["2024-01-15", "2024-12-25"])");
    BOOST_TEST(!isOpenAt(wh, utcMs(2024, 1, 15, 8, 30)));
    BOOST_TEST(isOpenAt(wh, utcMs(2024, 1, 16, 8, 30)));  // the Tuesday after is a normal day
    // A holiday is a local date: Sunday 23:30 UTC is already 2024-01-15 in Madrid.
    auto monday_early = hours(true, "Europe/Madrid", R"({"mon": [{"start": "00:00", "end": "01:00"}]})",
                              R"(["2024-01-15"])");
    BOOST_TEST(!isOpenAt(monday_early, utcMs(2024, 1, 14, 23, 30)));
}

BOOST_AUTO_TEST_CASE(holidays_and_hours_do_not_depend_on_the_process_locale_calendar) {
    // ICU takes its default locale from LANG; these locales default to Buddhist, Persian and Islamic calendars.
    const icu::Locale previous = icu::Locale::getDefault();
    auto wh = hours(true, "Europe/Madrid", kMadridWeekdays, R"(["2024-01-15"])");
    for (const char* locale : {"th_TH", "fa_IR", "ar_SA", "ja_JP@calendar=japanese"}) {
        BOOST_TEST_CONTEXT(locale) {
            UErrorCode status = U_ZERO_ERROR;
            icu::Locale::setDefault(icu::Locale(locale), status);
            BOOST_TEST(!isOpenAt(wh, utcMs(2024, 1, 15, 8, 30)));  // the holiday
            BOOST_TEST(isOpenAt(wh, utcMs(2024, 1, 16, 8, 30)));   // the Tuesday after
        }
    }
    UErrorCode status = U_ZERO_ERROR;
    icu::Locale::setDefault(previous, status);
}

BOOST_AUTO_TEST_CASE(known_time_zones_are_told_apart_from_unknown_names) {
    struct Case {
        const char* tz;
        bool known;
    };
    const Case cases[] = {
        {"Europe/Madrid", true}, {"UTC", true},           {"America/New_York", true}, {"Asia/Kolkata", true},
        {"Mars/Olympus", false}, {"Europe/Madird", false}, {"", false},               {"not a zone", false},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT("'" << c.tz << "'") {
            BOOST_TEST(isKnownTimeZone(c.tz) == c.known);
        }
    }
}

BOOST_AUTO_TEST_CASE(time_of_day_accepts_hh_mm_up_to_24_00) {
    struct Case {
        const char* text;
        bool valid;
    };
    const Case cases[] = {
        {"00:00", true},  {"09:00", true},  {"23:59", true},  {"24:00", true},  {"24:01", false},
        {"25:00", false}, {"09:60", false}, {"9:00", false},  {"09:0", false},  {"09:000", false},
        {"09-00", false}, {"0a:00", false}, {"", false},      {" 9:00", false}, {"-1:00", false},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT("'" << c.text << "'") {
            BOOST_TEST(isTimeOfDay(c.text) == c.valid);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

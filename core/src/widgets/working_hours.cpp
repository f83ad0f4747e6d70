// Local time in the widget's zone via ICU's Calendar, then a lookup in the weekly schedule.
#include "widgets/working_hours.hpp"

#include <unicode/calendar.h>
#include <unicode/timezone.h>

#include <memory>

namespace parley::core {

bool isKnownTimeZone(const std::string& tz) {
    std::unique_ptr<icu::TimeZone> zone(icu::TimeZone::createTimeZone(icu::UnicodeString::fromUTF8(tz)));
    icu::UnicodeString id;
    zone->getID(id);
    return id != icu::UnicodeString("Etc/Unknown");
}

namespace {
int minutesOf(const std::string& hhmm) {
    return std::stoi(hhmm.substr(0, 2)) * 60 + std::stoi(hhmm.substr(3, 2));
}
}  // namespace

bool isTimeOfDay(const std::string& t) {
    if (t.size() != 5 || t[2] != ':' || !std::isdigit(static_cast<unsigned char>(t[0])) ||
        !std::isdigit(static_cast<unsigned char>(t[1])) || !std::isdigit(static_cast<unsigned char>(t[3])) ||
        !std::isdigit(static_cast<unsigned char>(t[4])))
        return false;
    int m = minutesOf(t);
    return m <= 24 * 60 && std::stoi(t.substr(3, 2)) < 60;
}

bool isOpenAt(const JsonObject& wh, long long now_ms) {
    if (!wh || !wh->optValue<bool>("enabled", false)) return true;
    std::string tz = wh->optValue<std::string>("timezone", "UTC");
    UErrorCode status = U_ZERO_ERROR;
    // The root locale pins the Gregorian calendar; the process locale (LANG=th_TH, fa_IR, ...) may pick another
    // whose years and months would never match a "YYYY-MM-DD" holiday.
    std::unique_ptr<icu::Calendar> cal(icu::Calendar::createInstance(
        icu::TimeZone::createTimeZone(icu::UnicodeString::fromUTF8(tz)), icu::Locale::getRoot(), status));
    if (U_FAILURE(status)) return true;
    cal->setTime(static_cast<UDate>(now_ms), status);
    int dow = cal->get(UCAL_DAY_OF_WEEK, status);  // 1 = Sunday
    int minutes = cal->get(UCAL_HOUR_OF_DAY, status) * 60 + cal->get(UCAL_MINUTE, status);
    char date[11];
    std::snprintf(date, sizeof date, "%04d-%02d-%02d", cal->get(UCAL_YEAR, status), cal->get(UCAL_MONTH, status) + 1,
                  cal->get(UCAL_DATE, status));
    if (U_FAILURE(status)) return true;
    if (auto holidays = wh->getArray("holidays"))
        for (const auto& h : *holidays)
            if (h.isString() && h.extract<std::string>() == date) return false;
    static const char* days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    auto schedule = wh->getObject("schedule");
    if (!schedule) return false;
    auto ranges = schedule->getArray(days[dow - 1]);
    if (!ranges) return false;
    for (const auto& r : *ranges) {
        if (r.type() != typeid(Poco::JSON::Object::Ptr)) continue;
        auto range = r.extract<Poco::JSON::Object::Ptr>();
        std::string start = range->optValue<std::string>("start", ""), end = range->optValue<std::string>("end", "");
        if (!isTimeOfDay(start) || !isTimeOfDay(end)) continue;
        if (minutes >= minutesOf(start) && minutes < minutesOf(end)) return true;
    }
    return false;
}

}  // namespace parley::core

// Normalization and word breaking through ICU, and local times through ICU's Gregorian calendar.
#include "lua/text_tools.hpp"

#include <unicode/brkiter.h>
#include <unicode/calendar.h>
#include <unicode/normalizer2.h>
#include <unicode/timezone.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <stdexcept>

#include "widgets/working_hours.hpp"

namespace parley::core {
namespace {

// The root locale pins the Gregorian calendar (see widgets/working_hours.cpp).
std::unique_ptr<icu::Calendar> calendarIn(const std::string& tz) {
    if (!isKnownTimeZone(tz))
        throw std::invalid_argument("unknown time zone '" + tz +
                                    "' (use an IANA name such as 'Europe/Madrid')");
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::Calendar> cal(icu::Calendar::createInstance(
        icu::TimeZone::createTimeZone(icu::UnicodeString::fromUTF8(tz)), icu::Locale::getRoot(), status));
    if (U_FAILURE(status)) throw std::runtime_error(std::string("ICU calendar: ") + u_errorName(status));
    return cal;
}

// Combining marks that only carry accents: Combining Diacritical Marks (and their Extended and Supplement
// blocks), for Symbols, and Half Marks. Other nonspacing marks (dakuten, Thai vowels) are parts of letters.
bool isAccentMark(UChar32 c) {
    return (c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) || (c >= 0x1DC0 && c <= 0x1DFF) ||
           (c >= 0x20D0 && c <= 0x20FF) || (c >= 0xFE20 && c <= 0xFE2F);
}

}  // namespace

LocalTime localTimeAt(double epoch_seconds, const std::string& tz) {
    auto cal = calendarIn(tz);
    UErrorCode status = U_ZERO_ERROR;
    cal->setTime(static_cast<UDate>(std::floor(epoch_seconds * 1000.0)), status);
    LocalTime t;
    t.year = cal->get(UCAL_YEAR, status);
    t.month = cal->get(UCAL_MONTH, status) + 1;
    t.day = cal->get(UCAL_DATE, status);
    t.hour = cal->get(UCAL_HOUR_OF_DAY, status);
    t.minute = cal->get(UCAL_MINUTE, status);
    t.second = cal->get(UCAL_SECOND, status);
    int dow = cal->get(UCAL_DAY_OF_WEEK, status);  // 1 = Sunday
    t.weekday = dow == UCAL_SUNDAY ? 7 : dow - 1;
    t.tz = tz;
    if (U_FAILURE(status)) throw std::runtime_error(std::string("ICU calendar: ") + u_errorName(status));
    return t;
}

double epochOfLocalTime(const std::string& local, const std::string& tz) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, used = 0;
    int n = std::sscanf(local.c_str(), "%4d-%2d-%2dT%2d:%2d%n:%2d%n", &y, &mo, &d, &h, &mi, &used, &s, &used);
    if (n < 5 || static_cast<size_t>(used) != local.size() || mo < 1 || mo > 12 || d < 1 || d > 31 ||
        h > 23 || mi > 59 || s > 59)
        throw std::invalid_argument("time '" + local + "' is not YYYY-MM-DDTHH:MM[:SS]");
    auto cal = calendarIn(tz);
    cal->clear();
    cal->set(y, mo - 1, d, h, mi, s);
    UErrorCode status = U_ZERO_ERROR;
    UDate ms = cal->getTime(status);
    if (U_FAILURE(status)) throw std::invalid_argument("time '" + local + "' does not exist in " + tz);
    return ms / 1000.0;
}

std::string normalizeText(const std::string& text) {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* fold = icu::Normalizer2::getNFKCCasefoldInstance(status);
    const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
    const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
    if (U_FAILURE(status)) throw std::runtime_error(std::string("ICU normalizer: ") + u_errorName(status));
    icu::UnicodeString decomposed =
        nfd->normalize(fold->normalize(icu::UnicodeString::fromUTF8(text), status), status);
    icu::UnicodeString kept;
    for (int32_t i = 0; i < decomposed.length();) {
        UChar32 c = decomposed.char32At(i);
        if (!isAccentMark(c)) kept.append(c);
        i += U16_LENGTH(c);
    }
    icu::UnicodeString composed = nfc->normalize(kept, status);
    if (U_FAILURE(status)) throw std::runtime_error(std::string("ICU normalizer: ") + u_errorName(status));
    icu::UnicodeString out;
    bool pending_space = false;
    for (int32_t i = 0; i < composed.length();) {
        UChar32 c = composed.char32At(i);
        i += U16_LENGTH(c);
        if (u_isUWhiteSpace(c)) {
            pending_space = !out.isEmpty();
            continue;
        }
        if (pending_space) out.append(static_cast<UChar>(' '));
        pending_space = false;
        out.append(c);
    }
    std::string result;
    out.toUTF8String(result);
    return result;
}

std::vector<std::string> wordTokens(const std::string& text) {
    // Building a word iterator loads its rules and dictionaries: keep one per thread.
    thread_local std::unique_ptr<icu::BreakIterator> words;
    if (!words) {
        UErrorCode status = U_ZERO_ERROR;
        words.reset(icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), status));
        if (U_FAILURE(status)) {
            words.reset();
            throw std::runtime_error(std::string("ICU word break iterator: ") + u_errorName(status));
        }
    }
    icu::UnicodeString u = icu::UnicodeString::fromUTF8(text);
    words->setText(u);
    std::vector<std::string> out;
    int32_t start = words->first();
    for (int32_t end = words->next(); end != icu::BreakIterator::DONE; start = end, end = words->next()) {
        if (words->getRuleStatus() < UBRK_WORD_NONE_LIMIT) continue;  // spaces and punctuation
        std::string token;
        u.tempSubStringBetween(start, end).toUTF8String(token);
        out.push_back(std::move(token));
    }
    return out;
}

}  // namespace parley::core

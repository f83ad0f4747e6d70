// ICU helpers behind parley.text and parley.time: normalization, word tokens, wall-clock time in a zone.
#pragma once

#include <string>
#include <vector>

namespace parley::core {

// Wall-clock time in a time zone, Gregorian calendar whatever the process locale.
struct LocalTime {
    int year = 0, month = 0, day = 0;  // month 1..12
    int hour = 0, minute = 0, second = 0;
    int weekday = 0;  // 1 = Monday .. 7 = Sunday (ISO 8601)
    std::string tz;
};

// The local time at `epoch_seconds` in `tz` ("Europe/Madrid"); throws std::invalid_argument for an unknown
// zone.
LocalTime localTimeAt(double epoch_seconds, const std::string& tz);

// Seconds since the epoch of a local "YYYY-MM-DDTHH:MM[:SS]" in `tz`; throws std::invalid_argument on a
// malformed time or an unknown zone.
double epochOfLocalTime(const std::string& local, const std::string& tz);

// For comparing what people type: NFKC case folding (so "Straße" gives "strasse" and full-width letters
// become ASCII), Latin/Greek/Cyrillic accents removed ("Café" gives "cafe") while marks that are letters
// elsewhere stay (Japanese dakuten, Thai vowels), and whitespace runs collapsed to one space, trimmed.
std::string normalizeText(const std::string& text);

// The words of `text` by ICU's word break rules in the root locale, with dictionaries for languages written
// without spaces (Japanese, Chinese, Thai, ...). Punctuation and spaces are left out; numbers are words.
std::vector<std::string> wordTokens(const std::string& text);

}  // namespace parley::core

// Parsing and stepping through the retry schedule.
#include "retry_schedule.hpp"

#include <cctype>
#include <stdexcept>

namespace parley::crm_webhooks {

const char* const kDefaultRetrySchedule = "5s,5m,30m,2h,5h,10h,14h";

std::vector<long long> parseRetrySchedule(const std::string& text) {
    std::vector<long long> out;
    size_t start = 0;
    while (start <= text.size()) {
        size_t comma = text.find(',', start);
        std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) item.erase(0, 1);
        while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) item.pop_back();
        size_t digits = 0;
        while (digits < item.size() && std::isdigit(static_cast<unsigned char>(item[digits]))) digits++;
        std::string unit = item.substr(digits);
        long long scale = unit == "" || unit == "ms" ? 1 : unit == "s" ? 1000 : unit == "m" ? 60'000 : unit == "h" ? 3'600'000 : 0;
        if (digits == 0 || digits > 9 || scale == 0)
            throw std::invalid_argument("retry schedule item '" + item + "' is not a duration like 500ms, 5s, 5m or 2h");
        out.push_back(std::stoll(item.substr(0, digits)) * scale);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    if (out.empty() || out.size() > 30) throw std::invalid_argument("retry schedule needs 1 to 30 items");
    return out;
}

std::optional<long long> retryDelayMs(const std::vector<long long>& schedule, int failed_attempts) {
    if (failed_attempts < 1 || failed_attempts > static_cast<int>(schedule.size())) return std::nullopt;
    return schedule[static_cast<size_t>(failed_attempts - 1)];
}

}  // namespace parley::crm_webhooks

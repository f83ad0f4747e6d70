// The delivery retry schedule: how long to wait after each failed attempt, and when to give up.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace parley::crm_webhooks {

// The default waits after failed attempts 1..7: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h (about 32 hours in
// all, eight attempts), the schedule Standard Webhooks senders commonly use.
extern const char* const kDefaultRetrySchedule;

// Parses "5s,5m,30m,2h" or plain milliseconds "50,100" into milliseconds; throws std::invalid_argument
// naming the bad item.
std::vector<long long> parseRetrySchedule(const std::string& text);

// The wait after `failed_attempts` failures, or nullopt when the schedule is spent (dead letter).
std::optional<long long> retryDelayMs(const std::vector<long long>& schedule, int failed_attempts);

}  // namespace parley::crm_webhooks

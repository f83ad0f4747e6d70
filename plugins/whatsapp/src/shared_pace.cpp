// The shared pace: one UPDATE claims n slots (the row moves on by n intervals from max(next_at, now)).
#include "shared_pace.hpp"

#include <algorithm>
#include <cmath>
#include <thread>

namespace parley::whatsapp {

long long nowMicros() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

SharedPace::SharedPace(Db db, double per_second, double max_batch_seconds)
    : db_(db),
      interval_us_(static_cast<long long>(std::llround(1e6 / (per_second > 0 ? per_second : 1)))),
      max_batch_(static_cast<size_t>(std::max(1.0, std::floor(per_second * max_batch_seconds)))) {}

long long SharedPace::claim(const std::string& number, size_t n) {
    if (!row_made_[number]) {
        db_.exec("INSERT INTO whatsapp_send_pace (phone_number_id, next_at) VALUES (:1, 0) ON CONFLICT (phone_number_id) DO NOTHING",
                 number);
        row_made_[number] = true;
    }
    long long now = nowMicros(), span = static_cast<long long>(n) * interval_us_;
    // Portable max(next_at, now): CASE, since SQLite says MAX and PostgreSQL GREATEST.
    Object::Ptr row = db_.row("UPDATE whatsapp_send_pace SET next_at = CASE WHEN next_at > :1 THEN next_at ELSE :2 END + :3 "
                              "WHERE phone_number_id = :4 RETURNING next_at",
                              now, now, span, number);
    return num(row, "next_at") - span;
}

void SharedPace::wait(const std::string& number, size_t upcoming) {
    long long slot = 0;
    {
        std::lock_guard lock(mutex_);
        auto& held = slots_[number];
        long long now = nowMicros();
        // A slot more than half an interval past is dropped, not used late: two sends never come closer than that.
        while (!held.empty() && held.front() < now - interval_us_ / 2) held.pop_front();
        if (held.empty()) {
            size_t n = std::clamp<size_t>(upcoming, 1, max_batch_);
            long long first = claim(number, n);
            for (size_t i = 0; i < n; ++i) held.push_back(first + static_cast<long long>(i) * interval_us_);
        }
        slot = held.front();
        held.pop_front();
    }
    long long wait_us = slot - nowMicros();
    if (wait_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(wait_us));
}

}  // namespace parley::whatsapp

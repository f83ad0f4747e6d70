// /hooks/whatsapp: the verification handshake and signed webhook deliveries, committed before the 200.
#pragma once

#include "numbers.hpp"
#include "progress.hpp"
#include "settings.hpp"

#include <map>
#include <mutex>
#include <string>

namespace parley::whatsapp {

class Ingest {
public:
    // `statusApplied` is called for each stored status (the sender replays statuses for sends it records later).
    // `progress` (may be null) hears about statuses of broadcast sends, for the panel's live progress.
    Ingest(Db db, Numbers& numbers, const Settings& settings, ProgressNotices* progress = nullptr)
        : db_(db), numbers_(numbers), settings_(settings), progress_(progress) {}

    void handshake(const parley::Request& r, parley::Response& w);
    void deliver(const parley::Request& r, parley::Response& w);

    // Applies a status to the send that carries `wamid` (if any): forward-only on the send row, and on the Parley
    // message through message_status. Also used by the sender for statuses that arrived before its Graph answer.
    void applyStatus(const std::string& wamid, const std::string& status, long long at, const std::string& errors_json);

private:
    void storeMessage(const Number& number, const struct Inbound& in);
    // Health: last_webhook_at is written at most once a second per number (not once per webhook).
    void touchNumber(const std::string& phone_number_id);
    Db db_;
    Numbers& numbers_;
    const Settings& settings_;
    ProgressNotices* progress_;
    std::mutex mutex_;
    std::map<std::string, long long> touched_at_;
};

}  // namespace parley::whatsapp

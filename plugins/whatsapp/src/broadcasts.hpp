// Broadcasts: a template to many recipients (a list, a CSV validated row by row, or the tenant's contacts with a
// tag; numbers in E.164), sent by the sender's queue at the number's pace, per-recipient status pushed live to
// the panel, stopped by an expired token, resumed after a restart without a second copy to anyone.
#pragma once

#include "numbers.hpp"
#include "sender.hpp"

#include <string>
#include <vector>

namespace parley::whatsapp {

struct Recipient {
    std::string phone;  // digits only, as Graph's "to" takes them
    std::string name;
};
struct RejectedRow {
    size_t row;  // 1-based line of the CSV (the header is row 1), or index + 1 in a list
    std::string reason;
};

// Reads "phone[,name]" CSV text with a header naming a "phone" column; duplicates and non-E.164 numbers are
// rejected with their row. Plain code, unit-tested.
void parseRecipientsCsv(const std::string& csv, std::vector<Recipient>& accepted, std::vector<RejectedRow>& rejected);
// True for +<country><number>, 8 to 15 digits, no leading 0.
bool isE164(const std::string& phone);

void registerBroadcastRoutes(parley::Plugin& p, Db db, Numbers& numbers, Sender& sender);

}  // namespace parley::whatsapp

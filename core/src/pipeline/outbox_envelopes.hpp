// What a durable subscriber receives: the event envelope, with the conversation as it stands at delivery, read
// for a whole batch in one query.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace soci {
class session;
}

namespace parley::core {

// One event_deliveries row joined with its outbox event, as the dispatcher selects it; or a fresh event on the
// direct road (id 0: no row).
struct DueDelivery {
    long long id = 0;
    int attempts = 0;
    std::string event_id, key, name, tenant, payload;
    long long created_at = 0;
    long long earlier = 0;  // PostgreSQL: rows of the same subscription and key before this one, when selected
    std::string error;      // a direct delivery that failed: why (it becomes a row with attempts 1)

    // True when the event concerns a conversation (its key is the conversation id), so order applies.
    bool ordered() const { return key.rfind("event:", 0) != 0; }
};

// Conversation snapshots by id (JSON text, "" for an id with no conversation), filled per pass.
using ConversationSnapshots = std::map<std::string, std::string>;

// Reads, in one query, the conversations of `rows` not yet in `snapshots` and adds them (widget, channel,
// visitor, context with UTM and page, attributes); ids that are not UUIDs or name no conversation get "".
void readConversationSnapshots(soci::session& sql, const std::vector<DueDelivery>& rows,
                               ConversationSnapshots& snapshots);

// The JSON a subscriber receives for `row` (parley_event_fn in plugin.h): attempt is attempts + 1, `pass` the
// host's number for this delivery transaction, `snapshot` the conversation ("" leaves it out).
std::string eventEnvelope(const DueDelivery& row, unsigned long long pass, const std::string& snapshot);

}  // namespace parley::core

// The outbox does not grow without end: dispatched events are deleted once they are old enough.
#pragma once

namespace parley::core {

class Database;

// Deletes up to `limit` outbox events dispatched before `cutoff_ms` that no durable subscription still has to
// deliver (an event_deliveries row left: pending or retrying); returns how many it deleted. Undispatched events
// are never touched, whatever their age.
int pruneOutbox(Database& db, long long cutoff_ms, int limit);

// Runs pruneOutbox in batches of `batch` until a batch comes back short; returns the total.
long long pruneOutboxAll(Database& db, long long cutoff_ms, int batch = 1000);

}  // namespace parley::core

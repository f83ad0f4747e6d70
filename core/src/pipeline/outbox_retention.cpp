// Outbox retention: the hourly clean-up of dispatched events (outbox.retention_days): old events no longer
// queued for the fan-out (outbox_pending) and with no delivery row left.
#include "pipeline/outbox_retention.hpp"

#include "store/database.hpp"

#include <string>

namespace parley::core {

int pruneOutbox(Database& db, long long cutoff_ms, int limit) {
    int deleted = 0;
    db.write([&](soci::session& sql) {
        soci::statement st =
            (sql.prepare << "DELETE FROM outbox_events WHERE id IN (SELECT o.id FROM outbox_events o "
                            "WHERE o.created_at < :c AND o.id NOT IN (SELECT event_id FROM outbox_pending) "
                            "AND NOT EXISTS "
                            "(SELECT 1 FROM event_deliveries d WHERE d.event_id = o.id) LIMIT " +
                                std::to_string(limit) + ")",
             soci::use(cutoff_ms));
        st.execute(true);
        deleted = static_cast<int>(st.get_affected_rows());
    });
    return deleted;
}

long long pruneOutboxAll(Database& db, long long cutoff_ms, int batch) {
    long long total = 0;
    for (;;) {
        int n = pruneOutbox(db, cutoff_ms, batch);  // one short transaction per batch: writers are not held up
        total += n;
        if (n < batch) return total;
    }
}

}  // namespace parley::core

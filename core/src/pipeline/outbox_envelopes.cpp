// Event envelopes for durable subscribers, and the conversation snapshots they carry, read once per batch.
#include "pipeline/outbox_envelopes.hpp"

#include "http/json.hpp"
#include "store/database.hpp"
#include "store/row.hpp"

#include <parley/sdk.hpp>

namespace parley::core {

void readConversationSnapshots(soci::session& sql, const std::vector<DueDelivery>& rows,
                               ConversationSnapshots& snapshots) {
    // Ids are checked UUIDs, so the list is written into the statement (one round trip, any batch size).
    std::string in;
    for (const auto& r : rows) {
        if (!r.ordered() || snapshots.count(r.key)) continue;
        snapshots[r.key] = "";  // stays "" when no conversation has that id
        if (isUuid(r.key)) in += (in.empty() ? "'" : ",'") + r.key + "'";
    }
    if (in.empty()) return;
    queryEach(sql, "SELECT id, tenant_id, widget_id, channel, status, visitor_id, session_id, visitor_info, context, "
                   "attributes, created_at, closed_at FROM conversations WHERE id IN (" + in + ")",
              [&](const soci::row& r) {
                  JsonObject c = jsonObject();
                  c->set("id", rowText(r, 0));
                  c->set("tenant_id", rowText(r, 1));
                  c->set("widget_id", rowText(r, 2));
                  c->set("channel", rowText(r, 3));
                  c->set("status", rowText(r, 4));
                  c->set("visitor_id", rowText(r, 5));
                  c->set("session_id", rowText(r, 6));
                  c->set("visitor", storedObject(rowText(r, 7)));
                  c->set("context", storedObject(rowText(r, 8)));
                  c->set("attributes", storedObject(rowText(r, 9)));
                  c->set("created_at", static_cast<Poco::Int64>(rowInt(r, 10)));
                  if (rowIsNull(r, 11)) c->set("closed_at", Poco::Dynamic::Var());
                  else c->set("closed_at", static_cast<Poco::Int64>(rowInt(r, 11)));
                  snapshots[rowText(r, 0)] = toJson(c);
              });
}

std::string eventEnvelope(const DueDelivery& r, unsigned long long pass, const std::string& snapshot) {
    return "{\"id\":\"" + r.event_id + "\",\"name\":" + parley::Response::quote(r.name) +
           ",\"tenant_id\":" + (r.tenant.empty() ? "null" : "\"" + r.tenant + "\"") +
           (r.ordered() ? ",\"conversation_id\":" + parley::Response::quote(r.key) : "") +
           ",\"created_at\":" + std::to_string(r.created_at) + ",\"attempt\":" + std::to_string(r.attempts + 1) +
           ",\"pass\":" + std::to_string(pass) + ",\"payload\":" + r.payload +
           (snapshot.empty() ? "" : ",\"conversation\":" + snapshot) + "}";
}

}  // namespace parley::core

// Read, merge and write a conversation's attributes with its row locked, and the event in the same commit.
#include "pipeline/attributes.hpp"

#include "app/app.hpp"
#include "realtime/hub.hpp"
#include "store/database.hpp"

namespace parley::core {

AttributesUpdate mergeConversationAttributes(App& app, const std::string& id, const JsonObject& patch,
                                             const std::string& origin) {
    AttributesUpdate out;
    app.db->write([&](soci::session& sql) {
        // SQLite's write transaction already excludes every other writer; PostgreSQL locks the one row.
        if (app.db->isPostgres()) sql << "SELECT 1 FROM conversations WHERE id = CAST(:id AS UUID) FOR UPDATE", soci::use(id);
        ConversationRepository repo(sql);
        out.conversation = repo.find(id);
        if (!out.conversation) return;
        Conversation& conversation = *out.conversation;
        JsonObject attributes = conversation.attributes ? conversation.attributes : jsonObject();
        std::string before = toJson(attributes);
        for (const auto& [key, value] : *patch) {
            if (value.isEmpty()) attributes->remove(key);
            else attributes->set(key, value);
        }
        std::string after = toJson(attributes);
        if (after.size() > kMaxAttributesBytes) {
            out.too_large = true;
            conversation.attributes = storedObject(before);
            return;
        }
        conversation.attributes = attributes;
        if (after == before) return;
        out.changed = true;
        long long now = nowMs();
        repo.updateAttributes(id, attributes, now);
        conversation.updated_at = now;
        JsonObject event = jsonObject();
        event->set("conversation_id", id);
        event->set("conversation", conversation.toJson());
        event->set("attributes", patch);
        event->set("origin", origin);
        appendOutboxEvent(sql, conversation.tenant_id, "conversation.updated", event);
    });
    if (out.changed && app.realtime) app.realtime->conversationChanged(id);
    return out;
}

}  // namespace parley::core

// The host functions ABI 1.3 added: store_file, set_conversation_attributes, publish_realtime and contacts.
#include "app/app.hpp"
#include "pipeline/attributes.hpp"
#include "pipeline/files.hpp"
#include "plugin/host_calls.hpp"
#include "realtime/hub.hpp"
#include "store/contact_repository.hpp"
#include "store/database.hpp"
#include "store/tenant_repository.hpp"
#include "store/widget_repository.hpp"

#include <Poco/String.h>

#include <cstring>

namespace parley::core::host {
namespace {

constexpr size_t kMaxRealtimeDataBytes = 4 * 1024;

// store_file: checks as the widget's upload route does, then stores (and links the message) in one transaction.
int storeFileCall(parley_plugin* p, const char* conversation_id, const char* request_json, const char* data, size_t size,
                  const char** file_out) {
    if (file_out) *file_out = nullptr;
    if (missing(p) || missing(conversation_id) || missing(request_json) || (missing(data) && size > 0))
        return fail(PARLEY_ERR_INVALID_ARGUMENT, "store_file: null argument");
    if (inTransaction()) return fail(PARLEY_ERR_DENIED, "store_file opens its own transaction: call it outside one");
    return guard([&] {
        App& app = appOf(p);
        JsonObject request = parseJsonObject(request_json, 8);
        std::string name = reqString(request, "filename", 200);
        std::string type = reqString(request, "content_type", 200);
        std::string message_id = Poco::toLower(optString(request, "message_id", 36).value_or(""));
        std::optional<Conversation> conversation;
        std::string id = Poco::toLower(std::string(conversation_id));
        if (isUuid(id)) conversation = app.db->read([&](soci::session& sql) { return ConversationRepository(sql).find(id); });
        if (!conversation) return fail(PARLEY_ERR_NOT_FOUND, "no conversation '" + id + "'");
        if (message_id.empty() && conversation->status == "closed")
            return fail(PARLEY_ERR_CONFLICT, "conversation '" + id + "' is closed");
        if (!message_id.empty()) {
            bool found = isUuid(message_id) && app.db->read([&](soci::session& sql) {
                return ConversationRepository(sql).findMessage(conversation->id, message_id).has_value();
            });
            if (!found) return fail(PARLEY_ERR_NOT_FOUND, "no message '" + message_id + "' in conversation '" + id + "'");
        }
        auto widget = app.db->read([&](soci::session& sql) {
            return WidgetRepository(sql).find(conversation->tenant_id, conversation->widget_id);
        });
        long long limit = widgetFileLimit(widget ? widget->config : nullptr);
        std::string bytes(data ? data : "", size);
        try {
            type = checkFile(name, type, bytes, limit);
        } catch (const ApiError& e) {
            return fail(e.status() == 413 ? PARLEY_ERR_DENIED : PARLEY_ERR_INVALID_ARGUMENT, e.what());
        }
        std::optional<Message> linked;
        StoredFile f = storeFile(app, *conversation, name, type, bytes, "plugin:" + p->plugin->manifest.id,
                                 [&](soci::session& sql, const StoredFile& stored) {
            if (message_id.empty()) return;
            ConversationRepository repo(sql);
            linked = repo.findMessage(conversation->id, message_id);
            if (!linked) throw notFound("no message '" + message_id + "'");  // deleted meanwhile: nothing stays
            if (!linked->payload) linked->payload = jsonObject();
            linked->payload->set("file", stored.toJson(app));
            repo.updateMessagePayload(message_id, linked->payload);
        });
        if (linked && app.realtime) app.realtime->messageUpdated(conversation->tenant_id, *linked);
        JsonObject out = jsonObject();
        out->set("file", f.toJson(app));
        if (linked) out->set("message", linked->toJson());
        t_scratch = toJson(out);
        if (file_out) *file_out = t_scratch.c_str();
        return static_cast<int>(PARLEY_OK);
    });
}

// set_conversation_attributes: read, merge and write under the write lock, with the event in the same commit.
int setAttributesCall(parley_plugin* p, const char* conversation_id, const char* attributes_json, const char** out_json) {
    if (out_json) *out_json = nullptr;
    if (missing(p) || missing(conversation_id) || missing(attributes_json))
        return fail(PARLEY_ERR_INVALID_ARGUMENT, "set_conversation_attributes: null argument");
    if (inTransaction())
        return fail(PARLEY_ERR_DENIED, "set_conversation_attributes opens its own transaction: call it outside one");
    return guard([&] {
        App& app = appOf(p);
        JsonObject patch = parseJsonObject(attributes_json, 16);
        for (const auto& [key, _] : *patch)
            if (key.empty() || key.size() > 64)
                return fail(PARLEY_ERR_INVALID_ARGUMENT, "set_conversation_attributes: key '" + key + "' must be 1 to 64 bytes");
        std::string id = Poco::toLower(std::string(conversation_id));
        if (!isUuid(id)) return fail(PARLEY_ERR_NOT_FOUND, "no conversation '" + id + "'");
        AttributesUpdate update = mergeConversationAttributes(app, id, patch, p->plugin->manifest.id);
        if (!update.conversation) return fail(PARLEY_ERR_NOT_FOUND, "no conversation '" + id + "'");
        if (update.too_large)
            return fail(PARLEY_ERR_INVALID_ARGUMENT, "set_conversation_attributes: the merged attributes are over 16 KiB");
        const Conversation* conversation = &*update.conversation;
        bool changed = update.changed;
        JsonObject out = jsonObject();
        out->set("conversation", conversation->toJson());
        out->set("changed", changed);
        t_scratch = toJson(out);
        if (out_json) *out_json = t_scratch.c_str();
        return static_cast<int>(PARLEY_OK);
    });
}

int publishRealtimeCall(parley_plugin* p, const char* tenant_id, const char* name, const char* data_json) {
    if (missing(p) || missing(tenant_id) || missing(name) || missing(data_json))
        return fail(PARLEY_ERR_INVALID_ARGUMENT, "publish_realtime: null argument");
    std::string n = name, tenant = Poco::toLower(std::string(tenant_id));
    if (n.empty() || n.size() > 64 || n.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_.") != std::string::npos)
        return fail(PARLEY_ERR_INVALID_ARGUMENT, "publish_realtime: name '" + n + "' must be 1 to 64 of [a-z0-9_.]");
    if (!isUuid(tenant)) return fail(PARLEY_ERR_INVALID_ARGUMENT, "publish_realtime: tenant_id must be a tenant's id");
    if (std::strlen(data_json) > kMaxRealtimeDataBytes)
        return fail(PARLEY_ERR_INVALID_ARGUMENT, "publish_realtime: data is over 4 KiB");
    return guard([&] {
        JsonObject frame = jsonObject();
        frame->set("type", std::string("plugin_event"));
        frame->set("plugin", p->plugin->manifest.id);
        frame->set("name", n);
        frame->set("data", parseJsonObject(data_json, 16));
        if (appOf(p).realtime) appOf(p).realtime->toTenantUsers(tenant, toJson(frame));
        return static_cast<int>(PARLEY_OK);
    });
}

int contactsCall(parley_plugin* p, const char* tenant_id, const char* query_json, const char** contacts_out) {
    if (contacts_out) *contacts_out = nullptr;
    if (missing(p) || missing(tenant_id)) return fail(PARLEY_ERR_INVALID_ARGUMENT, "contacts: null argument");
    return guard([&] {
        JsonObject query = parseJsonObject(query_json && *query_json ? query_json : "{}", 8);
        std::string tenant = Poco::toLower(std::string(tenant_id));
        std::string tag = optString(query, "tag", 50).value_or("");
        if (!tag.empty()) tag = normalizeTags({tag}, "tag").front();
        std::string after = Poco::toLower(optString(query, "after", 36).value_or(""));
        int limit = static_cast<int>(optInt(query, "limit", 1, 1000).value_or(200));
        auto list = appOf(p).db->read([&](soci::session& sql) -> std::optional<std::vector<Contact>> {
            if (!isUuid(tenant) || !TenantRepository(sql).find(tenant)) return std::nullopt;
            return ContactRepository(sql).list(tenant, tag, after, limit);
        });
        if (!list) return fail(PARLEY_ERR_NOT_FOUND, "no tenant '" + tenant + "'");
        JsonArray items = jsonArray();
        for (const auto& c : *list) items->add(c.toJson());
        JsonObject out = jsonObject();
        out->set("contacts", items);
        out->set("next", list->size() == static_cast<size_t>(limit) ? Poco::Dynamic::Var(list->back().id) : Poco::Dynamic::Var());
        t_scratch = toJson(out);
        if (contacts_out) *contacts_out = t_scratch.c_str();
        return static_cast<int>(PARLEY_OK);
    });
}

}  // namespace

void addHostApi13(parley_host_api& api) {
    api.store_file = storeFileCall;
    api.set_conversation_attributes = setAttributesCall;
    api.publish_realtime = publishRealtimeCall;
    api.contacts = contactsCall;
}

}  // namespace parley::core::host

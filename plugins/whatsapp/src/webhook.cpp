// Mapping of every WhatsApp inbound type to a Parley message; statuses kept as Meta sent them.
#include "webhook.hpp"

#include <string>

namespace parley::whatsapp {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::string str(const Object::Ptr& o, const std::string& key) {
    if (!o || !o->has(key) || o->isNull(key)) return "";
    try {
        return o->get(key).convert<std::string>();
    } catch (const std::exception&) {
        return "";
    }
}

long long seconds(const Object::Ptr& o, const std::string& key) {
    try {
        return std::stoll(str(o, key)) * 1000;
    } catch (const std::exception&) {
        return 0;
    }
}

// Copies the keys that exist (a media object keeps id, mime_type, sha256, caption, filename, animated).
Object::Ptr pick(const Object::Ptr& from, std::initializer_list<const char*> keys) {
    Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    if (!from) return out;
    for (const char* k : keys)
        if (from->has(k) && !from->isNull(k)) out->set(k, from->get(k));
    return out;
}

}  // namespace

Inbound mapMessage(const Object::Ptr& m) {
    Inbound in;
    in.wamid = str(m, "id");
    in.wa_id = str(m, "from");
    in.timestamp_ms = seconds(m, "timestamp");
    std::string type = str(m, "type");
    Object::Ptr payload = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    Object::Ptr meta = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    meta->set("id", in.wamid);
    meta->set("type", type);
    meta->set("timestamp", in.timestamp_ms);
    if (auto context = m->getObject("context")) meta->set("context", context);  // a reply to (or forward of) a message
    if (auto referral = m->getObject("referral")) {
        in.referral = referral;
        meta->set("referral", referral);
    }
    payload->set("whatsapp", meta);

    if (type == "text") {
        in.type = "text";
        in.text = str(m->getObject("text"), "body");
    } else if (type == "image" || type == "video" || type == "audio" || type == "document" || type == "sticker") {
        Object::Ptr media = m->getObject(type);
        in.type = type;
        in.text = str(media, "caption");
        if (in.text.empty() && type == "document") in.text = str(media, "filename");
        payload->set("media", pick(media, {"id", "mime_type", "sha256", "caption", "filename", "animated", "voice"}));
    } else if (type == "interactive") {
        Object::Ptr interactive = m->getObject("interactive");
        std::string kind = str(interactive, "type");
        Object::Ptr reply = interactive ? interactive->getObject(kind) : nullptr;
        if ((kind == "button_reply" || kind == "list_reply") && reply) {
            in.type = "quick_reply";  // the core's type for a tapped option: rules match payload.value
            in.text = str(reply, "title");
            payload->set("value", str(reply, "id"));
            if (reply->has("description")) payload->set("description", str(reply, "description"));
        } else {
            in.type = "unsupported";
            payload->set("interactive", interactive ? interactive : Object::Ptr(new Object));
        }
    } else if (type == "button") {  // a template's quick-reply button
        Object::Ptr button = m->getObject("button");
        in.type = "quick_reply";
        in.text = str(button, "text");
        payload->set("value", str(button, "payload").empty() ? in.text : str(button, "payload"));
    } else if (type == "location") {
        Object::Ptr location = m->getObject("location");
        in.type = "location";
        payload->set("location", pick(location, {"latitude", "longitude", "name", "address", "url"}));
        in.text = str(location, "name");
        if (in.text.empty()) in.text = str(location, "address");
        if (in.text.empty()) in.text = str(location, "latitude") + "," + str(location, "longitude");
    } else if (type == "contacts") {
        Array::Ptr contacts = m->getArray("contacts");
        in.type = "contacts";
        payload->set("contacts", contacts ? contacts : Array::Ptr(new Array));
        for (size_t i = 0; contacts && i < contacts->size(); ++i) {
            std::string name = str(contacts->getObject(i) ? contacts->getObject(i)->getObject("name") : nullptr, "formatted_name");
            if (!name.empty()) in.text += (in.text.empty() ? "" : ", ") + name;
        }
    } else if (type == "reaction") {
        Object::Ptr reaction = m->getObject("reaction");
        in.type = "reaction";
        in.text = str(reaction, "emoji");
        Object::Ptr r = pick(reaction, {"message_id", "emoji"});
        r->set("removed", in.text.empty());  // an empty emoji takes the reaction back
        payload->set("reaction", r);
    } else if (type == "system") {
        Object::Ptr system = m->getObject("system");
        in.type = "system";
        in.text = str(system, "body");
        payload->set("system", system ? system : Object::Ptr(new Object));
        if (in.wa_id.empty()) in.wa_id = str(system, "wa_id");
    } else {
        // "unsupported" (with its errors) and any type Meta adds later: kept, shown as such, never refused.
        in.type = "unsupported";
        if (auto errors = m->getArray("errors")) payload->set("errors", errors);
        if (type != "unsupported" && m->has(type)) payload->set(type, m->get(type));
    }
    in.payload = payload;
    return in;
}

ParsedWebhook parseWebhook(const Object::Ptr& root) {
    ParsedWebhook out;
    if (str(root, "object") != "whatsapp_business_account") {
        out.ignored.push_back("object '" + str(root, "object") + "' is not whatsapp_business_account");
        return out;
    }
    Array::Ptr entries = root->getArray("entry");
    for (size_t e = 0; entries && e < entries->size(); ++e) {
        Object::Ptr entry = entries->getObject(e);
        Array::Ptr changes = entry ? entry->getArray("changes") : nullptr;
        for (size_t c = 0; changes && c < changes->size(); ++c) {
            Object::Ptr change = changes->getObject(c);
            std::string field = str(change, "field");
            Object::Ptr value = change ? change->getObject("value") : nullptr;
            if (field != "messages" || !value) {
                out.ignored.push_back("field '" + field + "'");
                continue;
            }
            std::string number = str(value->getObject("metadata"), "phone_number_id");
            // Profile names by wa_id (system messages come without a contacts array).
            Array::Ptr contacts = value->getArray("contacts");
            auto nameOf = [&](const std::string& wa_id) {
                for (size_t i = 0; contacts && i < contacts->size(); ++i) {
                    Object::Ptr contact = contacts->getObject(i);
                    if (str(contact, "wa_id") == wa_id) return str(contact ? contact->getObject("profile") : nullptr, "name");
                }
                return std::string();
            };
            Array::Ptr messages = value->getArray("messages");
            for (size_t i = 0; messages && i < messages->size(); ++i) {
                Object::Ptr m = messages->getObject(i);
                if (!m || str(m, "id").empty()) {
                    out.ignored.push_back("a message without an id");
                    continue;
                }
                Inbound in = mapMessage(m);
                in.phone_number_id = number;
                in.profile_name = nameOf(in.wa_id);
                if (in.type == "unsupported" && str(m, "type") != "unsupported")
                    out.ignored.push_back("message type '" + str(m, "type") + "' stored as unsupported");
                out.messages.push_back(std::move(in));
            }
            Array::Ptr statuses = value->getArray("statuses");
            for (size_t i = 0; statuses && i < statuses->size(); ++i) {
                Object::Ptr s = statuses->getObject(i);
                if (!s) continue;
                StatusUpdate u;
                u.phone_number_id = number;
                u.wamid = str(s, "id");
                u.status = str(s, "status");
                u.recipient_id = str(s, "recipient_id");
                u.timestamp_ms = seconds(s, "timestamp");
                u.errors = s->getArray("errors");
                out.statuses.push_back(std::move(u));
            }
            if (!messages && !statuses) out.ignored.push_back("a messages change with neither messages nor statuses");
        }
    }
    return out;
}

}  // namespace parley::whatsapp

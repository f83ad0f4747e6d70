#include "pipeline/message_types.hpp"

#include "app/app.hpp"
#include "app/errors.hpp"
#include "pipeline/files.hpp"

namespace parley::core {
namespace {

constexpr size_t kMaxTextBytes = 4000;

bool blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

JsonObject payloadOf(const JsonObject& body) {
    auto payload = optObject(body, "payload");
    if (payload && toJson(*payload).size() > 16384) throw invalidField("payload", "is larger than 16 KiB");
    return payload.value_or(jsonObject());
}

std::string requiredText(const JsonObject& body) {
    std::string text = reqString(body, "text", kMaxTextBytes);
    if (blank(text)) throw invalidField("text", "must not be blank");
    return text;
}

// A file or image: the payload names an uploaded file of this conversation; the stored payload describes it.
void attachFile(App& app, const Conversation& c, NewMessage& m, const JsonObject& given) {
    auto id = optString(given, "file_id", 36);
    if (!id) throw invalidField("payload.file_id", "is required for a " + m.type + " message");
    auto file = findFile(app, c.id, *id);
    if (!file) throw invalidField("payload.file_id", "names no file uploaded to this conversation");
    if (m.type == "image" && file->content_type.rfind("image/", 0) != 0)
        throw invalidField("payload.file_id", "is a " + file->content_type + " file, not an image");
    m.payload = jsonObject();
    m.payload->set("file", file->toJson(app));
}

void quickReplies(NewMessage& m, const JsonObject& given) {
    auto replies = optStringArray(given, "quick_replies", 10, 100);
    if (replies) {
        JsonArray list = jsonArray();
        for (const auto& r : *replies) list->add(r);
        m.payload->set("quick_replies", list);
    }
}

}  // namespace

NewMessage visitorMessage(App& app, const Conversation& c, const JsonObject& body) {
    NewMessage m;
    m.sender_type = "visitor";
    m.client_message_id = optString(body, "client_message_id", 100).value_or("");
    m.type = optString(body, "type", 20).value_or("text");
    JsonObject given = payloadOf(body);
    if (m.type == "text") {
        m.text = requiredText(body);
    } else if (m.type == "quick_reply") {
        // A tap on a quick-reply button: its value (what rules match) and the label shown.
        auto value = optString(given, "value", 200);
        if (!value || blank(*value)) throw invalidField("payload.value", "is required for a quick_reply message");
        m.text = optString(body, "text", 200).value_or(*value);
        m.payload = jsonObject();
        m.payload->set("value", *value);
        if (auto to = optString(given, "reply_to", 36)) m.payload->set("reply_to", *to);
    } else if (m.type == "form") {
        auto form = optString(given, "form", 50);
        if (!form || form->empty()) throw invalidField("payload.form", "names the form being submitted");
        auto fields = optObject(given, "fields");
        if (!fields) throw invalidField("payload.fields", "is required: an object of field name to text");
        if ((*fields)->size() > 30) throw invalidField("payload.fields", "has more than 30 fields");
        JsonObject clean = jsonObject();
        for (const auto& name : (*fields)->getNames()) {
            if (name.size() > 50) throw invalidField("payload.fields", "has a field name over 50 bytes");
            auto value = (*fields)->get(name);
            if (value.isEmpty()) continue;
            if (!value.isString() && !value.isBoolean() && !value.isNumeric())
                throw invalidField("payload.fields." + name, "must be text, a number or true/false");
            std::string text = value.convert<std::string>();
            if (text.size() > 1000) throw invalidField("payload.fields." + name, "is longer than 1000 bytes");
            clean->set(name, value);
        }
        m.payload = jsonObject();
        m.payload->set("form", *form);
        m.payload->set("fields", clean);
        m.text = optString(body, "text", kMaxTextBytes).value_or("");
    } else if (m.type == "file" || m.type == "image") {
        attachFile(app, c, m, given);
        m.text = optString(body, "text", kMaxTextBytes).value_or("");
    } else {
        throw invalidField("type", "must be text, quick_reply, form, file or image");
    }
    if (!m.payload) m.payload = jsonObject();
    return m;
}

NewMessage agentMessage(App& app, const Conversation& c, const JsonObject& body) {
    NewMessage m;
    m.sender_type = "agent";
    m.client_message_id = optString(body, "client_message_id", 100).value_or("");
    m.type = optString(body, "type", 20).value_or("text");
    JsonObject given = payloadOf(body);
    if (m.type == "text") {
        m.text = requiredText(body);
        m.payload = jsonObject();
        quickReplies(m, given.isNull() || given->size() == 0 ? body : given);
    } else if (m.type == "card") {
        auto card = optObject(given, "card");
        if (!card) throw invalidField("payload.card", "is required for a card: {title, text, image_url, buttons}");
        JsonObject out = jsonObject();
        std::string title = optString(*card, "title", 200).value_or("");
        if (blank(title)) throw invalidField("payload.card.title", "is required");
        out->set("title", title);
        out->set("text", optString(*card, "text", 1000).value_or(""));
        if (auto image = optString(*card, "image_url", 2000)) {
            if (image->rfind("https://", 0) != 0 && image->rfind("http://", 0) != 0)
                throw invalidField("payload.card.image_url", "must be an http(s) URL");
            out->set("image_url", *image);
        }
        JsonArray buttons = jsonArray();
        if ((*card)->has("buttons")) {
            auto list = (*card)->getArray("buttons");
            if (!list || list->size() > 5) throw invalidField("payload.card.buttons", "must be an array of at most 5");
            for (size_t i = 0; i < list->size(); ++i) {
                auto b = list->getObject(i);
                if (!b) throw invalidField("payload.card.buttons", "must hold objects {label, value} or {label, url}");
                JsonObject button = jsonObject();
                std::string label = optString(b, "label", 40).value_or("");
                if (blank(label)) throw invalidField("payload.card.buttons", "each button needs a label");
                button->set("label", label);
                if (auto url = optString(b, "url", 2000)) button->set("url", *url);
                else button->set("value", optString(b, "value", 200).value_or(label));
                buttons->add(button);
            }
        }
        out->set("buttons", buttons);
        m.payload = jsonObject();
        m.payload->set("card", out);
        m.text = optString(body, "text", kMaxTextBytes).value_or(title);
    } else if (m.type == "file" || m.type == "image") {
        attachFile(app, c, m, given);
        m.text = optString(body, "text", kMaxTextBytes).value_or("");
    } else {
        throw invalidField("type", "must be text, card, file or image");
    }
    return m;
}

}  // namespace parley::core

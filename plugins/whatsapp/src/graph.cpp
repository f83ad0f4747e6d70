// Graph request bodies and response classification.
#include "graph.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>

namespace parley::whatsapp {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr obj() { return new Object(Poco::JSON_PRESERVE_KEY_ORDER); }

std::string text(const Object::Ptr& o) {
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(o, out);
    return out.str();
}

Object::Ptr envelope(const std::string& to, const std::string& type) {
    Object::Ptr o = obj();
    o->set("messaging_product", std::string("whatsapp"));
    o->set("recipient_type", std::string("individual"));
    o->set("to", to);
    o->set("type", type);
    return o;
}

std::string str(const Object::Ptr& o, const std::string& key) {
    if (!o || !o->has(key) || o->isNull(key)) return "";
    try {
        return o->get(key).convert<std::string>();
    } catch (const std::exception&) {
        return "";
    }
}

}  // namespace

size_t utf8Length(const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80) ++n;
    return n;
}

std::string messageBody(const Object::Ptr& message, const std::string& to, const std::string& reply_to_wamid,
                        std::string& why_not) {
    std::string type = str(message, "type"), body_text = str(message, "text");
    Object::Ptr payload = message ? message->getObject("payload") : nullptr;
    std::vector<std::string> quick;
    if (payload && payload->getArray("quick_replies")) {
        Array::Ptr list = payload->getArray("quick_replies");
        for (size_t i = 0; i < list->size(); ++i) quick.push_back(list->get(i).convert<std::string>());
    }
    Object::Ptr out;
    if ((type == "file" || type == "image") && payload && payload->getObject("file")) {
        std::string url = str(payload->getObject("file"), "url");
        if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) {
            why_not = "the file has no public URL WhatsApp could fetch";
            return "";
        }
        std::string kind = type == "image" ? "image" : "document";
        out = envelope(to, kind);
        Object::Ptr media = obj();
        media->set("link", url);
        if (!body_text.empty()) media->set("caption", body_text);
        if (kind == "document") media->set("filename", str(payload->getObject("file"), "name"));
        out->set(kind, media);
    } else if (!quick.empty()) {
        bool buttons_fit = quick.size() <= kMaxButtons, list_fits = quick.size() <= kMaxListRows;
        for (const auto& q : quick) {
            buttons_fit = buttons_fit && utf8Length(q) <= kMaxButtonTitle;
            list_fits = list_fits && utf8Length(q) <= kMaxRowTitle;
        }
        if (buttons_fit || list_fits) {
            Object::Ptr interactive = obj(), action = obj(), body = obj();
            Array::Ptr items = new Array;
            for (size_t i = 0; i < quick.size(); ++i) {
                Object::Ptr item = obj();
                if (buttons_fit) {
                    Object::Ptr reply = obj();
                    reply->set("id", quick[i]);
                    reply->set("title", quick[i]);
                    item->set("reply", reply);
                    item->set("type", std::string("reply"));
                } else {
                    item->set("id", quick[i]);
                    item->set("title", quick[i]);
                }
                items->add(item);
            }
            if (buttons_fit) {
                action->set("buttons", items);
            } else {
                Object::Ptr section = obj();
                section->set("title", std::string("Options"));
                section->set("rows", items);
                Array::Ptr sections = new Array;
                sections->add(section);
                action->set("button", std::string("Choose"));
                action->set("sections", sections);
            }
            interactive->set("action", action);
            body->set("text", body_text.empty() ? std::string("Choose one:") : body_text);
            interactive->set("body", body);
            interactive->set("type", std::string(buttons_fit ? "button" : "list"));
            out = envelope(to, "interactive");
            out->set("interactive", interactive);
        } else {  // too many or too long for WhatsApp's widgets: numbered lines the user can answer
            std::string lines = body_text;
            for (size_t i = 0; i < quick.size(); ++i) lines += "\n" + std::to_string(i + 1) + ". " + quick[i];
            body_text = lines;
        }
    }
    if (!out) {
        if (body_text.empty()) {
            why_not = "a " + type + " message without text has no WhatsApp form";
            return "";
        }
        out = envelope(to, "text");
        Object::Ptr t = obj();
        t->set("body", body_text);
        t->set("preview_url", false);
        out->set("text", t);
    }
    if (!reply_to_wamid.empty()) {
        Object::Ptr context = obj();
        context->set("message_id", reply_to_wamid);
        out->set("context", context);
    }
    return text(out);
}

std::string templateBody(const std::string& to, const std::string& name, const std::string& language,
                         const std::vector<std::string>& body_parameters) {
    Object::Ptr out = obj();
    out->set("messaging_product", std::string("whatsapp"));
    out->set("recipient_type", std::string("individual"));
    Object::Ptr tpl = obj();
    if (!body_parameters.empty()) {
        Array::Ptr params = new Array;
        for (const auto& p : body_parameters) {
            Object::Ptr param = obj();
            param->set("text", p);
            param->set("type", std::string("text"));
            params->add(param);
        }
        Object::Ptr component = obj();
        component->set("parameters", params);
        component->set("type", std::string("body"));
        Array::Ptr components = new Array;
        components->add(component);
        tpl->set("components", components);
    }
    Object::Ptr lang = obj();
    lang->set("code", language);
    tpl->set("language", lang);
    tpl->set("name", name);
    out->set("template", tpl);
    out->set("to", to);
    out->set("type", std::string("template"));
    return text(out);
}

std::string readReceiptBody(const std::string& wamid) {
    Object::Ptr out = obj(), typing = obj();
    out->set("message_id", wamid);
    out->set("messaging_product", std::string("whatsapp"));
    out->set("status", std::string("read"));
    typing->set("type", std::string("text"));
    out->set("typing_indicator", typing);
    return text(out);
}

GraphResult classifyResponse(int http_status, const std::string& body) {
    GraphResult r;
    Object::Ptr root;
    try {
        auto v = Poco::JSON::Parser().parse(body);
        if (v.type() == typeid(Object::Ptr)) root = v.extract<Object::Ptr>();
    } catch (const std::exception&) {
    }
    if (http_status >= 200 && http_status < 300) {
        Poco::JSON::Array::Ptr messages = root ? root->getArray("messages") : nullptr;
        r.wamid = messages && messages->size() > 0 ? str(messages->getObject(0), "id") : "";
        if (!r.wamid.empty() || (root && root->has("success"))) {
            r.outcome = SendOutcome::accepted;
            return r;
        }
        r.error_json = "{\"message\":\"a 2xx answer without messages[0].id\"}";
        r.message = "the Graph API answered " + std::to_string(http_status) + " without a message id";
        r.outcome = SendOutcome::retry;
        return r;
    }
    Object::Ptr error = root ? root->getObject("error") : nullptr;
    if (error) {
        r.error_json = text(error);
        r.message = str(error, "message");
        try {
            r.code = std::stoll(str(error, "code"));
        } catch (const std::exception&) {
        }
    } else {
        r.error_json = "{\"message\":\"HTTP " + std::to_string(http_status) + " without a Graph error\"}";
        r.message = "HTTP " + std::to_string(http_status);
    }
    if (r.code == 190) r.outcome = SendOutcome::token_expired;
    else if (r.code == 130429 || r.code == 131056 || r.code == 4 || r.code == 80007 || http_status == 429 || http_status >= 500)
        r.outcome = SendOutcome::retry;
    else r.outcome = SendOutcome::permanent;
    return r;
}

}  // namespace parley::whatsapp

// The widget config schema as a table: one row per known field, so defaults and validation never drift.
#include "widgets/widget_config.hpp"

#include "app/errors.hpp"
#include "widgets/working_hours.hpp"

#include <regex>
#include <set>
#include <vector>

namespace parley::core {
namespace {

enum class T { string, integer, number, boolean, string_array, object, array, color, url };

struct Field {
    const char* section;
    const char* name;
    T type;
    Poco::Dynamic::Var def;
    std::vector<std::string> choices = {};  // for strings: allowed values when not empty
    double min = 0, max = 0;                // for numbers when max > min
};

JsonArray strings(std::initializer_list<const char*> items) {
    JsonArray a = jsonArray();
    for (auto s : items) a->add(std::string(s));
    return a;
}

JsonObject defaultSchedule() {
    JsonObject schedule = jsonObject();
    for (const char* day : {"mon", "tue", "wed", "thu", "fri"}) {
        JsonArray ranges = jsonArray();
        JsonObject range = jsonObject();
        range->set("start", std::string("09:00"));
        range->set("end", std::string("17:00"));
        ranges->add(range);
        schedule->set(day, ranges);
    }
    for (const char* day : {"sat", "sun"}) schedule->set(day, jsonArray());
    return schedule;
}

const std::vector<Field>& fields() {
    static const std::vector<Field> all = {
        {"branding", "primary_color", T::color, std::string("#3B82F6")},
        {"branding", "secondary_color", T::color, std::string("#1E40AF")},
        {"branding", "text_color", T::color, std::string("#FFFFFF")},
        {"branding", "font_family", T::string, std::string("system-ui")},
        {"branding", "widget_shape", T::string, std::string("rounded"), {"rounded", "square", "circle"}},
        {"branding", "logo_url", T::url, std::string("")},
        {"branding", "launcher_icon", T::string, std::string("chat"), {"chat", "message", "help", "custom"}},
        {"branding", "launcher_icon_url", T::url, std::string("")},
        {"branding", "launcher_text", T::string, std::string("")},
        {"branding", "title", T::string, std::string("Chat with us")},
        {"behavior", "mode", T::string, std::string("chat"), {"chat", "link_out"}},
        {"behavior", "position", T::string, std::string("bottom-right"),
         {"bottom-right", "bottom-left", "top-right", "top-left"}},
        {"behavior", "offset_x", T::integer, 20, {}, 0, 500},
        {"behavior", "offset_y", T::integer, 20, {}, 0, 500},
        {"behavior", "auto_open_enabled", T::boolean, false},
        {"behavior", "auto_open_delay_seconds", T::integer, 0, {}, 0, 3600},
        {"behavior", "welcome_message", T::string, std::string("Hello! How can we help you today?")},
        {"behavior", "offline_message", T::string, std::string("We are offline. Leave a message and we will reply.")},
        {"behavior", "triggers", T::object, jsonObject()},
        {"behavior", "frequency_cap", T::object, jsonObject()},
        {"behavior", "link_out", T::object, jsonObject()},
        {"localization", "default_language", T::string, std::string("en")},
        {"localization", "supported_languages", T::string_array, strings({"en"})},
        {"localization", "custom_text_overrides", T::object, jsonObject()},
        {"features", "chatbot_enabled", T::boolean, true},
        {"features", "file_upload_enabled", T::boolean, true},
        {"features", "max_file_size", T::integer, 10485760, {}, 0, 104857600},
        {"features", "emoji_enabled", T::boolean, true},
        {"features", "pre_chat_form_enabled", T::boolean, false},
        {"features", "gdpr_consent_required", T::boolean, false},
        {"features", "gdpr_text", T::string, std::string("I agree to the processing of my data to answer my request.")},
        {"features", "rating_enabled", T::boolean, true},
        {"features", "bot_confidence_threshold", T::number, 0.6, {}, 0, 1},
        {"features", "bot_suggestion_threshold", T::number, 0.35, {}, 0, 1},
        {"features", "bot_fallback", T::string, std::string("handoff"), {"handoff", "capture_lead", "webhook"}},
        {"working_hours", "enabled", T::boolean, false},
        {"working_hours", "timezone", T::string, std::string("UTC")},
        {"working_hours", "schedule", T::object, defaultSchedule()},
        {"working_hours", "holidays", T::string_array, jsonArray()},
        {"utm", "captureSource", T::boolean, true},
        {"utm", "captureMedium", T::boolean, true},
        {"utm", "captureCampaign", T::boolean, true},
        {"utm", "captureTerm", T::boolean, true},
        {"utm", "captureContent", T::boolean, true},
        {"utm", "captureCustom", T::boolean, true},
        {"utm", "customParams", T::string_array, strings({"gclid", "fbclid", "msclkid"})},
        {"utm", "appendPageContext", T::boolean, true},
        {"utm", "appendTimestamp", T::boolean, true},
        {"display_rules", "include_urls", T::string_array, jsonArray()},
        {"display_rules", "exclude_urls", T::string_array, jsonArray()},
        {"display_rules", "devices", T::string_array, strings({"desktop", "mobile", "tablet"})},
    };
    return all;
}

const char* kSections[] = {"branding", "behavior", "localization", "features", "working_hours", "utm",
                           "display_rules"};

std::string describe(T t) {
    switch (t) {
        case T::string: case T::url: case T::color: return "a string";
        case T::integer: return "an integer";
        case T::number: return "a number";
        case T::boolean: return "true or false";
        case T::string_array: return "an array of strings";
        case T::object: return "an object";
        case T::array: return "an array";
    }
    return "a value";
}

// Deep copy through JSON text, so defaults are never shared between widgets.
Poco::Dynamic::Var copyOf(const Poco::Dynamic::Var& v) {
    if (v.type() == typeid(Poco::JSON::Object::Ptr) || v.type() == typeid(Poco::JSON::Array::Ptr))
        return parseJson(toJson(v));
    return v;
}

void checkField(const Field& f, const Poco::Dynamic::Var& v) {
    std::string path = std::string("config.") + f.section + "." + f.name;
    bool ok = false;
    switch (f.type) {
        case T::string: case T::url: case T::color: ok = v.isString(); break;
        // Poco's Var counts a bool as an integer and a number; JSON does not.
        case T::integer: ok = v.isInteger() && !v.isBoolean(); break;
        case T::number: ok = v.isNumeric() && !v.isBoolean(); break;
        case T::boolean: ok = v.isBoolean(); break;
        case T::object: ok = v.type() == typeid(Poco::JSON::Object::Ptr); break;
        case T::array: ok = v.type() == typeid(Poco::JSON::Array::Ptr); break;
        case T::string_array:
            ok = v.type() == typeid(Poco::JSON::Array::Ptr);
            if (ok)
                for (const auto& item : *v.extract<Poco::JSON::Array::Ptr>())
                    if (!item.isString()) ok = false;
            break;
    }
    if (!ok) throw invalidField(path, "must be " + describe(f.type));
    if (v.isString() && v.extract<std::string>().size() > 2000) throw invalidField(path, "is longer than 2000 bytes");
    if (f.type == T::color) {
        static const std::regex color_re("^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$");
        if (!std::regex_match(v.extract<std::string>(), color_re))
            throw invalidField(path, "must be a colour like #3B82F6");
    }
    if (f.type == T::url) {
        std::string s = v.extract<std::string>();
        if (!s.empty() && s.rfind("https://", 0) != 0 && s.rfind("http://", 0) != 0 && s.rfind("/", 0) != 0)
            throw invalidField(path, "must be an http(s) URL or a path starting with /");
    }
    if (!f.choices.empty()) {
        std::string s = v.extract<std::string>();
        bool found = false;
        std::string list;
        for (const auto& c : f.choices) {
            found = found || c == s;
            list += (list.empty() ? "" : ", ") + c;
        }
        if (!found) throw invalidField(path, "must be one of: " + list + " (got '" + s + "')");
    }
    if (f.max > f.min && (f.type == T::integer || f.type == T::number)) {
        double d = v.convert<double>();
        if (d < f.min || d > f.max)
            throw invalidField(path, "must be between " + Poco::Dynamic::Var(f.min).toString() + " and " +
                                         Poco::Dynamic::Var(f.max).toString());
    }
}

void checkWorkingHours(const JsonObject& wh) {
    std::string tz = wh->optValue<std::string>("timezone", "UTC");
    if (!isKnownTimeZone(tz))
        throw invalidField("config.working_hours.timezone", "names no known time zone ('" + tz +
                                                                "'); use an IANA name like Europe/Madrid");
    auto schedule = wh->getObject("schedule");
    static const std::set<std::string> days = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    for (const auto& [day, ranges] : *schedule) {
        std::string path = "config.working_hours.schedule." + day;
        if (!days.count(day)) throw invalidField(path, "is not a day: use mon, tue, wed, thu, fri, sat, sun");
        if (ranges.type() != typeid(Poco::JSON::Array::Ptr))
            throw invalidField(path, "must be an array of {\"start\":\"HH:MM\",\"end\":\"HH:MM\"}");
        for (const auto& r : *ranges.extract<Poco::JSON::Array::Ptr>()) {
            if (r.type() != typeid(Poco::JSON::Object::Ptr))
                throw invalidField(path, "must be an array of {\"start\":\"HH:MM\",\"end\":\"HH:MM\"}");
            auto range = r.extract<Poco::JSON::Object::Ptr>();
            std::string start = range->optValue<std::string>("start", ""), end = range->optValue<std::string>("end", "");
            if (!isTimeOfDay(start) || !isTimeOfDay(end) || start >= end)
                throw invalidField(path, "has a range that is not HH:MM to a later HH:MM ('" + start + "'-'" + end + "')");
        }
    }
}

}  // namespace

JsonObject defaultWidgetConfig() {
    JsonObject config = jsonObject();
    for (const char* s : kSections) config->set(s, jsonObject());
    for (const auto& f : fields()) config->getObject(f.section)->set(f.name, copyOf(f.def));
    return config;
}

JsonObject validateWidgetConfig(const JsonObject& input) {
    JsonObject out = defaultWidgetConfig();
    for (const auto& [section, value] : *input) {
        if (!out->has(section)) {
            out->set(section, copyOf(value));  // unknown section: tolerated and kept
            continue;
        }
        if (value.type() != typeid(Poco::JSON::Object::Ptr)) throw invalidField("config." + section, "must be an object");
        auto given = value.extract<Poco::JSON::Object::Ptr>();
        auto target = out->getObject(section);
        for (const auto& [name, v] : *given) {
            for (const auto& f : fields())
                if (section == f.section && name == f.name) checkField(f, v);
            target->set(name, copyOf(v));
        }
    }
    checkWorkingHours(out->getObject("working_hours"));
    return out;
}

JsonObject mergeWidgetConfig(const JsonObject& base, const JsonObject& patch) {
    JsonObject out = storedObject(toJson(base));
    for (const auto& [section, value] : *patch) {
        if (value.type() == typeid(Poco::JSON::Object::Ptr) && out->getObject(section)) {
            auto target = out->getObject(section);
            for (const auto& [name, v] : *value.extract<Poco::JSON::Object::Ptr>()) target->set(name, copyOf(v));
        } else {
            out->set(section, copyOf(value));
        }
    }
    return out;
}

}  // namespace parley::core

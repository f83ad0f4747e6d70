// The transcript test runner: parse visitor/bot/! lines, dispatch each visitor line, compare, report with
// lines.
#include "lua/transcript.hpp"

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "http/json.hpp"
#include "lua/lua_script.hpp"
#include "lua/text_tools.hpp"
#include "plugin/hooks.hpp"
#include "store/kv_repository.hpp"

namespace fs = std::filesystem;

namespace parley::core {
namespace {

struct Expectation {
    int line = 0;
    std::string kind;  // bot, quick_replies, handoff, flag, drop, lead, set, none
    std::string text;  // the bot's text, a reason, or the value of a set
    bool has_text = false;
    std::string key;                                          // set
    std::vector<std::pair<std::string, std::string>> fields;  // lead
};

struct Turn {
    int line = 0;
    std::string text;
    std::optional<double> clock;
    JsonObject visitor, utm, attributes;  // context given by @context lines so far
    std::string channel = "web";
    bool new_conversation = false;  // after an @conversation line: fresh attributes and id
    std::vector<Expectation> expectations;
};

struct Transcript {
    std::vector<Turn> turns;
    std::vector<std::pair<int, std::string>> errors;  // line, message
};

std::string trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return "";
    auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

bool startsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

std::string unquote(const std::string& s) {
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
    return s;
}

// key=value words; a value may be "quoted with spaces".
std::vector<std::pair<std::string, std::string>> keyValues(const std::string& text, std::string& error) {
    std::vector<std::pair<std::string, std::string>> out;
    size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) i++;
        if (i >= text.size()) break;
        size_t eq = text.find('=', i);
        size_t space = text.find_first_of(" \t", i);
        if (eq == std::string::npos || (space != std::string::npos && space < eq)) {
            error = "expected key=value, got '" +
                    text.substr(i, space == std::string::npos ? std::string::npos : space - i) + "'";
            return out;
        }
        std::string key = text.substr(i, eq - i);
        size_t v = eq + 1, end;
        std::string value;
        if (v < text.size() && text[v] == '"') {
            end = text.find('"', v + 1);
            if (end == std::string::npos) {
                error = "unclosed quote in the value of '" + key + "'";
                return out;
            }
            value = text.substr(v + 1, end - v - 1);
            end++;
        } else {
            end = text.find_first_of(" \t", v);
            if (end == std::string::npos) end = text.size();
            value = text.substr(v, end - v);
        }
        out.emplace_back(key, value);
        i = end;
    }
    return out;
}

JsonObject copyObject(const JsonObject& o) { return o ? storedObject(toJson(o)) : jsonObject(); }

Transcript parseTranscript(std::istream& in) {
    Transcript t;
    std::optional<double> clock;
    JsonObject visitor = jsonObject(), utm = jsonObject(), attributes = jsonObject();
    std::string channel = "web";
    bool new_conversation = false;
    std::string raw;
    int line = 0;
    while (std::getline(in, raw)) {
        line++;
        std::string s = trim(raw);
        if (s.empty() || s[0] == '#') continue;
        auto fail = [&](const std::string& message) { t.errors.emplace_back(line, message); };
        if (startsWith(s, "@time")) {
            std::istringstream words(s.substr(5));
            std::string local, tz = "UTC";
            words >> local;
            if (!(words >> tz)) tz = "UTC";
            try {
                clock = epochOfLocalTime(local, tz);
            } catch (const std::exception& e) {
                fail(std::string("@time: ") + e.what() + " (write @time 2026-11-23T10:00:00 Europe/Madrid)");
            }
        } else if (s == "@conversation") {
            // A new conversation starts from nothing: no attributes, visitor, UTM or channel given before.
            new_conversation = true;
            attributes = jsonObject();
            visitor = jsonObject();
            utm = jsonObject();
            channel = "web";
        } else if (startsWith(s, "@context")) {
            std::string error;
            for (const auto& [key, value] : keyValues(s.substr(8), error)) {
                if (startsWith(key, "utm_"))
                    utm->set(key.substr(4), value);
                else if (key == "channel")
                    channel = value;
                else if (startsWith(key, "attr."))
                    attributes->set(key.substr(5), value);
                else if (startsWith(key, "visitor."))
                    visitor->set(key.substr(8), value);
                else
                    visitor->set(key, value);
            }
            if (!error.empty()) fail("@context: " + error);
        } else if (startsWith(s, "visitor:")) {
            Turn turn;
            turn.line = line;
            turn.text = trim(s.substr(8));
            turn.clock = clock;
            turn.visitor = copyObject(visitor);
            turn.utm = copyObject(utm);
            turn.attributes = copyObject(attributes);
            turn.channel = channel;
            turn.new_conversation = new_conversation;
            new_conversation = false;
            attributes = jsonObject();  // given once; the conversation keeps them
            t.turns.push_back(std::move(turn));
        } else if (startsWith(s, "bot:") || s[0] == '!') {
            if (t.turns.empty()) {
                fail("an expectation before the first 'visitor:' line");
                continue;
            }
            Expectation e;
            e.line = line;
            if (s[0] == 'b') {
                e.kind = "bot";
                e.text = trim(s.substr(4));
                e.has_text = true;
            } else {
                std::string rest = trim(s.substr(1));
                auto space = rest.find_first_of(" \t");
                e.kind = rest.substr(0, space);
                std::string arg = space == std::string::npos ? "" : trim(rest.substr(space));
                if (e.kind == "buttons") e.kind = "quick_replies";
                if (e.kind == "handoff" || e.kind == "flag" || e.kind == "drop" ||
                    e.kind == "quick_replies") {
                    e.text = unquote(arg);
                    e.has_text = !arg.empty();
                } else if (e.kind == "lead") {
                    std::string error;
                    e.fields = keyValues(arg, error);
                    if (!error.empty()) fail("! lead: " + error);
                } else if (e.kind == "set") {
                    auto eq = arg.find('=');
                    if (eq == std::string::npos || eq == 0) {
                        fail("! set needs key=value");
                        continue;
                    }
                    e.key = trim(arg.substr(0, eq));
                    e.text = unquote(trim(arg.substr(eq + 1)));
                    e.has_text = true;
                } else if (e.kind != "none") {
                    fail("unknown expectation '! " + e.kind +
                         "' (handoff, flag, drop, lead, set, quick_replies, none)");
                    continue;
                }
            }
            t.turns.back().expectations.push_back(std::move(e));
        } else {
            fail(
                "cannot read this line: expected 'visitor:', 'bot:', '! ...', '@time', '@context', "
                "'@conversation' "
                "or '# comment'");
        }
    }
    return t;
}

std::string valueText(const Poco::Dynamic::Var& v) {
    if (v.isString()) return v.extract<std::string>();
    return toJson(v);
}

std::string inQuotes(const std::string& s) { return "\"" + s + "\""; }

std::string joinButtons(const JsonObject& reply) {
    std::string out;
    if (auto list = reply->getArray("quick_replies"))
        for (unsigned i = 0; i < list->size(); ++i)
            out += (i ? " | " : "") + list->get(i).convert<std::string>();
    return out;
}

// The folder that roots parley.import for `file`: lua.scripts_dir when the file lies in it, else the nearest
// of the four folders above the file that has a lib/ folder (never /), else the file's own folder.
fs::path scriptsRootFor(const fs::path& file, const std::string& configured) {
    std::error_code ec;
    fs::path absolute = fs::weakly_canonical(file, ec);
    fs::path root = fs::weakly_canonical(configured, ec);
    auto rel = absolute.lexically_relative(root);
    if (!rel.empty() && *rel.begin() != "..") return root;
    fs::path dir = absolute.parent_path();
    for (int level = 0; level < 4 && dir != dir.root_path(); ++level, dir = dir.parent_path())
        if (fs::is_directory(dir / "lib", ec)) return dir;
    return absolute.parent_path();
}

}  // namespace

int runTranscript(const std::string& script_path, const std::string& transcript_path,
                  const TranscriptOptions& options, std::ostream& out) {
    std::ifstream transcript_in(transcript_path);
    if (!transcript_in) {
        out << "parleyd script test: cannot read transcript '" << transcript_path << "'\n";
        return 2;
    }
    if (!fs::is_regular_file(script_path)) {
        out << "parleyd script test: cannot read script '" << script_path << "'\n";
        return 2;
    }
    Transcript t = parseTranscript(transcript_in);
    int failed = 0, expectations = 0;
    auto report = [&](int line, const std::string& message) {
        out << transcript_path << ":" << line << ": " << message << "\n";
        failed++;
    };
    for (const auto& [line, message] : t.errors) report(line, message);
    for (const auto& turn : t.turns) expectations += static_cast<int>(turn.expectations.size());

    fs::path root = scriptsRootFor(script_path, options.scripts_dir);
    std::error_code ec;
    std::string name = fs::weakly_canonical(script_path, ec).lexically_relative(root).generic_string();
    if (name.empty() || startsWith(name, "..")) name = fs::path(script_path).filename().string();

    MemoryKvStore kv;
    std::optional<double> clock = t.turns.empty() ? std::nullopt : t.turns.front().clock;
    ScriptServices services;
    services.kv = &kv;
    services.scripts_dir = root.string();
    services.clock = [&clock]() {
        if (clock) return *clock;
        using namespace std::chrono;
        return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count() / 1e6;
    };
    services.log = [&out, &name](const std::string& level, const std::string& message) {
        out << name << ": " << level << ": " << message << "\n";
    };

    std::shared_ptr<LuaScript> script;
    try {
        script = LuaScript::fromFile(name, script_path, options.limits, 0, services);
    } catch (const std::exception& e) {
        out << e.what() << "\n";
        out << t.turns.size() << " turns, " << expectations << " expectations, " << failed + 1 << " failed\n";
        return 1;
    }
    HookRegistry registry;
    registry.replaceOwner(script->owner(), script->hooks());

    JsonObject attributes = jsonObject();
    int conversation_number = 1;
    for (const Turn& turn : t.turns) {
        clock = turn.clock;
        if (turn.new_conversation) {
            attributes = jsonObject();
            conversation_number++;
        }
        for (const auto& [key, value] : *turn.attributes) attributes->set(key, value);
        JsonObject message = jsonObject();
        message->set("text", turn.text);
        message->set("type", std::string("text"));
        JsonObject conversation = jsonObject();
        char conversation_id[40];
        std::snprintf(conversation_id, sizeof conversation_id, "00000000-0000-4000-8000-%012d",
                      conversation_number);
        conversation->set("id", std::string(conversation_id));
        conversation->set("attributes", copyObject(attributes));
        JsonObject visitor = copyObject(turn.visitor);
        if (!visitor->has("id")) visitor->set("id", std::string("00000000-0000-4000-8000-000000000002"));
        Event event;
        event.name = "message.inbound";
        event.payload = jsonObject();
        event.payload->set("message", message);
        event.payload->set("conversation", conversation);
        event.payload->set("visitor", visitor);
        event.payload->set("channel", turn.channel);
        event.payload->set("utm", turn.utm);
        DispatchResult result = registry.dispatch(event);
        for (const auto& failure : result.failures) {
            std::string prefix = script->owner() + ": ";
            out << (startsWith(failure, prefix) ? failure.substr(prefix.size()) : failure) << "\n";
            failed++;
        }
        // The conversation keeps what the rules set, as the pipeline will.
        if (auto conv = event.payload->getObject("conversation"))
            if (auto after = conv->getObject("attributes")) attributes = copyObject(after);

        std::map<std::string, std::vector<JsonObject>> by_type;
        for (const auto& action : result.actions)
            by_type[action->optValue<std::string>("type", "")].push_back(action);
        std::map<std::string, size_t> used;
        auto next = [&](const std::string& type) -> JsonObject {
            auto& list = by_type[type];
            size_t& i = used[type];
            return i < list.size() ? list[i++] : JsonObject();
        };
        JsonObject last_reply;
        bool drop_expected = false;
        for (const Expectation& e : turn.expectations) {
            if (e.kind == "bot") {
                last_reply = next("reply");
                if (!last_reply)
                    report(e.line, "expected bot " + inQuotes(e.text) + ", got no reply");
                else if (last_reply->getValue<std::string>("text") != e.text)
                    report(e.line, "expected bot " + inQuotes(e.text) + ", got " +
                                       inQuotes(last_reply->getValue<std::string>("text")));
            } else if (e.kind == "quick_replies") {
                if (!last_reply)
                    report(e.line, "expected quick replies " + inQuotes(e.text) +
                                       ", but there is no bot reply before them");
                else if (joinButtons(last_reply) != e.text)
                    report(e.line, "expected quick replies " + inQuotes(e.text) + ", got " +
                                       inQuotes(joinButtons(last_reply)));
            } else if (e.kind == "handoff" || e.kind == "flag") {
                JsonObject action = next(e.kind);
                std::string reason = action ? action->optValue<std::string>("reason", "") : "";
                if (!action)
                    report(e.line,
                           "expected " + e.kind + (e.has_text ? " " + inQuotes(e.text) : "") + ", got none");
                else if (e.has_text && reason != e.text)
                    report(e.line, "expected " + e.kind + " " + inQuotes(e.text) + ", got " + e.kind + " " +
                                       inQuotes(reason));
            } else if (e.kind == "drop") {
                drop_expected = true;
                if (!result.rejected)
                    report(e.line,
                           "expected drop" + (e.has_text ? " " + inQuotes(e.text) : "") + ", got none");
                else if (e.has_text && result.reason != e.text)
                    report(e.line,
                           "expected drop " + inQuotes(e.text) + ", got drop " + inQuotes(result.reason));
            } else if (e.kind == "lead") {
                JsonObject action = next("capture_lead");
                if (!action) {
                    report(e.line, "expected lead, got none");
                    continue;
                }
                JsonObject fields = action->getObject("fields");
                for (const auto& [key, value] : e.fields) {
                    bool has = fields && fields->has(key);
                    std::string got = has ? valueText(fields->get(key)) : "";
                    if (!has)
                        report(e.line, "expected lead " + key + "=" + value + ", got a lead without " + key);
                    else if (got != value)
                        report(e.line, "expected lead " + key + "=" + value + ", got " + key + "=" + got);
                }
            } else if (e.kind == "set") {
                JsonObject found;
                for (const auto& action : by_type["set"])
                    if (action->optValue<std::string>("key", "") == e.key) found = action;
                if (!found)
                    report(e.line,
                           "expected set " + e.key + "=" + e.text + ", got no set of '" + e.key + "'");
                else if (valueText(found->get("value")) != e.text)
                    report(e.line, "expected set " + e.key + "=" + e.text + ", got " + e.key + "=" +
                                       valueText(found->get("value")));
            } else if (e.kind == "none") {
                size_t count = by_type["reply"].size() + by_type["handoff"].size() + by_type["flag"].size() +
                               by_type["capture_lead"].size();
                if (count > 0 || result.rejected)
                    report(e.line, "expected no action, got " + std::to_string(count + result.rejected) +
                                       " (listed below)");
            }
        }
        // Replies, handoffs, flags, leads and drops nobody expected are differences too; sets are
        // bookkeeping.
        for (const char* type : {"reply", "handoff", "flag", "capture_lead"}) {
            auto& list = by_type[type];
            for (size_t i = used[type]; i < list.size(); ++i) {
                std::string what =
                    std::string(type) == "reply" ? "bot " + inQuotes(list[i]->getValue<std::string>("text"))
                    : std::string(type) == "capture_lead"
                        ? std::string("lead " + toJson(list[i]->get("fields")))
                        : std::string(type) + " " + inQuotes(list[i]->optValue<std::string>("reason", ""));
                report(turn.line, "unexpected " + what);
            }
        }
        if (result.rejected && !drop_expected)
            report(turn.line, "unexpected drop " + inQuotes(result.reason));
    }
    out << t.turns.size() << " turns, " << expectations << " expectations, " << failed << " failed\n";
    return failed == 0 ? 0 : 1;
}

}  // namespace parley::core

// Flow validation and the engine's pure helpers.
#include "flow_schema.hpp"

#include <Poco/JSON/Array.h>

#include <set>

namespace parley::whatsapp {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

const std::set<std::string> kTypes = {"message", "ask", "branch", "set", "webhook", "handoff", "end"};

std::string str(const Object::Ptr& o, const std::string& key) {
    if (!o || !o->has(key) || o->isNull(key) || !o->get(key).isString()) return "";
    return o->get(key).extract<std::string>();
}

std::string varText(const Object::Ptr& vars, const std::string& name) {
    if (!vars || !vars->has(name) || vars->isNull(name)) return "";
    try {
        return vars->get(name).convert<std::string>();
    } catch (const std::exception&) {
        return "";
    }
}

std::string trimmed(const std::string& s) {
    size_t a = s.find_first_not_of(" \t\r\n"), b = s.find_last_not_of(" \t\r\n");
    return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

}  // namespace

std::string lowerAscii(std::string s) {
    for (auto& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

std::vector<FlowError> validateFlow(const Object::Ptr& flow) {
    std::vector<FlowError> errors;
    auto add = [&](const std::string& path, const std::string& message) { errors.push_back({path, message}); };
    if (!flow) {
        add("", "a flow is a JSON object");
        return errors;
    }
    std::string name = str(flow, "name");
    if (name.empty() || name.size() > 200) add("name", "is required (text, at most 200 bytes)");
    Object::Ptr trigger = flow->getObject("trigger");
    if (!trigger) {
        add("trigger", "is required: {\"keywords\": [...], \"match\": \"contains\" | \"exact\"}");
    } else {
        Array::Ptr keywords = trigger->getArray("keywords");
        if (!keywords || keywords->size() == 0 || keywords->size() > 50) add("trigger.keywords", "must list 1 to 50 keywords");
        for (size_t i = 0; keywords && i < keywords->size(); ++i)
            if (!keywords->get(i).isString() || trimmed(keywords->get(i).extract<std::string>()).empty())
                add("trigger.keywords[" + std::to_string(i) + "]", "must be non-blank text");
        std::string match = trigger->has("match") ? str(trigger, "match") : "contains";
        if (match != "contains" && match != "exact") add("trigger.match", "must be \"contains\" or \"exact\"");
    }
    if (flow->has("channels")) {
        Array::Ptr channels = flow->getArray("channels");
        if (!channels) add("channels", "must be an array of channel ids (\"whatsapp\", \"web\")");
    }
    Object::Ptr nodes = flow->getObject("nodes");
    if (!nodes || nodes->size() == 0) {
        add("nodes", "is required: an object of node id to node");
        return errors;
    }
    if (nodes->size() > 200) add("nodes", "has more than 200 nodes");
    std::string start = str(flow, "start");
    if (start.empty()) add("start", "is required: the id of the first node");
    else if (!nodes->has(start)) add("start", "names no node '" + start + "'");
    auto target = [&](const std::string& path, const Object::Ptr& node, const std::string& key, bool required) {
        if (!node->has(key)) {
            if (required) add(path + "." + key, "is required: the id of the next node");
            return;
        }
        std::string next = str(node, key);
        if (next.empty() || !nodes->has(next)) add(path + "." + key, "names no node '" + next + "'");
    };
    for (const auto& id : nodes->getNames()) {
        std::string path = "nodes." + id;
        Object::Ptr node = nodes->getObject(id);
        if (!node) {
            add(path, "must be an object with a \"type\"");
            continue;
        }
        std::string type = str(node, "type");
        if (!kTypes.count(type)) {
            add(path + ".type", "must be one of message, ask, branch, set, webhook, handoff, end (got '" + type + "')");
            continue;
        }
        if (type == "message") {
            if (str(node, "text").empty() || str(node, "text").size() > 4000) add(path + ".text", "is required (at most 4000 bytes)");
            target(path, node, "next", false);
        } else if (type == "ask") {
            if (str(node, "text").empty() || str(node, "text").size() > 1024) add(path + ".text", "is required (at most 1024 bytes)");
            Array::Ptr options = node->getArray("options");
            if (node->has("options") && (!options || options->size() == 0 || options->size() > 10))
                add(path + ".options", "must list 1 to 10 options (3 or fewer of at most 20 characters show as buttons)");
            for (size_t i = 0; options && i < options->size(); ++i)
                if (!options->get(i).isString() || options->get(i).extract<std::string>().empty() ||
                    options->get(i).extract<std::string>().size() > 100)
                    add(path + ".options[" + std::to_string(i) + "]", "must be text of 1 to 100 bytes");
            std::string save = str(node, "save_as");
            if (save.empty()) add(path + ".save_as", "is required: the variable that keeps the answer");
            target(path, node, "next", true);
        } else if (type == "branch") {
            if (str(node, "variable").empty()) add(path + ".variable", "is required: the variable to test");
            Array::Ptr cases = node->getArray("cases");
            if (!cases || cases->size() == 0) add(path + ".cases", "must list at least one {\"equals\" | \"contains\", \"next\"}");
            for (size_t i = 0; cases && i < cases->size(); ++i) {
                std::string cpath = path + ".cases[" + std::to_string(i) + "]";
                Object::Ptr c = cases->getObject(i);
                if (!c) {
                    add(cpath, "must be an object");
                    continue;
                }
                if (!c->has("equals") && !c->has("contains")) add(cpath, "needs \"equals\" or \"contains\"");
                target(cpath, c, "next", true);
            }
            target(path, node, "default", true);
        } else if (type == "set") {
            if (!node->getObject("variables")) add(path + ".variables", "is required: an object of name to value");
            target(path, node, "next", false);
        } else if (type == "webhook") {
            std::string url = str(node, "url");
            if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) add(path + ".url", "must be an http(s) URL");
            std::string method = node->has("method") ? str(node, "method") : "POST";
            if (method != "GET" && method != "POST") add(path + ".method", "must be GET or POST");
            target(path, node, "next", false);
        } else if (type == "end" || type == "handoff") {
            if (node->has("text") && str(node, "text").size() > 4000) add(path + ".text", "is at most 4000 bytes");
        }
    }
    return errors;
}

bool keywordMatches(const Object::Ptr& trigger, const std::string& text) {
    if (!trigger) return false;
    Array::Ptr keywords = trigger->getArray("keywords");
    std::string match = trigger->has("match") ? str(trigger, "match") : "contains";
    std::string t = lowerAscii(trimmed(text));
    auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || (static_cast<unsigned char>(c) & 0x80); };
    for (size_t i = 0; keywords && i < keywords->size(); ++i) {
        std::string k = lowerAscii(trimmed(keywords->get(i).convert<std::string>()));
        if (k.empty()) continue;
        if (match == "exact") {
            if (t == k) return true;
            continue;
        }
        for (size_t at = t.find(k); at != std::string::npos; at = t.find(k, at + 1)) {
            bool left = at == 0 || !word(t[at - 1]), right = at + k.size() == t.size() || !word(t[at + k.size()]);
            if (left && right) return true;
        }
    }
    return false;
}

std::string substitute(const std::string& text, const Object::Ptr& variables) {
    std::string out;
    size_t i = 0;
    while (i < text.size()) {
        size_t open = text.find("{{", i);
        if (open == std::string::npos) break;
        size_t close = text.find("}}", open + 2);
        if (close == std::string::npos) break;
        out += text.substr(i, open - i) + varText(variables, trimmed(text.substr(open + 2, close - open - 2)));
        i = close + 2;
    }
    return out + text.substr(i);
}

std::string branchNext(const Object::Ptr& node, const Object::Ptr& variables) {
    std::string value = lowerAscii(trimmed(varText(variables, str(node, "variable"))));
    Array::Ptr cases = node->getArray("cases");
    for (size_t i = 0; cases && i < cases->size(); ++i) {
        Object::Ptr c = cases->getObject(i);
        if (c->has("equals") && value == lowerAscii(trimmed(c->get("equals").convert<std::string>()))) return str(c, "next");
        if (c->has("contains") && value.find(lowerAscii(c->get("contains").convert<std::string>())) != std::string::npos)
            return str(c, "next");
    }
    return str(node, "default");
}

}  // namespace parley::whatsapp

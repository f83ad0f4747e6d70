// The flow engine and its admin routes.
#include "flows.hpp"

#include "flow_schema.hpp"
#include "numbers.hpp"
#include "routes.hpp"

#include <algorithm>

namespace parley::whatsapp {
namespace {

constexpr int kMaxSteps = 50;

Object::Ptr reply(const std::string& text, const Array::Ptr& options) {
    Object::Ptr a = newObject();
    a->set("type", std::string("reply"));
    a->set("text", text);
    a->set("quick_replies", options ? options : Array::Ptr(new Array));
    return a;
}

bool channelAllowed(const Object::Ptr& flow, const std::string& channel) {
    Array::Ptr channels = flow->getArray("channels");
    if (!channels) return true;
    for (size_t i = 0; i < channels->size(); ++i)
        if (channels->get(i).convert<std::string>() == channel) return true;
    return false;
}

}  // namespace

void Flows::invalidate(const std::string& widget_id) {
    std::lock_guard lock(mutex_);
    cache_.erase(widget_id);
}

std::vector<std::pair<std::string, Object::Ptr>> Flows::flowsOf(const std::string& widget_id) {
    std::lock_guard lock(mutex_);
    Cached& c = cache_[widget_id];
    if (nowMs() - c.loaded_at > 2000) {  // other nodes' edits arrive within two seconds
        c.flows.clear();
        Array::Ptr rows = db_.rows("SELECT id, definition FROM whatsapp_flows WHERE widget_id = :1 AND enabled = 1 ORDER BY created_at", widget_id);
        for (size_t i = 0; i < rows->size(); ++i)
            c.flows.emplace_back(col(rows->getObject(i), "id"), parseObject(col(rows->getObject(i), "definition")));
        c.loaded_at = nowMs();
    }
    return c.flows;
}

void Flows::onInbound(parley::Event& e) {
    std::string text_payload = e.payload();
    // Most widgets have no flow: then there is no keyword to match and no session to go on with, and the
    // payload is not parsed nor the session looked up (one field read, the 2-second cache of flowsOf).
    std::optional<std::string> widget_id = parley::jsonScalar(text_payload, "widget_id");
    if (!widget_id) return;
    std::vector<std::pair<std::string, Object::Ptr>> flows = flowsOf(*widget_id);  // the enabled ones
    if (flows.empty()) return;
    Object::Ptr payload = parseObject(text_payload);
    Object::Ptr conversation = payload->getObject("conversation");
    Object::Ptr message = payload->getObject("message");
    std::string conversation_id = col(conversation, "id");
    if (conversation_id.empty() || !message) return;
    Object::Ptr msg_payload = message->getObject("payload");
    std::string text = col(message, "text");
    std::string answer = msg_payload && msg_payload->has("value") ? col(msg_payload, "value") : text;

    Object::Ptr session = db_.row("SELECT * FROM whatsapp_flow_sessions WHERE conversation_id = :1", conversation_id);
    if (session && num(session, "expires_at") < nowMs()) {
        db_.exec("DELETE FROM whatsapp_flow_sessions WHERE conversation_id = :1", conversation_id);
        session = nullptr;
    }
    if (session) {
        std::string flow_id = col(session, "flow_id");
        auto running = std::find_if(flows.begin(), flows.end(), [&](const auto& f) { return f.first == flow_id; });
        if (running == flows.end()) {  // deleted or disabled since: its sessions end
            db_.exec("DELETE FROM whatsapp_flow_sessions WHERE conversation_id = :1", conversation_id);
            return;
        }
        const Object::Ptr& flow = running->second;
        Object::Ptr node = flow->getObject("nodes")->getObject(col(session, "node"));
        Object::Ptr variables = parseObject(col(session, "variables"));
        if (!node || col(node, "type") != "ask") return;
        Array::Ptr options = node->getArray("options");
        if (options) {  // an answer must be one of the options (by value or, case-insensitively, by text)
            std::string chosen;
            for (size_t i = 0; i < options->size(); ++i)
                if (lowerAscii(options->get(i).convert<std::string>()) == lowerAscii(answer)) chosen = options->get(i).convert<std::string>();
            if (chosen.empty()) {
                e.addAction(jsonText(reply(substitute(col(node, "retry_text").empty() ? "Please choose one of the options."
                                                                                       : col(node, "retry_text"), variables), options)));
                e.stop("flow: waiting for a valid answer");
                return;
            }
            answer = chosen;
        }
        variables->set(col(node, "save_as"), answer);
        e.stop("flow");
        run(e, conversation_id, flow_id, flow, col(node, "next"), variables);
        return;
    }
    for (const auto& [id, flow] : flows) {
        if (!channelAllowed(flow, col(payload, "channel"))) continue;
        if (!keywordMatches(flow->getObject("trigger"), text)) continue;
        Object::Ptr variables = newObject();
        Object::Ptr visitor = payload->getObject("visitor");
        variables->set("name", col(visitor, "name"));
        variables->set("phone", col(visitor, "phone"));
        variables->set("trigger", text);
        e.stop("flow");
        run(e, conversation_id, id, flow, col(flow, "start"), variables);
        return;
    }
}

void Flows::run(parley::Event& e, const std::string& conversation_id, const std::string& flow_id, const Object::Ptr& flow,
                std::string current, Object::Ptr variables) {
    Object::Ptr nodes = flow->getObject("nodes");
    auto endSession = [&] { db_.exec("DELETE FROM whatsapp_flow_sessions WHERE conversation_id = :1", conversation_id); };
    for (int step = 0; step < kMaxSteps; ++step) {
        Object::Ptr node = current.empty() ? nullptr : nodes->getObject(current);
        if (!node) {  // a node without "next": the flow is over
            endSession();
            return;
        }
        std::string type = col(node, "type");
        if (type == "message") {
            e.addAction(jsonText(reply(substitute(col(node, "text"), variables), nullptr)));
            current = col(node, "next");
        } else if (type == "ask") {
            e.addAction(jsonText(reply(substitute(col(node, "text"), variables), node->getArray("options"))));
            long long now = nowMs();
            db_.exec("INSERT INTO whatsapp_flow_sessions (conversation_id, flow_id, node, variables, expires_at, updated_at) "
                     "VALUES (:1, :2, :3, :4, :5, :6) ON CONFLICT (conversation_id) DO UPDATE SET flow_id = excluded.flow_id, "
                     "node = excluded.node, variables = excluded.variables, expires_at = excluded.expires_at, updated_at = excluded.updated_at",
                     conversation_id, flow_id, current, jsonText(variables), now + settings_.flow_session_ms, now);
            return;
        } else if (type == "branch") {
            current = branchNext(node, variables);
        } else if (type == "set") {
            Object::Ptr set = node->getObject("variables");
            for (const auto& name : set->getNames()) {
                Poco::Dynamic::Var v = set->get(name);
                variables->set(name, v.isString() ? Poco::Dynamic::Var(substitute(v.extract<std::string>(), variables)) : v);
                Object::Ptr action = newObject();  // also kept on the conversation, where rules and agents see it
                action->set("type", std::string("set"));
                action->set("key", name);
                action->set("value", variables->get(name));
                e.addAction(jsonText(action));
            }
            current = col(node, "next");
        } else if (type == "webhook") {
            Object::Ptr body = newObject();
            body->set("conversation_id", conversation_id);
            body->set("flow_id", flow_id);
            body->set("variables", variables);
            std::string method = node->has("method") ? col(node, "method") : "POST";
            try {
                parley::HttpReply r = db_.plugin().http(method, substitute(col(node, "url"), variables), method == "POST" ? jsonText(body) : "",
                                                        "Content-Type: application/json", 5000, 1);
                variables->set("webhook_status", r.status);
                if (!col(node, "save_as").empty()) {
                    try {
                        variables->set(col(node, "save_as"), parseObject(r.body));
                    } catch (const std::exception&) {
                        variables->set(col(node, "save_as"), r.body.substr(0, 4000));
                    }
                }
            } catch (const parley::Error& err) {
                variables->set("webhook_status", 0);
                db_.plugin().warn("flow " + flow_id + " node " + current + ": webhook failed: " + err.what());
            }
            current = col(node, "next");
        } else if (type == "handoff") {
            if (!col(node, "text").empty()) e.addAction(jsonText(reply(substitute(col(node, "text"), variables), nullptr)));
            Object::Ptr action = newObject();
            action->set("type", std::string("handoff"));
            action->set("reason", col(node, "reason").empty() ? std::string("flow") : col(node, "reason"));
            e.addAction(jsonText(action));
            endSession();
            return;
        } else {  // end
            if (!col(node, "text").empty()) e.addAction(jsonText(reply(substitute(col(node, "text"), variables), nullptr)));
            endSession();
            return;
        }
    }
    db_.plugin().warn("flow " + flow_id + ": more than 50 steps without waiting for an answer; stopped");
    endSession();
}

void registerFlowRoutes(parley::Plugin& p, Db db, Flows& flows) {
    Flows* engine = &flows;
    auto errorsJson = [](const std::vector<FlowError>& errors) {
        Object::Ptr out = newObject(), e = newObject();
        Array::Ptr list = new Array;
        for (const auto& f : errors) {
            Object::Ptr o = newObject();
            o->set("path", f.path);
            o->set("message", f.message);
            list->add(o);
        }
        e->set("code", std::string("invalid_flow"));
        e->set("message", errors.front().path + " " + errors.front().message);
        e->set("details", list);
        out->set("error", e);
        return jsonText(out);
    };
    auto flowJson = [](const Object::Ptr& row) {
        Object::Ptr o = newObject();
        o->set("id", col(row, "id"));
        o->set("widget_id", col(row, "widget_id"));
        o->set("name", col(row, "name"));
        o->set("enabled", num(row, "enabled") != 0);
        o->set("definition", parseObject(col(row, "definition")));
        o->set("updated_at", num(row, "updated_at"));
        return o;
    };
    // {"widget_id", "enabled": true, "definition": {...flow...}}; 422 invalid_flow lists every error by path.
    auto save = [db, engine, errorsJson, flowJson](const parley::Request& r, parley::Response& w, const std::string& id) {
        auto tenant = admitTenant(r, w, true);
        if (!tenant) return;
        Object::Ptr body = requestObject(r, w);
        if (!body) return;
        if (!id.empty() && !isUuid(id)) return w.error(404, "flow_not_found", "no flow " + id + " in this tenant");
        Object::Ptr existing = id.empty() ? nullptr : db.row("SELECT * FROM whatsapp_flows WHERE id = :1 AND tenant_id = :2", id, *tenant);
        if (!id.empty() && !existing) return w.error(404, "flow_not_found", "no flow " + id + " in this tenant");
        std::string widget = body->has("widget_id") ? body->optValue<std::string>("widget_id", "") : col(existing, "widget_id");
        if (widgetTenant(db, widget) != *tenant) return w.error(422, "invalid_field", "field 'widget_id' must name a widget of this tenant");
        Object::Ptr definition = body->getObject("definition");
        if (!definition) return w.error(422, "invalid_field", "field 'definition' is required: the flow (docs/flows.md)");
        auto errors = validateFlow(definition);
        if (!errors.empty()) return w.json(422, errorsJson(errors));
        bool enabled = body->optValue<bool>("enabled", existing ? num(existing, "enabled") != 0 : true);
        long long now = nowMs();
        std::string flow_id = id.empty() ? newUuid() : id;
        if (id.empty())
            db.exec("INSERT INTO whatsapp_flows (id, tenant_id, widget_id, name, definition, enabled, created_at, updated_at) "
                    "VALUES (:1, :2, :3, :4, :5, :6, :7, :8)",
                    flow_id, *tenant, widget, col(definition, "name"), jsonText(definition), enabled ? 1 : 0, now, now);
        else
            db.exec("UPDATE whatsapp_flows SET widget_id = :1, name = :2, definition = :3, enabled = :4, updated_at = :5 WHERE id = :6",
                    widget, col(definition, "name"), jsonText(definition), enabled ? 1 : 0, now, flow_id);
        if (!enabled) db.exec("DELETE FROM whatsapp_flow_sessions WHERE flow_id = :1", flow_id);  // disabling ends them
        engine->invalidate(widget);
        if (existing) engine->invalidate(col(existing, "widget_id"));
        Object::Ptr out = newObject();
        out->set("flow", flowJson(db.row("SELECT * FROM whatsapp_flows WHERE id = :1", flow_id)));
        w.json(id.empty() ? 201 : 200, jsonText(out));
    };
    p.route("POST", "/flows", parley::Admin, [save](const parley::Request& r, parley::Response& w) { save(r, w, ""); });
    p.route("PUT", "/flows/{id}", parley::Admin, [save](const parley::Request& r, parley::Response& w) {
        save(r, w, pathParts(r.path()).at(1));
    });
    // Checks a definition without saving it: {"valid": true} or the 422 with every error.
    p.route("POST", "/flows/validate", parley::Admin, [errorsJson](const parley::Request& r, parley::Response& w) {
        if (!admitTenant(r, w, false)) return;
        Object::Ptr body = requestObject(r, w);
        if (!body) return;
        auto errors = validateFlow(body->getObject("definition") ? body->getObject("definition") : body);
        if (!errors.empty()) return w.json(422, errorsJson(errors));
        w.json(200, "{\"valid\":true}");
    });
    p.route("GET", "/flows", parley::Admin, [db, flowJson](const parley::Request& r, parley::Response& w) {
        auto tenant = admitTenant(r, w, false);
        if (!tenant) return;
        Array::Ptr rows = db.rows("SELECT * FROM whatsapp_flows WHERE tenant_id = :1 ORDER BY created_at", *tenant);
        Array::Ptr list = new Array;
        for (size_t i = 0; i < rows->size(); ++i) list->add(flowJson(rows->getObject(i)));
        Object::Ptr out = newObject();
        out->set("flows", list);
        w.json(200, jsonText(out));
    });
    p.route("DELETE", "/flows/{id}", parley::Admin, [db, engine](const parley::Request& r, parley::Response& w) {
        auto tenant = admitTenant(r, w, true);
        if (!tenant) return;
        std::string id = pathParts(r.path()).at(1);
        Object::Ptr row = isUuid(id) ? db.row("SELECT widget_id FROM whatsapp_flows WHERE id = :1 AND tenant_id = :2", id, *tenant) : nullptr;
        if (!row) return w.error(404, "flow_not_found", "no flow " + id + " in this tenant");
        db.exec("DELETE FROM whatsapp_flow_sessions WHERE flow_id = :1", id);
        db.exec("DELETE FROM whatsapp_flows WHERE id = :1", id);
        engine->invalidate(col(row, "widget_id"));
        w.send(204, "application/json", "");
    });
}

}  // namespace parley::whatsapp

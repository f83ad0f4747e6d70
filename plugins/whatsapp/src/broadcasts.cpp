// Broadcast creation, progress, stop and resume. Recipients are rows of whatsapp_sends (one per broadcast and
// number, unique), so the sender's claim-before-send is what makes a resume safe.
#include "broadcasts.hpp"

#include "progress.hpp"
#include "routes.hpp"

#include <set>
#include <sstream>

namespace parley::whatsapp {
namespace {

constexpr size_t kMaxRecipients = 10000;

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
    size_t start = s.find_first_not_of(" \t");
    return start == std::string::npos ? "" : s.substr(start);
}

std::vector<std::string> cells(const std::string& line) {
    std::vector<std::string> out;
    std::string cell;
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
        char c = line[i];
        if (c == '"') {
            if (quoted && i + 1 < line.size() && line[i + 1] == '"') cell.push_back('"'), ++i;
            else quoted = !quoted;
        } else if (c == ',' && !quoted) {
            out.push_back(trim(cell));
            cell.clear();
        } else {
            cell.push_back(c);
        }
    }
    out.push_back(trim(cell));
    return out;
}

// A contact's phone as entered ("+1 650-555 1234", "(+1) 650.555.1234") with the separators people type
// dropped; the caller checks E.164.
std::string compactPhone(const std::string& phone) {
    std::string out;
    for (char c : phone)
        if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') out.push_back(c);
    return out;
}

}  // namespace

bool isE164(const std::string& phone) {
    if (phone.size() < 9 || phone.size() > 16 || phone[0] != '+' || phone[1] == '0') return false;
    return phone.find_first_not_of("0123456789", 1) == std::string::npos;
}

void parseRecipientsCsv(const std::string& csv, std::vector<Recipient>& accepted, std::vector<RejectedRow>& rejected) {
    std::istringstream in(csv);
    std::string line;
    size_t row = 0;
    int phone_col = -1, name_col = -1;
    std::map<std::string, size_t> seen;
    while (std::getline(in, line)) {
        ++row;
        if (trim(line).empty()) continue;
        auto c = cells(line);
        if (phone_col < 0) {
            for (size_t i = 0; i < c.size(); ++i) {
                std::string h = c[i];
                for (auto& ch : h) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                if (h == "phone") phone_col = static_cast<int>(i);
                if (h == "name") name_col = static_cast<int>(i);
            }
            if (phone_col < 0) {
                rejected.push_back({row, "the header must name a 'phone' column"});
                return;
            }
            continue;
        }
        std::string phone = static_cast<size_t>(phone_col) < c.size() ? c[phone_col] : "";
        if (!isE164(phone)) {
            rejected.push_back({row, "'" + phone.substr(0, 40) + "' is not an E.164 number (+ and 8 to 15 digits, e.g. +16505551234)"});
            continue;
        }
        auto [it, fresh] = seen.emplace(phone, row);
        if (!fresh) {
            rejected.push_back({row, phone + " repeats row " + std::to_string(it->second)});
            continue;
        }
        accepted.push_back({phone.substr(1), name_col >= 0 && static_cast<size_t>(name_col) < c.size() ? c[name_col] : ""});
    }
    if (phone_col < 0) rejected.push_back({1, "the CSV is empty: a header with a 'phone' column is required"});
}

void registerBroadcastRoutes(parley::Plugin& p, Db db, Numbers& numbers, Sender& sender) {
    Numbers* nums = &numbers;
    Sender* snd = &sender;
    parley::Plugin plugin = p;

    // {"phone_number_id", "name", "template": {"name", "language", "parameters": ["{{name}}", ...]},
    //  "recipients": ["+1650...", ...] or "csv": "phone,name\n+1650...,Ana\n" or "tag": "vip" (the tenant's
    //  contacts with that tag, through the SDK's contacts read; rows are the contacts' order, 1-based)}
    p.route("POST", "/broadcasts", parley::Admin, [db, nums, snd, plugin](const parley::Request& r, parley::Response& w) {
        auto tenant = admitTenant(r, w, true);
        if (!tenant) return;
        Object::Ptr body = requestObject(r, w);
        if (!body) return;
        std::string number_id = body->optValue<std::string>("phone_number_id", "");
        auto number = nums->find(number_id);
        if (!number || number->tenant_id != *tenant)
            return w.error(422, "invalid_field", "field 'phone_number_id' must name a WhatsApp number of this tenant");
        std::string name = body->optValue<std::string>("name", "");
        if (name.empty() || name.size() > 200) return w.error(422, "invalid_field", "field 'name' is required (at most 200 bytes)");
        Object::Ptr tpl = body->getObject("template");
        std::string tpl_name = col(tpl, "name");
        if (tpl_name.empty() || tpl_name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
            return w.error(422, "invalid_field", "field 'template' must be {name, language, parameters} with a template name of [a-z0-9_]");
        Object::Ptr clean = newObject();
        clean->set("name", tpl_name);
        clean->set("language", tpl->optValue<std::string>("language", "en_US"));
        Array::Ptr params = tpl->getArray("parameters");
        clean->set("parameters", params ? params : Array::Ptr(new Array));
        for (size_t i = 0; params && i < params->size(); ++i)
            if (!params->get(i).isString()) return w.error(422, "invalid_field", "field 'template.parameters' must hold strings");
        std::vector<Recipient> accepted;
        std::vector<RejectedRow> rejected;
        if (body->has("csv")) {
            if (!body->get("csv").isString()) return w.error(422, "invalid_field", "field 'csv' must be CSV text");
            parseRecipientsCsv(body->getValue<std::string>("csv"), accepted, rejected);
        } else if (Array::Ptr list = body->getArray("recipients")) {
            std::set<std::string> seen;
            for (size_t i = 0; i < list->size(); ++i) {
                std::string phone = list->get(i).isString() ? list->get(i).extract<std::string>() : "";
                if (!isE164(phone)) rejected.push_back({i + 1, "'" + phone.substr(0, 40) + "' is not an E.164 number"});
                else if (!seen.insert(phone).second) rejected.push_back({i + 1, phone + " is listed twice"});
                else accepted.push_back({phone.substr(1), ""});
            }
        } else if (body->has("tag")) {
            if (!body->get("tag").isString() || body->getValue<std::string>("tag").empty())
                return w.error(422, "invalid_field", "field 'tag' must be a contact tag such as \"vip\"");
            if (!plugin.hostHas(3)) return w.error(501, "not_supported", "this Parley host cannot list contacts (needs ABI 1.3)");
            std::set<std::string> seen;
            std::string after;
            size_t row = 0;
            for (;;) {
                Object::Ptr query = newObject();
                query->set("tag", body->getValue<std::string>("tag"));
                query->set("limit", 1000);
                if (!after.empty()) query->set("after", after);
                Object::Ptr page;
                try {
                    page = parseObject(plugin.contacts(*tenant, jsonText(query)));
                } catch (const parley::Error& e) {
                    return w.error(422, "invalid_field", std::string("field 'tag': ") + e.what());
                }
                Array::Ptr list = page->getArray("contacts");
                for (size_t i = 0; list && i < list->size(); ++i) {
                    Object::Ptr contact = list->getObject(i);
                    std::string phone = compactPhone(col(contact, "phone"));
                    ++row;
                    if (!isE164(phone)) {
                        rejected.push_back({row, "contact " + col(contact, "id") + " (" + col(contact, "name").substr(0, 60) + "): " +
                                                     (phone.empty() ? std::string("has no phone number")
                                                                    : "'" + phone.substr(0, 40) + "' is not an E.164 number")});
                    } else if (!seen.insert(phone).second) {
                        rejected.push_back({row, "contact " + col(contact, "id") + ": " + phone + " is another contact's number too"});
                    } else {
                        accepted.push_back({phone.substr(1), col(contact, "name")});
                    }
                }
                after = col(page, "next");
                if (after.empty() || accepted.size() > kMaxRecipients) break;
            }
        } else {
            return w.error(422, "invalid_field", "give the recipients as 'recipients' (an array of E.164 numbers), 'csv' (text with a "
                                                 "phone column) or 'tag' (the contacts with that tag)");
        }
        Array::Ptr rejected_json = new Array;
        for (const auto& rr : rejected) {
            Object::Ptr o = newObject();
            o->set("row", static_cast<Poco::Int64>(rr.row));
            o->set("reason", rr.reason);
            rejected_json->add(o);
        }
        if (accepted.empty() || accepted.size() > kMaxRecipients) {
            Object::Ptr err = newObject(), e = newObject();
            e->set("code", std::string("invalid_recipients"));
            e->set("message", accepted.empty() ? std::string("no valid recipient") : "more than " + std::to_string(kMaxRecipients) + " recipients");
            e->set("rejected", rejected_json);
            err->set("error", e);
            return w.json(422, jsonText(err));
        }
        std::string id = newUuid();
        long long now = nowMs();
        plugin.transaction([&] {
            db.exec("INSERT INTO whatsapp_broadcasts (id, tenant_id, phone_number_id, name, template, status, stop_reason, created_at, updated_at) "
                    "VALUES (:1, :2, :3, :4, :5, 'running', '', :6, :7)",
                    id, *tenant, number_id, name, jsonText(clean), now, now);
            for (size_t i = 0; i < accepted.size(); ++i) {
                Object::Ptr source = newObject();
                source->set("kind", std::string("template"));
                source->set("name", tpl_name);
                source->set("language", clean->getValue<std::string>("language"));
                source->set("parameters", clean->getArray("parameters"));
                source->set("contact_name", accepted[i].name);
                db.exec("INSERT INTO whatsapp_sends (id, tenant_id, phone_number_id, broadcast_id, recipient, source, status, attempts, "
                        "next_attempt_at, position, created_at, updated_at) VALUES (:1, :2, :3, :4, :5, :6, 'queued', 0, :7, :8, :9, :10)",
                        newUuid(), *tenant, number_id, id, accepted[i].phone, jsonText(source), now,
                        static_cast<long long>(i), now, now);  // position keeps the list's order in the queue
            }
        });
        snd->wake();
        snd->progress().changed(id, true);
        Object::Ptr out = newObject();
        out->set("broadcast", broadcastProgress(db, id));
        out->set("accepted", static_cast<Poco::Int64>(accepted.size()));
        out->set("rejected", rejected_json);
        w.json(201, jsonText(out));
    });

    p.route("GET", "/broadcasts", parley::Admin, [db](const parley::Request& r, parley::Response& w) {
        auto tenant = admitTenant(r, w, false);
        if (!tenant) return;
        Array::Ptr rows = db.rows("SELECT id FROM whatsapp_broadcasts WHERE tenant_id = :1 ORDER BY created_at DESC LIMIT 200", *tenant);
        Array::Ptr list = new Array;
        for (size_t i = 0; i < rows->size(); ++i) list->add(broadcastProgress(db, col(rows->getObject(i), "id")));
        Object::Ptr out = newObject();
        out->set("broadcasts", list);
        w.json(200, jsonText(out));
    });

    auto find = [db](const parley::Request& r, parley::Response& w, bool write) -> std::optional<std::string> {
        auto tenant = admitTenant(r, w, write);
        if (!tenant) return std::nullopt;
        std::string id = pathParts(r.path()).at(1);
        if (!isUuid(id) || !db.row("SELECT id FROM whatsapp_broadcasts WHERE id = :1 AND tenant_id = :2", id, *tenant)) {
            w.error(404, "broadcast_not_found", "no broadcast " + id + " in this tenant");
            return std::nullopt;
        }
        return id;
    };

    // Progress and per-recipient status (queued, sent, delivered, read, failed with reason).
    p.route("GET", "/broadcasts/{id}", parley::Admin, [db, find](const parley::Request& r, parley::Response& w) {
        auto id = find(r, w, false);
        if (!id) return;
        Object::Ptr out = newObject();
        out->set("broadcast", broadcastProgress(db, *id));
        out->set("recipients", db.rows("SELECT recipient, status, graph_message_id, error, attempts, updated_at FROM whatsapp_sends "
                                       "WHERE broadcast_id = :1 ORDER BY created_at", *id));
        w.json(200, jsonText(out));
    });

    p.route("POST", "/broadcasts/{id}/stop", parley::Admin, [db, find, snd](const parley::Request& r, parley::Response& w) {
        auto id = find(r, w, true);
        if (!id) return;
        db.exec("UPDATE whatsapp_broadcasts SET status = 'stopped', stop_reason = 'stopped_by_admin', updated_at = :1 WHERE id = :2 AND status = 'running'",
                nowMs(), *id);
        snd->progress().changed(*id, true);
        Object::Ptr out = newObject();
        out->set("broadcast", broadcastProgress(db, *id));
        w.json(200, jsonText(out));
    });

    p.route("POST", "/broadcasts/{id}/resume", parley::Admin, [db, find, nums, snd](const parley::Request& r, parley::Response& w) {
        auto id = find(r, w, true);
        if (!id) return;
        Object::Ptr b = db.row("SELECT phone_number_id, status FROM whatsapp_broadcasts WHERE id = :1", *id);
        auto number = nums->find(col(b, "phone_number_id"));
        if (number && number->token_state == "expired")
            return w.error(409, "token_expired", "the number's access token expired: replace it (PATCH /numbers/{id}) before resuming");
        if (col(b, "status") == "stopped")
            db.exec("UPDATE whatsapp_broadcasts SET status = 'running', stop_reason = '', updated_at = :1 WHERE id = :2", nowMs(), *id);
        snd->wake();
        snd->progress().changed(*id, true);
        Object::Ptr out = newObject();
        out->set("broadcast", broadcastProgress(db, *id));
        w.json(200, jsonText(out));
    });
}

}  // namespace parley::whatsapp

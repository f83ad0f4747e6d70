// Contacts and their tags: SQL portable to SQLite and PostgreSQL (ids compared as text).
#include "store/contact_repository.hpp"

#include "app/errors.hpp"
#include "store/database.hpp"
#include "store/row.hpp"

#include <Poco/String.h>

#include <algorithm>
#include <map>
#include <set>

namespace parley::core {
namespace {

const char* kColumns = "SELECT CAST(id AS TEXT), CAST(tenant_id AS TEXT), name, email, phone, created_at, updated_at FROM contacts ";

Contact fromRow(const soci::row& r) {
    Contact c;
    c.id = rowText(r, 0);
    c.tenant_id = rowText(r, 1);
    c.name = rowText(r, 2);
    c.email = rowText(r, 3);
    c.phone = rowText(r, 4);
    c.created_at = rowInt(r, 5);
    c.updated_at = rowInt(r, 6);
    return c;
}

}  // namespace

JsonObject Contact::toJson() const {
    JsonObject o = jsonObject();
    o->set("id", id);
    o->set("name", name);
    o->set("email", email);
    o->set("phone", phone);
    JsonArray list = jsonArray();
    for (const auto& t : tags) list->add(t);
    o->set("tags", list);
    o->set("created_at", static_cast<Poco::Int64>(created_at));
    o->set("updated_at", static_cast<Poco::Int64>(updated_at));
    return o;
}

std::vector<std::string> normalizeTags(const std::vector<std::string>& tags, const std::string& field) {
    std::set<std::string> out;
    for (const auto& given : tags) {
        std::string t = Poco::toLower(Poco::trim(given));
        if (t.empty() || t.size() > 50 || t.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") != std::string::npos)
            throw invalidField(field, "holds '" + given.substr(0, 60) + "': a tag is 1 to 50 of a-z, 0-9, '_' and '-'");
        out.insert(t);
    }
    if (out.size() > 20) throw invalidField(field, "holds more than 20 tags");
    return {out.begin(), out.end()};
}

std::vector<Contact> ContactRepository::list(const std::string& tenant_id, const std::string& tag, const std::string& after,
                                             int limit) {
    std::vector<Contact> out;
    std::string sql_text = std::string(kColumns) +
                           "WHERE CAST(tenant_id AS TEXT) = :t AND CAST(id AS TEXT) > :a AND (:g1 = '' OR EXISTS "
                           "(SELECT 1 FROM contact_tags g WHERE g.contact_id = contacts.id AND g.tag = :g2)) "
                           "ORDER BY CAST(id AS TEXT) LIMIT " + std::to_string(std::clamp(limit, 1, 1000));
    soci::rowset<soci::row> rows = (sql_.prepare << sql_text, soci::use(tenant_id), soci::use(after), soci::use(tag),
                                    soci::use(tag));
    for (const auto& r : rows) out.push_back(fromRow(r));
    // The page's tags in one query (was one per contact).
    std::string in;
    std::map<std::string, std::vector<std::string>*> by_id;
    for (auto& c : out) {
        if (!isUuid(c.id)) {
            c.tags = tagsOf(c.id);
            continue;
        }
        in += (in.empty() ? "'" : ",'") + c.id + "'";  // checked UUIDs: literals the primary key's index can use
        by_id[c.id] = &c.tags;
    }
    if (!in.empty())
        queryEach(sql_, "SELECT CAST(contact_id AS TEXT), tag FROM contact_tags WHERE contact_id IN (" + in + ") ORDER BY tag",
                  [&](const soci::row& r) {
                      if (auto it = by_id.find(Poco::toLower(rowText(r, 0))); it != by_id.end()) it->second->push_back(rowText(r, 1));
                  });
    return out;
}

std::optional<Contact> ContactRepository::find(const std::string& tenant_id, const std::string& id) {
    std::optional<Contact> out;
    soci::rowset<soci::row> rows = (sql_.prepare << std::string(kColumns) + "WHERE CAST(tenant_id AS TEXT) = :t AND CAST(id AS TEXT) = :id",
                                    soci::use(tenant_id), soci::use(id));
    for (const auto& r : rows) out = fromRow(r);
    if (out) out->tags = tagsOf(out->id);
    return out;
}

void ContactRepository::insert(const Contact& c) {
    sql_ << "INSERT INTO contacts (id, tenant_id, name, email, phone, created_at, updated_at) VALUES (:id, :t, :n, :e, :p, :c, :u)",
        soci::use(c.id), soci::use(c.tenant_id), soci::use(c.name), soci::use(c.email), soci::use(c.phone),
        soci::use(c.created_at), soci::use(c.updated_at);
    setTags(c.tenant_id, c.id, c.tags, c.created_at);
}

void ContactRepository::setTags(const std::string& tenant_id, const std::string& contact_id, const std::vector<std::string>& tags,
                                long long now) {
    sql_ << "DELETE FROM contact_tags WHERE CAST(contact_id AS TEXT) = :c", soci::use(contact_id);
    for (const auto& t : tags) {
        std::string tag = t;
        sql_ << "INSERT INTO contact_tags (tenant_id, contact_id, tag, created_at) VALUES (:t, :c, :g, :n)", soci::use(tenant_id),
            soci::use(contact_id), soci::use(tag), soci::use(now);
    }
    sql_ << "UPDATE contacts SET updated_at = :u WHERE CAST(id AS TEXT) = :c", soci::use(now), soci::use(contact_id);
}

std::vector<std::string> ContactRepository::tagsOf(const std::string& contact_id) {
    std::vector<std::string> out;
    soci::rowset<soci::row> rows = (sql_.prepare << "SELECT tag FROM contact_tags WHERE CAST(contact_id AS TEXT) = :c ORDER BY tag",
                                    soci::use(contact_id));
    for (const auto& r : rows) out.push_back(rowText(r, 0));
    return out;
}

}  // namespace parley::core

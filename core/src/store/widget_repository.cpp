// SQL for widgets and widget_installations, always scoped by tenant_id for admin reads.
#include "store/widget_repository.hpp"

#include "store/row.hpp"

namespace parley::core {

namespace {
std::vector<std::string> toStrings(const JsonArray& a) {
    std::vector<std::string> out;
    for (const auto& v : *a)
        if (v.isString()) out.push_back(v.extract<std::string>());
    return out;
}
JsonArray toArray(const std::vector<std::string>& v) {
    JsonArray a = jsonArray();
    for (const auto& s : v) a->add(s);
    return a;
}
const char* kColumns =
    "SELECT id, tenant_id, name, site_id, public_key, secret_ciphertext, secret_hint, config, allowed_domains, "
    "blocked_domains, is_active, version, created_by, created_at, updated_at FROM widgets ";
}  // namespace

JsonObject Widget::toJson() const {
    JsonObject o = jsonObject();
    o->set("id", id);
    o->set("tenant_id", tenant_id);
    o->set("name", name);
    o->set("site_id", site_id.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(site_id));
    o->set("public_key", public_key);
    o->set("secret_hint", secret_hint);
    o->set("config", config);
    o->set("allowed_domains", toArray(allowed_domains));
    o->set("blocked_domains", toArray(blocked_domains));
    o->set("is_active", is_active);
    o->set("version", static_cast<Poco::Int64>(version));
    o->set("created_by", created_by.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(created_by));
    o->set("created_at", static_cast<Poco::Int64>(created_at));
    o->set("updated_at", static_cast<Poco::Int64>(updated_at));
    return o;
}

std::vector<Widget> WidgetRepository::query(const std::string& where, const std::vector<std::string>& args) {
    std::vector<Widget> out;
    std::string text = std::string(kColumns) + where;
    auto read = [&](soci::rowset<soci::row>& rows) {
        for (const auto& r : rows) {
            Widget w;
            w.id = rowText(r, 0);
            w.tenant_id = rowText(r, 1);
            w.name = rowText(r, 2);
            w.site_id = rowText(r, 3);
            w.public_key = rowText(r, 4);
            w.secret_ciphertext = rowText(r, 5);
            w.secret_hint = rowText(r, 6);
            w.config = storedObject(rowText(r, 7));
            w.allowed_domains = toStrings(storedArray(rowText(r, 8)));
            w.blocked_domains = toStrings(storedArray(rowText(r, 9)));
            w.is_active = rowInt(r, 10) != 0;
            w.version = rowInt(r, 11);
            w.created_by = rowText(r, 12);
            w.created_at = rowInt(r, 13);
            w.updated_at = rowInt(r, 14);
            out.push_back(std::move(w));
        }
    };
    if (args.size() == 1) {
        soci::rowset<soci::row> rows = (sql_.prepare << text, soci::use(args[0]));
        read(rows);
    } else {
        soci::rowset<soci::row> rows = (sql_.prepare << text, soci::use(args[0]), soci::use(args[1]));
        read(rows);
    }
    return out;
}

std::optional<Widget> WidgetRepository::find(const std::string& tenant_id, const std::string& id) {
    auto found = query("WHERE tenant_id = :t AND id = :id", {tenant_id, id});
    if (found.empty()) return std::nullopt;
    return found.front();
}

std::optional<Widget> WidgetRepository::findByPublicKey(const std::string& public_key) {
    auto found = query("WHERE public_key = :k", {public_key});
    if (found.empty()) return std::nullopt;
    return found.front();
}

std::optional<Widget> WidgetRepository::findBySiteId(const std::string& site_id) {
    auto found = query("WHERE site_id = :s", {site_id});
    if (found.empty()) return std::nullopt;
    return found.front();
}

std::vector<Widget> WidgetRepository::listForTenant(const std::string& tenant_id) {
    return query("WHERE tenant_id = :t ORDER BY created_at", {tenant_id});
}

std::optional<std::pair<long long, long long>> WidgetRepository::freshnessOf(const std::string& public_key) {
    long long version = 0, tenant_updated = 0;
    sql_ << "SELECT w.version, t.updated_at FROM widgets w JOIN tenants t ON t.id = w.tenant_id "
            "WHERE w.public_key = :k",
        soci::use(public_key), soci::into(version), soci::into(tenant_updated);
    if (!sql_.got_data()) return std::nullopt;
    return std::make_pair(version, tenant_updated);
}

void WidgetRepository::insert(const Widget& w) {
    std::string config = toJson(w.config), allowed = toJson(toArray(w.allowed_domains)),
                blocked = toJson(toArray(w.blocked_domains));
    int active = w.is_active ? 1 : 0;
    soci::indicator site_ind = w.site_id.empty() ? soci::i_null : soci::i_ok;
    soci::indicator by_ind = w.created_by.empty() ? soci::i_null : soci::i_ok;
    sql_ << "INSERT INTO widgets (id, tenant_id, name, site_id, public_key, secret_ciphertext, secret_hint, config, "
            "allowed_domains, blocked_domains, is_active, version, created_by, created_at, updated_at) VALUES "
            "(:id, :t, :n, :s, :k, :sc, :sh, :c, :a, :b, :act, :v, :by, :ca, :ua)",
        soci::use(w.id), soci::use(w.tenant_id), soci::use(w.name), soci::use(w.site_id, site_ind),
        soci::use(w.public_key), soci::use(w.secret_ciphertext), soci::use(w.secret_hint), soci::use(config),
        soci::use(allowed), soci::use(blocked), soci::use(active), soci::use(w.version),
        soci::use(w.created_by, by_ind), soci::use(w.created_at), soci::use(w.updated_at);
}

void WidgetRepository::update(const Widget& w) {
    std::string config = toJson(w.config), allowed = toJson(toArray(w.allowed_domains)),
                blocked = toJson(toArray(w.blocked_domains));
    int active = w.is_active ? 1 : 0;
    soci::indicator site_ind = w.site_id.empty() ? soci::i_null : soci::i_ok;
    sql_ << "UPDATE widgets SET name = :n, site_id = :s, public_key = :k, secret_ciphertext = :sc, secret_hint = :sh, "
            "config = :c, allowed_domains = :a, blocked_domains = :b, is_active = :act, version = :v, "
            "updated_at = :ua WHERE tenant_id = :t AND id = :id",
        soci::use(w.name), soci::use(w.site_id, site_ind), soci::use(w.public_key), soci::use(w.secret_ciphertext),
        soci::use(w.secret_hint), soci::use(config), soci::use(allowed), soci::use(blocked), soci::use(active),
        soci::use(w.version), soci::use(w.updated_at), soci::use(w.tenant_id), soci::use(w.id);
}

void WidgetRepository::remove(const std::string& tenant_id, const std::string& id) {
    sql_ << "DELETE FROM widgets WHERE tenant_id = :t AND id = :id", soci::use(tenant_id), soci::use(id);
}

bool WidgetRepository::recordInstallation(const Widget& w, const std::string& domain, long long now) {
    int n = 0;
    sql_ << "SELECT COUNT(*) FROM widget_installations WHERE widget_id = :w AND domain = :d", soci::use(w.id),
        soci::use(domain), soci::into(n);
    if (n > 0) {
        sql_ << "UPDATE widget_installations SET last_seen_at = :n WHERE widget_id = :w AND domain = :d",
            soci::use(now), soci::use(w.id), soci::use(domain);
        return false;
    }
    sql_ << "INSERT INTO widget_installations (widget_id, tenant_id, domain, first_seen_at, last_seen_at) "
            "VALUES (:w, :t, :d, :f, :l) ON CONFLICT (widget_id, domain) DO NOTHING",
        soci::use(w.id), soci::use(w.tenant_id), soci::use(domain), soci::use(now), soci::use(now);
    return true;
}

std::vector<Installation> WidgetRepository::installations(const std::string& tenant_id, const std::string& widget_id) {
    std::vector<Installation> out;
    soci::rowset<soci::row> rows =
        (sql_.prepare << "SELECT domain, first_seen_at, last_seen_at FROM widget_installations "
                         "WHERE tenant_id = :t AND widget_id = :w ORDER BY first_seen_at",
         soci::use(tenant_id), soci::use(widget_id));
    for (const auto& r : rows) out.push_back({rowText(r, 0), rowInt(r, 1), rowInt(r, 2)});
    return out;
}

}  // namespace parley::core

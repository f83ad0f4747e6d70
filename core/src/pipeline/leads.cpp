// Contacts are matched within the tenant, so the same person chatting twice is one contact with two leads.
#include "pipeline/leads.hpp"

#include "app/app.hpp"
#include "app/errors.hpp"
#include "store/database.hpp"
#include "store/user_repository.hpp"

#include <Poco/String.h>

namespace parley::core {

LeadInput leadInputFrom(const JsonObject& body) {
    LeadInput in;
    in.name = Poco::trim(optString(body, "name", 200).value_or(""));
    std::string email = Poco::trim(optString(body, "email", 254).value_or(""));
    in.email = email.empty() ? "" : normalizeEmail("email", email);
    in.phone = Poco::trim(optString(body, "phone", 40).value_or(""));
    for (char c : in.phone)
        if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '+' || c == ' ' || c == '-' || c == '(' || c == ')'))
            throw invalidField("phone", "may hold only digits, spaces and + - ( )");
    in.consent = optBool(body, "consent").value_or(false);
    if (in.email.empty() && in.phone.empty()) throw invalidField("email", "or 'phone' is required");
    return in;
}

JsonObject captureLead(App& app, const Conversation& c, LeadInput in) {
    long long now = nowMs();
    JsonObject attribution = jsonObject();
    if (c.context) {
        for (const char* key : {"utm", "page_url", "referrer", "landing_page", "custom"})
            if (c.context->has(key)) attribution->set(key, c.context->get(key));
    }
    std::string lead_id = newUuid();
    JsonObject lead = jsonObject();
    lead->set("id", lead_id);
    lead->set("contact_id", std::string());
    lead->set("conversation_id", c.id);
    lead->set("source", in.source);
    lead->set("name", in.name);
    lead->set("email", in.email);
    lead->set("phone", in.phone);
    lead->set("consent", in.consent);
    lead->set("attribution", attribution);
    lead->set("created_at", static_cast<Poco::Int64>(now));
    app.db->write([&](soci::session& sql) {
        std::string contact_id;
        auto lookup = [&](const char* column, const std::string& value) {
            soci::indicator ind = soci::i_null;
            std::string found;
            sql << std::string("SELECT id FROM contacts WHERE tenant_id = :t AND ") + column + " = :v",
                soci::use(c.tenant_id), soci::use(value), soci::into(found, ind);
            if (sql.got_data() && ind == soci::i_ok) contact_id = found;
        };
        if (!in.email.empty()) lookup("email", in.email);
        if (contact_id.empty() && !in.phone.empty()) lookup("phone", in.phone);
        if (!contact_id.empty()) {
            // Fill what we did not know; never erase what we did.
            if (!in.name.empty())
                sql << "UPDATE contacts SET name = :n, updated_at = :u WHERE id = :id", soci::use(in.name), soci::use(now),
                    soci::use(contact_id);
            if (!in.email.empty())
                sql << "UPDATE contacts SET email = :e WHERE id = :id AND email = ''", soci::use(in.email),
                    soci::use(contact_id);
            if (!in.phone.empty())
                sql << "UPDATE contacts SET phone = :p WHERE id = :id AND phone = ''", soci::use(in.phone),
                    soci::use(contact_id);
        } else {
            contact_id = newUuid();
            sql << "INSERT INTO contacts (id, tenant_id, name, email, phone, created_at, updated_at) "
                   "VALUES (:id, :t, :n, :e, :p, :c, :u)",
                soci::use(contact_id), soci::use(c.tenant_id), soci::use(in.name), soci::use(in.email),
                soci::use(in.phone), soci::use(now), soci::use(now);
        }
        int consent = in.consent ? 1 : 0;
        soci::indicator consent_ind = in.consent ? soci::i_ok : soci::i_null;
        std::string attribution_text = toJson(attribution);
        sql << "INSERT INTO leads (id, tenant_id, contact_id, conversation_id, widget_id, source, name, email, phone, "
               "consent, consent_at, attribution, created_at) VALUES (:id, :t, :ct, :cv, :w, :s, :n, :e, :p, :cs, :ca, "
               ":a, :c)",
            soci::use(lead_id), soci::use(c.tenant_id), soci::use(contact_id), soci::use(c.id), soci::use(c.widget_id),
            soci::use(in.source), soci::use(in.name), soci::use(in.email), soci::use(in.phone), soci::use(consent),
            soci::use(now, consent_ind), soci::use(attribution_text), soci::use(now);
        lead->set("contact_id", contact_id);
        JsonObject event = jsonObject();
        event->set("lead", lead);
        appendOutboxEvent(sql, c.tenant_id, "lead.captured", event);  // same transaction as the lead
    });
    return lead;
}

}  // namespace parley::core

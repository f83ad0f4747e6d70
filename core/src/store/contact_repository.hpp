// Contacts (one per person per tenant, created by lead capture or by an admin) and their tags.
#pragma once

#include "http/json.hpp"

#include <soci/soci.h>

#include <optional>
#include <string>
#include <vector>

namespace parley::core {

struct Contact {
    std::string id;
    std::string tenant_id;
    std::string name;
    std::string email;
    std::string phone;
    std::vector<std::string> tags;  // sorted
    long long created_at = 0;
    long long updated_at = 0;

    JsonObject toJson() const;
};

// Tags as stored: lower case, 1 to 50 of [a-z0-9_-], no repeats, at most 20. Throws invalidField(`field`, ...).
std::vector<std::string> normalizeTags(const std::vector<std::string>& tags, const std::string& field);

class ContactRepository {
public:
    explicit ContactRepository(soci::session& sql) : sql_(sql) {}

    // A tenant's contacts carrying `tag` ("" for all), in id order after `after` ("" from the start), at most
    // `limit`, each with its tags. Page with after = the last id given.
    std::vector<Contact> list(const std::string& tenant_id, const std::string& tag, const std::string& after, int limit);
    std::optional<Contact> find(const std::string& tenant_id, const std::string& id);
    void insert(const Contact& c);
    // Replaces the contact's tags (call inside a write transaction).
    void setTags(const std::string& tenant_id, const std::string& contact_id, const std::vector<std::string>& tags,
                 long long now);

private:
    std::vector<std::string> tagsOf(const std::string& contact_id);
    soci::session& sql_;
};

}  // namespace parley::core

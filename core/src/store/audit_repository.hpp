// The audit log: who changed what, before and after, from which (hashed) IP, when.
#pragma once

#include "http/json.hpp"

#include <soci/soci.h>

#include <string>
#include <vector>

namespace parley::core {

struct AuditEntry {
    std::string id;
    std::string tenant_id;  // the tenant acted on; kept after the tenant is deleted (no foreign key)
    std::string actor_user_id;
    std::string action;  // "widget.updated"
    std::string resource_type;
    std::string resource_id;
    JsonObject before;  // null when created
    JsonObject after;   // null when deleted
    std::string ip_hash;
    long long created_at = 0;

    JsonObject toJson() const;
};

class AuditRepository {
public:
    explicit AuditRepository(soci::session& sql) : sql_(sql) {}
    void append(const AuditEntry& entry);
    // Newest first; `before_ms` pages backwards (0 = from now).
    std::vector<AuditEntry> list(const std::string& tenant_id, long long before_ms, int limit);

private:
    soci::session& sql_;
};

}  // namespace parley::core

// Which websites may embed a widget: allowed and blocked domain lists with wildcards ("*.acme.com").
#pragma once

#include <string>
#include <vector>

namespace parley::core {

// The lower-case host of an Origin header ("https://Shop.Acme.com:8443" -> "shop.acme.com"); "" if malformed.
std::string originHost(const std::string& origin);

// Normalizes what an admin typed ("https://www.acme.com/", "*.ACME.com") into a pattern; throws ApiError 422
// naming `field` when it is not a host name or a "*." wildcard.
std::string normalizeDomainPattern(const std::string& field, const std::string& text);

// "acme.com" matches only acme.com; "*.acme.com" matches any subdomain (shop.acme.com, a.b.acme.com), not
// acme.com itself; "*" matches every host.
bool domainMatches(const std::string& pattern, const std::string& host);

enum class OriginVerdict { allowed, blocked, not_allowed };

// Blocked wins over allowed; an empty allow list allows every host that is not blocked.
OriginVerdict checkOrigin(const std::vector<std::string>& allowed, const std::vector<std::string>& blocked,
                          const std::string& host);

}  // namespace parley::core

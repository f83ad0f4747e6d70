// Host extraction and wildcard matching for widget domain lists.
#include "widgets/origin_policy.hpp"

#include "app/errors.hpp"

#include <Poco/String.h>

namespace parley::core {

std::string originHost(const std::string& origin) {
    auto scheme = origin.find("://");
    if (scheme == std::string::npos) return "";
    std::string rest = origin.substr(scheme + 3);
    auto end = rest.find_first_of("/?#");
    if (end != std::string::npos) rest = rest.substr(0, end);
    auto at = rest.rfind('@');
    if (at != std::string::npos) rest = rest.substr(at + 1);
    if (!rest.empty() && rest.front() == '[') {  // IPv6 literal
        auto close = rest.find(']');
        return close == std::string::npos ? "" : Poco::toLower(rest.substr(0, close + 1));
    }
    auto colon = rest.find(':');
    if (colon != std::string::npos) rest = rest.substr(0, colon);
    return Poco::toLower(rest);
}

std::string normalizeDomainPattern(const std::string& field, const std::string& text) {
    std::string s = Poco::toLower(Poco::trim(text));
    if (s.find("://") != std::string::npos) s = originHost(s);
    auto slash = s.find('/');
    if (slash != std::string::npos) s = s.substr(0, slash);
    auto colon = s.find(':');
    if (colon != std::string::npos && s.front() != '[') s = s.substr(0, colon);
    if (s == "*") return s;
    std::string host = s.rfind("*.", 0) == 0 ? s.substr(2) : s;
    bool ok = !host.empty() && host.size() <= 253;
    for (char c : host)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) ok = false;
    for (size_t label = 0; ok && label <= host.size();) {  // each dot-separated label: 1-63 chars, no edge '-'
        size_t dot = host.find('.', label);
        std::string part = host.substr(label, dot == std::string::npos ? std::string::npos : dot - label);
        if (part.empty() || part.size() > 63 || part.front() == '-' || part.back() == '-') ok = false;
        if (dot == std::string::npos) break;
        label = dot + 1;
    }
    if (!ok || host.front() == '.' || host.back() == '.')
        throw invalidField(field, "has '" + text + "', which is not a domain like acme.com or *.acme.com");
    return s;
}

bool domainMatches(const std::string& pattern, const std::string& host) {
    if (pattern == "*") return true;
    if (pattern.rfind("*.", 0) == 0) {
        std::string suffix = pattern.substr(1);  // ".acme.com"
        return host.size() > suffix.size() && host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0;
    }
    return pattern == host;
}

OriginVerdict checkOrigin(const std::vector<std::string>& allowed, const std::vector<std::string>& blocked,
                          const std::string& host) {
    for (const auto& p : blocked)
        if (domainMatches(p, host)) return OriginVerdict::blocked;
    if (allowed.empty()) return OriginVerdict::allowed;
    for (const auto& p : allowed)
        if (domainMatches(p, host)) return OriginVerdict::allowed;
    return OriginVerdict::not_allowed;
}

}  // namespace parley::core

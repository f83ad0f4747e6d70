// Proves which embedding sites a widget accepts: Origin host extraction, pattern normalization and matching.
#include "widgets/origin_policy.hpp"

#include "support.hpp"

#include <boost/test/unit_test.hpp>

using namespace parley::core;
using core_test::apiErrorFrom;
using core_test::contains;

namespace {

const char* verdictName(OriginVerdict v) {
    switch (v) {
        case OriginVerdict::allowed: return "allowed";
        case OriginVerdict::blocked: return "blocked";
        case OriginVerdict::not_allowed: return "not_allowed";
    }
    return "?";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(origin_policy)

BOOST_AUTO_TEST_CASE(origin_host_is_the_lowercase_host_without_scheme_port_userinfo_or_path) {
    struct Case {
        const char* origin;
        const char* host;
    };
    const Case cases[] = {
        {"https://Shop.Acme.com:8443", "shop.acme.com"},
        {"http://acme.com", "acme.com"},
        {"HTTPS://ACME.COM", "acme.com"},
        {"https://acme.com/", "acme.com"},
        {"https://acme.com?x=1", "acme.com"},
        {"https://acme.com#top", "acme.com"},
        {"https://user:pw@acme.com:8080", "acme.com"},
        {"https://good.com@evil.com", "evil.com"},   // userinfo never passes for the host
        {"https://evil.com/@good.com", "evil.com"},  // an @ in the path is not userinfo
        {"http://[::1]:8080", "[::1]"},
        {"http://[2001:DB8::1]", "[2001:db8::1]"},
        {"http://127.0.0.1:3000", "127.0.0.1"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.origin) {
            BOOST_TEST(originHost(c.origin) == c.host);
        }
    }
}

BOOST_AUTO_TEST_CASE(origin_host_of_a_malformed_origin_is_empty) {
    for (const char* origin : {"", "null", "acme.com", "//acme.com:80", "https://", "http://[::1", "https:///path"}) {
        BOOST_TEST_CONTEXT("'" << origin << "'") {
            BOOST_TEST(originHost(origin) == "");
        }
    }
}

BOOST_AUTO_TEST_CASE(domain_patterns_are_normalized_from_what_admins_type) {
    struct Case {
        const char* typed;
        const char* pattern;
    };
    const Case cases[] = {
        {"https://www.acme.com/", "www.acme.com"},
        {"*.ACME.com", "*.acme.com"},
        {"  acme.com \t", "acme.com"},
        {"acme.com/pricing?x=1", "acme.com"},
        {"acme.com:8080", "acme.com"},
        {"http://localhost:3000", "localhost"},
        {"https://user@shop.acme.com:8443/cart", "shop.acme.com"},
        {"*", "*"},
        {"xn--bcher-kva.example", "xn--bcher-kva.example"},
        {"127.0.0.1", "127.0.0.1"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT("'" << c.typed << "'") {
            BOOST_TEST(normalizeDomainPattern("allowed_domains[0]", c.typed) == c.pattern);
        }
    }
}

BOOST_AUTO_TEST_CASE(patterns_that_are_not_host_names_are_422_naming_the_field_and_the_text) {
    const std::string too_long = std::string(250, 'a') + ".com";
    const std::string cases[] = {"ac me.com",      "*.",          "",          "   ",          ".acme.com",
                                 "acme.com.",      "*.*.acme.com", "a*b.com",   "acme_com.com", "[::1]",
                                 "https://",       "*acme.com",    too_long};
    for (const auto& typed : cases) {
        BOOST_TEST_CONTEXT("'" << typed << "'") {
            auto e = apiErrorFrom([&] { normalizeDomainPattern("blocked_domains[2]", typed); });
            BOOST_REQUIRE(e.has_value());
            BOOST_TEST(e->status() == 422);
            BOOST_TEST(contains(e->what(), "'blocked_domains[2]'"), e->what());
            BOOST_TEST(contains(e->what(), "'" + typed + "'"), e->what());
        }
    }
}

BOOST_AUTO_TEST_CASE(wildcard_matches_subdomains_but_not_apex_and_exact_matches_only_itself) {
    struct Case {
        const char* pattern;
        const char* host;
        bool matches;
    };
    const Case cases[] = {
        {"acme.com", "acme.com", true},
        {"acme.com", "shop.acme.com", false},
        {"acme.com", "acme.co", false},
        {"acme.com", "notacme.com", false},
        {"*.acme.com", "shop.acme.com", true},
        {"*.acme.com", "a.b.acme.com", true},
        {"*.acme.com", "acme.com", false},
        {"*.acme.com", "evilacme.com", false},
        {"*.acme.com", "acme.com.evil.com", false},
        {"*.acme.com", ".acme.com", false},
        {"*.acme.com", "", false},
        {"*", "anything.example", true},
        {"*", "[::1]", true},
        {"shop.acme.com", "shop.acme.com", true},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.pattern << " vs " << c.host) {
            BOOST_TEST(domainMatches(c.pattern, c.host) == c.matches);
        }
    }
}

BOOST_AUTO_TEST_CASE(blocked_wins_over_allowed_and_an_empty_allow_list_allows_the_rest) {
    struct Case {
        std::vector<std::string> allowed, blocked;
        const char* host;
        OriginVerdict verdict;
    };
    const Case cases[] = {
        {{"*.acme.com"}, {"evil.acme.com"}, "shop.acme.com", OriginVerdict::allowed},
        {{"*.acme.com"}, {"evil.acme.com"}, "evil.acme.com", OriginVerdict::blocked},
        {{"*.acme.com"}, {"evil.acme.com"}, "other.com", OriginVerdict::not_allowed},
        {{"acme.com", "*.acme.com"}, {}, "acme.com", OriginVerdict::allowed},
        {{"*.acme.com"}, {}, "acme.com", OriginVerdict::not_allowed},
        {{}, {}, "anyone.example", OriginVerdict::allowed},
        {{}, {"*.spam.example"}, "x.spam.example", OriginVerdict::blocked},
        {{}, {"*.spam.example"}, "ham.example", OriginVerdict::allowed},
        {{"*"}, {"bad.example"}, "bad.example", OriginVerdict::blocked},
        {{"*"}, {"bad.example"}, "good.example", OriginVerdict::allowed},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.host) {
            BOOST_TEST(verdictName(checkOrigin(c.allowed, c.blocked, c.host)) == verdictName(c.verdict));
        }
    }
}

BOOST_AUTO_TEST_CASE(origin_checked_end_to_end_from_header_to_verdict) {
    // What the public widget route does: take the Origin header, extract the host, check the lists.
    std::vector<std::string> allowed = {normalizeDomainPattern("allowed_domains[0]", "*.Acme.com")};
    BOOST_TEST(verdictName(checkOrigin(allowed, {}, originHost("https://Shop.ACME.com:443"))) ==
               verdictName(OriginVerdict::allowed));
    BOOST_TEST(verdictName(checkOrigin(allowed, {}, originHost("https://shop.acme.com@evil.example"))) ==
               verdictName(OriginVerdict::not_allowed));
}

BOOST_AUTO_TEST_SUITE_END()

// A backtracking matcher for Lua patterns, written from the reference manual, that counts its steps.
// Everything here is plain data (pointers, fixed arrays), because errors leave by longjmp.
#include "lua/lua_pattern.hpp"

#include <cctype>
#include <cstring>

#include "lua/sandbox.hpp"

namespace parley::core {
namespace {

constexpr int kMaxCaptures = 32;
constexpr int kMaxDepth = 200;  // nested matching calls before "pattern too complex"
constexpr long long kChargeEvery = 1024;
constexpr ptrdiff_t kCapUnfinished = -1;
constexpr ptrdiff_t kCapPosition = -2;
constexpr char kSpecials[] = "^$*+?.([%-";

struct Matcher {
    lua_State* L;
    const char* src_init;
    const char* src_end;
    const char* p_end;
    int depth;
    int level;
    long long steps;  // not yet charged
    struct {
        const char* init;
        ptrdiff_t len;
    } capture[kMaxCaptures];
};

void tick(Matcher& m, long long n = 1) {
    m.steps += n;
    if (m.steps >= kChargeEvery) {
        long long steps = m.steps;
        m.steps = 0;
        LuaSandbox::chargeSteps(m.L, steps);
    }
}

void settle(Matcher& m) {
    long long steps = m.steps;
    m.steps = 0;
    if (steps) LuaSandbox::chargeSteps(m.L, steps);
}

void reset(Matcher& m) {
    m.level = 0;
    m.depth = 0;
}

void prepare(Matcher& m, lua_State* L, const char* s, size_t ls, const char* p, size_t lp) {
    m.L = L;
    m.src_init = s;
    m.src_end = s + ls;
    m.p_end = p + lp;
    m.steps = 0;
    reset(m);
}

bool classMatches(int c, int cl) {
    bool res;
    switch (std::tolower(cl)) {
        case 'a':
            res = std::isalpha(c);
            break;
        case 'c':
            res = std::iscntrl(c);
            break;
        case 'd':
            res = std::isdigit(c);
            break;
        case 'g':
            res = std::isgraph(c);
            break;
        case 'l':
            res = std::islower(c);
            break;
        case 'p':
            res = std::ispunct(c);
            break;
        case 's':
            res = std::isspace(c);
            break;
        case 'u':
            res = std::isupper(c);
            break;
        case 'w':
            res = std::isalnum(c);
            break;
        case 'x':
            res = std::isxdigit(c);
            break;
        default:
            return cl == c;  // %. %% %[ ...: the character itself
    }
    return std::isupper(cl) ? !res : res;
}

// The end of the single-character class that starts at p (one past it).
const char* classEnd(Matcher& m, const char* p) {
    char first = *p++;
    if (first == '%') {
        if (p >= m.p_end) luaL_error(m.L, "malformed pattern (ends with '%%')");
        return p + 1;
    }
    if (first == '[') {
        if (p < m.p_end && *p == '^') p++;
        // The first character of a set is literal even when it is ']'.
        do {
            if (p >= m.p_end) luaL_error(m.L, "malformed pattern (missing ']')");
            char c = *p++;
            if (c == '%' && p < m.p_end) p++;
        } while (p >= m.p_end || *p != ']');
        return p + 1;
    }
    return p;
}

// c against the set [..] from p ('[') to last (its ']').
bool setMatches(int c, const char* p, const char* last) {
    bool wanted = true;
    p++;
    if (*p == '^') {
        wanted = false;
        p++;
    }
    while (p < last) {
        if (*p == '%' && p + 1 < last) {
            if (classMatches(c, static_cast<unsigned char>(p[1]))) return wanted;
            p += 2;
        } else if (p + 2 < last && p[1] == '-') {
            if (static_cast<unsigned char>(p[0]) <= c && c <= static_cast<unsigned char>(p[2])) return wanted;
            p += 3;
        } else {
            if (static_cast<unsigned char>(*p) == c) return wanted;
            p++;
        }
    }
    return !wanted;
}

bool singleMatches(Matcher& m, const char* s, const char* p, const char* ep) {
    if (s >= m.src_end) return false;
    int c = static_cast<unsigned char>(*s);
    switch (*p) {
        case '.':
            return true;
        case '%':
            return classMatches(c, static_cast<unsigned char>(p[1]));
        case '[':
            return setMatches(c, p, ep - 1);
        default:
            return static_cast<unsigned char>(*p) == c;
    }
}

const char* match(Matcher& m, const char* s, const char* p);

const char* maxExpand(Matcher& m, const char* s, const char* p, const char* ep) {
    ptrdiff_t i = 0;
    while (singleMatches(m, s + i, p, ep)) {
        i++;
        tick(m);
    }
    for (; i >= 0; --i) {
        if (const char* res = match(m, s + i, ep + 1)) return res;
        tick(m);
    }
    return nullptr;
}

const char* minExpand(Matcher& m, const char* s, const char* p, const char* ep) {
    for (;;) {
        if (const char* res = match(m, s, ep + 1)) return res;
        if (!singleMatches(m, s, p, ep)) return nullptr;
        s++;
        tick(m);
    }
}

const char* startCapture(Matcher& m, const char* s, const char* p, ptrdiff_t what) {
    if (m.level >= kMaxCaptures) luaL_error(m.L, "too many captures");
    m.capture[m.level].init = s;
    m.capture[m.level].len = what;
    m.level++;
    const char* res = match(m, s, p);
    if (!res) m.level--;
    return res;
}

const char* endCapture(Matcher& m, const char* s, const char* p) {
    int open = -1;
    for (int i = m.level - 1; i >= 0; --i)
        if (m.capture[i].len == kCapUnfinished) {
            open = i;
            break;
        }
    if (open < 0) luaL_error(m.L, "invalid pattern capture");
    m.capture[open].len = s - m.capture[open].init;
    const char* res = match(m, s, p);
    if (!res) m.capture[open].len = kCapUnfinished;
    return res;
}

int captureIndex(Matcher& m, int digit) {
    int i = digit - '1';
    if (i < 0 || i >= m.level || m.capture[i].len == kCapUnfinished)
        luaL_error(m.L, "invalid capture index %%%d", i + 1);
    return i;
}

const char* matchBalance(Matcher& m, const char* s, const char* p) {
    if (p + 1 >= m.p_end) luaL_error(m.L, "malformed pattern (missing arguments to '%%b')");
    if (s >= m.src_end || *s != *p) return nullptr;
    char open = p[0], close = p[1];
    int depth = 1;
    while (++s < m.src_end) {
        tick(m);
        if (*s == close) {
            if (--depth == 0) return s + 1;
        } else if (*s == open) {
            depth++;
        }
    }
    return nullptr;
}

const char* matchBackReference(Matcher& m, const char* s, int digit) {
    int i = captureIndex(m, digit);
    ptrdiff_t len = m.capture[i].len;
    if (len == kCapPosition) luaL_error(m.L, "invalid capture index %%%d", i + 1);
    tick(m, 1 + len / 16);
    if (m.src_end - s >= len && std::memcmp(m.capture[i].init, s, static_cast<size_t>(len)) == 0)
        return s + len;
    return nullptr;
}

// Matches pattern p at s; returns the end of the match or nullptr. Items that consume one character loop
// here; quantifiers and captures recurse.
const char* match(Matcher& m, const char* s, const char* p) {
    if (++m.depth > kMaxDepth) luaL_error(m.L, "pattern too complex");
    for (;;) {
        tick(m);
        if (p >= m.p_end) break;
        if (*p == '(') {
            s = (p + 1 < m.p_end && p[1] == ')') ? startCapture(m, s, p + 2, kCapPosition)
                                                 : startCapture(m, s, p + 1, kCapUnfinished);
            break;
        }
        if (*p == ')') {
            s = endCapture(m, s, p + 1);
            break;
        }
        if (*p == '$' && p + 1 == m.p_end) {
            s = s == m.src_end ? s : nullptr;
            break;
        }
        if (*p == '%' && p + 1 < m.p_end) {
            char next = p[1];
            if (next == 'b') {
                s = matchBalance(m, s, p + 2);
                if (!s) break;
                p += 4;
                continue;
            }
            if (next == 'f') {
                p += 2;
                if (p >= m.p_end || *p != '[') luaL_error(m.L, "missing '[' after '%%f' in pattern");
                const char* ep = classEnd(m, p);
                int previous = s == m.src_init ? 0 : static_cast<unsigned char>(s[-1]);
                int current = s < m.src_end ? static_cast<unsigned char>(*s) : 0;
                if (!setMatches(previous, p, ep - 1) && setMatches(current, p, ep - 1)) {
                    p = ep;
                    continue;
                }
                s = nullptr;
                break;
            }
            if (next >= '0' && next <= '9') {
                s = matchBackReference(m, s, next);
                if (!s) break;
                p += 2;
                continue;
            }
        }
        const char* ep = classEnd(m, p);
        char quantifier = ep < m.p_end ? *ep : '\0';
        if (!singleMatches(m, s, p, ep)) {
            if (quantifier == '*' || quantifier == '?' || quantifier == '-') {
                p = ep + 1;  // zero repetitions are fine
                continue;
            }
            s = nullptr;
            break;
        }
        if (quantifier == '?') {
            if (const char* res = match(m, s + 1, ep + 1)) {
                s = res;
                break;
            }
            p = ep + 1;
            continue;
        }
        if (quantifier == '+') {
            s = maxExpand(m, s + 1, p, ep);
            break;
        }
        if (quantifier == '*') {
            s = maxExpand(m, s, p, ep);
            break;
        }
        if (quantifier == '-') {
            s = minExpand(m, s, p, ep);
            break;
        }
        s++;
        p = ep;
    }
    m.depth--;
    return s;
}

// Pushes capture i (or the whole match s..e when the pattern has no captures and i is 0).
void pushCapture(Matcher& m, int i, const char* s, const char* e) {
    if (i >= m.level) {
        if (i != 0) luaL_error(m.L, "invalid capture index %%%d", i + 1);
        lua_pushlstring(m.L, s, static_cast<size_t>(e - s));
        return;
    }
    ptrdiff_t len = m.capture[i].len;
    if (len == kCapUnfinished) luaL_error(m.L, "unfinished capture");
    if (len == kCapPosition)
        lua_pushinteger(m.L, (m.capture[i].init - m.src_init) + 1);
    else
        lua_pushlstring(m.L, m.capture[i].init, static_cast<size_t>(len));
}

// Pushes every capture, or the whole match when there are none and `s` is given; returns how many.
int pushCaptures(Matcher& m, const char* s, const char* e) {
    int n = (m.level == 0 && s) ? 1 : m.level;
    luaL_checkstack(m.L, n, "too many captures");
    for (int i = 0; i < n; ++i) pushCapture(m, i, s, e);
    return n;
}

bool hasSpecials(const char* p, size_t lp) {
    for (size_t i = 0; i < lp; ++i)
        if (std::memchr(kSpecials, p[i], sizeof kSpecials - 1)) return true;
    return false;
}

// A plain substring search that charges for what it compares.
const char* plainFind(lua_State* L, const char* s, size_t ls, const char* p, size_t lp) {
    if (lp == 0) return s;
    if (lp > ls) return nullptr;
    long long charged = 0;
    const char* end = s + (ls - lp) + 1;
    for (const char* at = s; at < end;) {
        const void* hit = std::memchr(at, *p, static_cast<size_t>(end - at));
        if (!hit) break;
        at = static_cast<const char*>(hit);
        charged += 1 + static_cast<long long>(lp) / 32 + (at - s) / 256;
        if (charged >= kChargeEvery) {
            LuaSandbox::chargeSteps(L, charged);
            charged = 0;
        }
        if (std::memcmp(at + 1, p + 1, lp - 1) == 0) return at;
        at++;
    }
    if (charged) LuaSandbox::chargeSteps(L, charged);
    return nullptr;
}

// The 1-based start a string function was given, clipped to the string (manual: negative counts from the
// end).
size_t startIndex(lua_Integer pos, size_t len) {
    if (pos > 0) return static_cast<size_t>(pos);
    if (pos == 0) return 1;
    if (pos < -static_cast<lua_Integer>(len)) return 1;
    return len + static_cast<size_t>(pos) + 1;
}

int findOrMatch(lua_State* L, bool find) {
    size_t ls = 0, lp = 0;
    const char* s = luaL_checklstring(L, 1, &ls);
    const char* p = luaL_checklstring(L, 2, &lp);
    size_t init = startIndex(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) {
        luaL_pushfail(L);
        return 1;
    }
    if (find && (lua_toboolean(L, 4) || !hasSpecials(p, lp))) {
        if (const char* at = plainFind(L, s + init, ls - init, p, lp)) {
            lua_pushinteger(L, (at - s) + 1);
            lua_pushinteger(L, static_cast<lua_Integer>((at - s) + lp));
            return 2;
        }
        luaL_pushfail(L);
        return 1;
    }
    Matcher m;
    bool anchored = lp > 0 && *p == '^';
    if (anchored) {
        p++;
        lp--;
    }
    prepare(m, L, s, ls, p, lp);
    const char* s1 = s + init;
    do {
        reset(m);
        if (const char* e = match(m, s1, p)) {
            settle(m);
            if (find) {
                lua_pushinteger(L, (s1 - s) + 1);
                lua_pushinteger(L, e - s);
                return pushCaptures(m, nullptr, nullptr) + 2;
            }
            return pushCaptures(m, s1, e);
        }
        tick(m);
    } while (s1++ < m.src_end && !anchored);
    settle(m);
    luaL_pushfail(L);
    return 1;
}

int boundedFind(lua_State* L) { return findOrMatch(L, true); }
int boundedMatch(lua_State* L) { return findOrMatch(L, false); }

struct GmatchState {
    const char* src;
    const char* p;
    const char* last_match;
    Matcher m;
};

int gmatchNext(lua_State* L) {
    auto* g = static_cast<GmatchState*>(lua_touserdata(L, lua_upvalueindex(3)));
    g->m.L = L;  // the iterator may run in another coroutine than the one that made it
    for (const char* src = g->src; src <= g->m.src_end; src++) {
        reset(g->m);
        const char* e = match(g->m, src, g->p);
        if (e && e != g->last_match) {
            g->src = g->last_match = e;
            settle(g->m);
            return pushCaptures(g->m, src, e);
        }
        tick(g->m);
    }
    settle(g->m);
    return 0;
}

int boundedGmatch(lua_State* L) {
    size_t ls = 0, lp = 0;
    const char* s = luaL_checklstring(L, 1, &ls);
    const char* p = luaL_checklstring(L, 2, &lp);
    size_t init = startIndex(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) init = ls + 1;  // no matches
    lua_settop(L, 2);
    auto* g = static_cast<GmatchState*>(lua_newuserdatauv(L, sizeof(GmatchState), 0));
    prepare(g->m, L, s, ls, p, lp);
    g->src = s + init;
    g->p = p;
    g->last_match = nullptr;
    lua_pushcclosure(L, gmatchNext, 3);  // the subject and pattern stay alive as upvalues 1 and 2
    return 1;
}

// Appends the replacement for one match to b: a string with %0-%9, a table lookup or a function call.
void addReplacement(Matcher& m, luaL_Buffer* b, const char* s, const char* e, int repl_type) {
    lua_State* L = m.L;
    if (repl_type == LUA_TSTRING || repl_type == LUA_TNUMBER) {
        size_t l = 0;
        const char* r = lua_tolstring(L, 3, &l);
        const char* end = r + l;
        for (; r < end; r++) {
            if (*r != '%') {
                luaL_addchar(b, *r);
                continue;
            }
            r++;
            if (r >= end) luaL_error(L, "invalid use of '%%' in replacement string");
            if (*r == '%') {
                luaL_addchar(b, '%');
            } else if (*r == '0') {
                luaL_addlstring(b, s, static_cast<size_t>(e - s));
            } else if (*r >= '1' && *r <= '9') {
                pushCapture(m, *r - '1', s, e);
                luaL_tolstring(L, -1, nullptr);
                lua_remove(L, -2);
                luaL_addvalue(b);
            } else {
                luaL_error(L, "invalid use of '%%' in replacement string");
            }
        }
        tick(m, 1 + static_cast<long long>(l) / 16);
        return;
    }
    if (repl_type == LUA_TFUNCTION) {
        lua_pushvalue(L, 3);
        int n = pushCaptures(m, s, e);
        lua_call(L, n, 1);
    } else {
        pushCapture(m, 0, s, e);
        lua_gettable(L, 3);
    }
    if (!lua_toboolean(L, -1)) {
        lua_pop(L, 1);
        luaL_addlstring(b, s, static_cast<size_t>(e - s));  // false or nil: keep the original text
        return;
    }
    if (!lua_isstring(L, -1)) luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(b);
}

int boundedGsub(lua_State* L) {
    size_t ls = 0, lp = 0;
    const char* src = luaL_checklstring(L, 1, &ls);
    const char* p = luaL_checklstring(L, 2, &lp);
    int repl_type = lua_type(L, 3);
    lua_Integer max_n = luaL_optinteger(L, 4, static_cast<lua_Integer>(ls) + 1);
    luaL_argexpected(L,
                     repl_type == LUA_TNUMBER || repl_type == LUA_TSTRING || repl_type == LUA_TFUNCTION ||
                         repl_type == LUA_TTABLE,
                     3, "string/function/table");
    bool anchored = lp > 0 && *p == '^';
    if (anchored) {
        p++;
        lp--;
    }
    const char* last_match = nullptr;
    lua_Integer n = 0;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    Matcher m;
    prepare(m, L, src, ls, p, lp);
    while (n < max_n) {
        reset(m);
        const char* e = match(m, src, p);
        if (e && e != last_match) {
            n++;
            addReplacement(m, &b, src, e, repl_type);
            src = last_match = e;
        } else if (src < m.src_end) {
            luaL_addchar(&b, *src++);
        } else {
            break;
        }
        if (anchored) break;
        tick(m);
    }
    settle(m);
    luaL_addlstring(&b, src, static_cast<size_t>(m.src_end - src));
    luaL_pushresult(&b);
    lua_pushinteger(L, n);
    return 2;
}

}  // namespace

void installBoundedPatterns(lua_State* L, int string_table) {
    const luaL_Reg functions[] = {
        {"find", boundedFind}, {"match", boundedMatch}, {"gmatch", boundedGmatch}, {"gsub", boundedGsub}};
    for (const auto& f : functions) {
        lua_pushcfunction(L, f.func);
        lua_setfield(L, string_table, f.name);
    }
}

}  // namespace parley::core

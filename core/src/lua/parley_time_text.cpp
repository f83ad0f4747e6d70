// parley.time (local time in a zone, working hours) and parley.text (normalize, tokens), through ICU.
#include <cmath>

#include "http/json.hpp"
#include "lua/lua_value.hpp"
#include "lua/parley_api.hpp"
#include "lua/text_tools.hpp"
#include "widgets/working_hours.hpp"

namespace parley::core {
namespace {

constexpr size_t kMaxHoursBytes = 16 * 1024;

void setInteger(lua_State* L, const char* field, lua_Integer value) {
    lua_pushinteger(L, value);
    lua_setfield(L, -2, field);
}

// parley.time.localtime([tz [, epoch_seconds]]) -> {year, month, day, hour, minute, second, weekday, tz}
int timeLocal(lua_State* L) {
    ScriptRuntime& rt = runtimeOf(L);
    const char* tz = luaL_optstring(L, 1, "UTC");
    double at = lua_isnoneornil(L, 2) ? rt.now() : luaL_checknumber(L, 2);
    return cppSection(L, [&](std::string&) {
        LocalTime t = localTimeAt(at, tz);
        pushProtected(L, [&](lua_State* state) {
            lua_createtable(state, 0, 8);
            setInteger(state, "year", t.year);
            setInteger(state, "month", t.month);
            setInteger(state, "day", t.day);
            setInteger(state, "hour", t.hour);
            setInteger(state, "minute", t.minute);
            setInteger(state, "second", t.second);
            setInteger(state, "weekday", t.weekday);
            lua_pushstring(state, t.tz.c_str());
            lua_setfield(state, -2, "tz");
        });
        return 1;
    });
}

// One day's ranges as Lua gives them ({"09:00", "17:00"}, "09:00-17:00" or {start=, ["end"]=}) in the
// {start, end} form isOpenAt reads; throws std::invalid_argument naming the bad entry.
JsonArray dayRanges(const std::string& day, const Poco::Dynamic::Var& value) {
    JsonArray out = jsonArray();
    if (value.type() == typeid(Poco::JSON::Object::Ptr) &&
        value.extract<Poco::JSON::Object::Ptr>()->size() == 0)
        return out;  // {} : closed that day
    if (value.type() != typeid(Poco::JSON::Array::Ptr))
        throw std::invalid_argument("hours." + day +
                                    " must be a list of ranges such as {\"09:00\", \"17:00\"}");
    const auto& ranges = value.extract<Poco::JSON::Array::Ptr>();
    for (unsigned i = 0; i < ranges->size(); ++i) {
        Poco::Dynamic::Var r = ranges->get(i);
        std::string where = "hours." + day + "[" + std::to_string(i + 1) + "]";
        std::string start, end;
        if (r.isString()) {
            std::string text = r.extract<std::string>();
            auto dash = text.find('-');
            if (dash == std::string::npos)
                throw std::invalid_argument(where + " must look like \"09:00-17:00\"");
            start = text.substr(0, dash);
            end = text.substr(dash + 1);
        } else if (r.type() == typeid(Poco::JSON::Array::Ptr) &&
                   r.extract<Poco::JSON::Array::Ptr>()->size() == 2) {
            auto pair = r.extract<Poco::JSON::Array::Ptr>();
            start = pair->get(0).isString() ? pair->get(0).extract<std::string>() : "";
            end = pair->get(1).isString() ? pair->get(1).extract<std::string>() : "";
        } else if (r.type() == typeid(Poco::JSON::Object::Ptr)) {
            auto o = r.extract<Poco::JSON::Object::Ptr>();
            start = o->optValue<std::string>("start", "");
            end = o->optValue<std::string>("end", "");
        }
        if (!isTimeOfDay(start) || !isTimeOfDay(end))
            throw std::invalid_argument(where +
                                        " must be a pair of HH:MM times, such as {\"09:00\", \"17:00\"}");
        JsonObject range = jsonObject();
        range->set("start", start);
        range->set("end", end);
        out->add(range);
    }
    return out;
}

// The working-hours object for isOpenAt from what the script gave: a weekly schedule
// ({mon = {{"09:00", "17:00"}}, ..., holidays = {"2026-12-25"}}) or a widget's whole working_hours object.
JsonObject workingHours(const Poco::Dynamic::Var& given, const char* tz_arg) {
    static const char* days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    if (given.type() != typeid(Poco::JSON::Object::Ptr))
        throw std::invalid_argument(
            "hours must be a table of days, such as {mon = {{\"09:00\", \"17:00\"}}}");
    JsonObject in = given.extract<Poco::JSON::Object::Ptr>();
    JsonObject schedule_in = in->has("schedule") ? in->getObject("schedule") : in;
    if (!schedule_in) throw std::invalid_argument("hours.schedule must be a table of days");
    std::string tz = tz_arg ? tz_arg : in->optValue<std::string>("timezone", "UTC");
    if (!isKnownTimeZone(tz))
        throw std::invalid_argument("unknown time zone '" + tz +
                                    "' (use an IANA name such as 'Europe/Madrid')");
    JsonObject schedule = jsonObject();
    for (const auto& [key, value] : *schedule_in) {
        if (key == "holidays" && schedule_in == in) continue;
        bool known = false;
        for (const char* d : days) known = known || key == d;
        if (!known)
            throw std::invalid_argument("hours: unknown day '" + key +
                                        "' (use mon, tue, wed, thu, fri, sat, sun)");
        schedule->set(key, dayRanges(key, value));
    }
    JsonObject wh = jsonObject();
    wh->set("enabled", in->has("schedule") ? in->optValue<bool>("enabled", true) : true);
    wh->set("timezone", tz);
    wh->set("schedule", schedule);
    JsonArray holidays = jsonArray();
    if (in->has("holidays")) {
        auto list = in->getArray("holidays");
        if (!list) throw std::invalid_argument("hours.holidays must be a list of \"YYYY-MM-DD\" dates");
        holidays = list;
    }
    wh->set("holidays", holidays);
    return wh;
}

// parley.time.is_open(hours [, tz]) -> boolean, at parley.now()
int timeIsOpen(lua_State* L) {
    ScriptRuntime& rt = runtimeOf(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    const char* tz = luaL_optstring(L, 2, nullptr);
    double now = rt.now();
    return cppSection(L, [&](std::string& error) {
        Poco::Dynamic::Var given;
        if (!luaToJson(L, 1, given, error, "hours", kMaxHoursBytes)) return 0;
        lua_pushboolean(L,
                        isOpenAt(workingHours(given, tz), static_cast<long long>(std::floor(now * 1000.0))));
        return 1;
    });
}

int textNormalize(lua_State* L) {
    size_t len = 0;
    const char* text = luaL_checklstring(L, 1, &len);
    LuaSandbox::chargeSteps(L, static_cast<long long>(len) / 4);  // ICU's work is linear in the text
    return cppSection(L, [&](std::string&) {
        std::string out = normalizeText(std::string(text, len));
        pushProtected(L, [&](lua_State* state) { lua_pushlstring(state, out.data(), out.size()); });
        return 1;
    });
}

int textTokens(lua_State* L) {
    size_t len = 0;
    const char* text = luaL_checklstring(L, 1, &len);
    LuaSandbox::chargeSteps(L, static_cast<long long>(len) / 4);
    return cppSection(L, [&](std::string&) {
        std::vector<std::string> tokens = wordTokens(std::string(text, len));
        pushProtected(L, [&](lua_State* state) {
            lua_createtable(state, static_cast<int>(tokens.size()), 0);
            for (size_t i = 0; i < tokens.size(); ++i) {
                lua_pushlstring(state, tokens[i].data(), tokens[i].size());
                lua_rawseti(state, -2, static_cast<lua_Integer>(i) + 1);
            }
        });
        return 1;
    });
}

void addTable(lua_State* L, int parley, ScriptRuntime& rt, const char* name, const char* proxy_name,
              const luaL_Reg* functions) {
    lua_newtable(L);
    lua_pushlightuserdata(L, &rt);
    luaL_setfuncs(L, functions, 1);
    pushReadOnlyProxy(L, proxy_name);
    lua_setfield(L, parley, name);
}

}  // namespace

void installTimeAndText(lua_State* L, int parley, ScriptRuntime& rt) {
    // `local` is a Lua keyword, so parley.time.localtime is the name scripts can write; ["local"] is the
    // same.
    const luaL_Reg time[] = {
        {"localtime", timeLocal}, {"local", timeLocal}, {"is_open", timeIsOpen}, {nullptr, nullptr}};
    addTable(L, parley, rt, "time", "parley.time", time);
    const luaL_Reg text[] = {{"normalize", textNormalize}, {"tokens", textTokens}, {nullptr, nullptr}};
    addTable(L, parley, rt, "text", "parley.text", text);
}

}  // namespace parley::core

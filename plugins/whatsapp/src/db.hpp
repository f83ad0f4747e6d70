// SQL through the host with Poco JSON: parameters built from C++ values, rows read back as objects.
#pragma once

#include <parley/sdk.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>
#include <string>

namespace parley::whatsapp {

using Poco::JSON::Array;
using Poco::JSON::Object;

inline std::string jsonText(const Poco::Dynamic::Var& v) {
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(v, out);
    return out.str();
}

inline Object::Ptr parseObject(const std::string& text) {
    auto v = Poco::JSON::Parser().parse(text);
    if (v.type() != typeid(Object::Ptr)) throw std::runtime_error("expected a JSON object");
    return v.extract<Object::Ptr>();
}

inline Object::Ptr newObject() { return new Object(Poco::JSON_PRESERVE_KEY_ORDER); }

// A text column, "" for null or absent.
inline std::string col(const Object::Ptr& row, const std::string& key) {
    if (!row || !row->has(key) || row->isNull(key)) return "";
    return row->get(key).convert<std::string>();
}
inline long long num(const Object::Ptr& row, const std::string& key) {
    if (!row || !row->has(key) || row->isNull(key)) return 0;
    return row->get(key).convert<long long>();
}

class Db {
public:
    explicit Db(parley::Plugin plugin) : plugin_(plugin) {}

    template <typename... Args>
    Array::Ptr rows(const std::string& statement, Args&&... args) const {
        Array::Ptr params = new Array;
        (add(params, std::forward<Args>(args)), ...);
        auto v = Poco::JSON::Parser().parse(plugin_.sql(statement, jsonText(params)));
        return v.extract<Array::Ptr>();
    }
    template <typename... Args>
    Object::Ptr row(const std::string& statement, Args&&... args) const {
        Array::Ptr list = rows(statement, std::forward<Args>(args)...);
        return list->size() ? list->getObject(0) : nullptr;
    }
    template <typename... Args>
    void exec(const std::string& statement, Args&&... args) const {
        rows(statement, std::forward<Args>(args)...);
    }
    const parley::Plugin& plugin() const { return plugin_; }

private:
    static void add(Array::Ptr& a, const std::string& v) { a->add(v); }
    static void add(Array::Ptr& a, const char* v) { a->add(std::string(v)); }
    static void add(Array::Ptr& a, long long v) { a->add(static_cast<Poco::Int64>(v)); }
    static void add(Array::Ptr& a, int v) { a->add(v); }
    static void add(Array::Ptr& a, std::nullptr_t) { a->add(Poco::Dynamic::Var()); }
    static void add(Array::Ptr& a, const Poco::Dynamic::Var& v) { a->add(v); }
    parley::Plugin plugin_;
};

}  // namespace parley::whatsapp

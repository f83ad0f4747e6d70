// Prepared statements per pooled connection, through SOCI's statement API, and the registry that finds them.
#include "store/prepared.hpp"

#include <mutex>
#include <unordered_map>

namespace parley::core {

struct PreparedStatements::Entry {
    std::vector<std::string> values;
    std::vector<soci::indicator> indicators;
    soci::row row;
    bool rows = true;
    std::unique_ptr<soci::statement> statement;
};

PreparedStatements::PreparedStatements(soci::session& sql) : sql_(sql) {}
PreparedStatements::~PreparedStatements() = default;

const soci::row* PreparedStatements::run(const std::string& query, const std::vector<SqlParam>& params, bool rows) {
    last_ = nullptr;
    auto it = entries_.find(query);
    if (it == entries_.end() || it->second->values.size() != params.size() || it->second->rows != rows) {
        if (entries_.size() >= kMaxStatements) entries_.clear();  // statements built from varying text: start over
        auto entry = std::make_unique<Entry>();
        entry->rows = rows;
        entry->values.resize(params.size());
        entry->indicators.resize(params.size(), soci::i_ok);
        entry->statement = std::make_unique<soci::statement>(sql_);
        for (std::size_t i = 0; i < params.size(); ++i)
            entry->statement->exchange(soci::use(entry->values[i], entry->indicators[i]));
        if (rows) entry->statement->exchange(soci::into(entry->row));
        entry->statement->alloc();
        entry->statement->prepare(query);
        entry->statement->define_and_bind();
        it = entries_.insert_or_assign(query, std::move(entry)).first;
    }
    Entry& e = *it->second;
    for (std::size_t i = 0; i < params.size(); ++i) {
        e.values[i] = params[i].value_or("");
        e.indicators[i] = params[i] ? soci::i_ok : soci::i_null;
    }
    try {
        bool got = e.statement->execute(true);
        if (!rows || !got) return nullptr;
        last_ = &e;
        return &e.row;
    } catch (...) {
        entries_.erase(it);
        throw;
    }
}

const soci::row* PreparedStatements::next() {
    if (!last_) return nullptr;
    if (last_->statement->fetch()) return &last_->row;
    last_ = nullptr;
    return nullptr;
}

namespace {

// A statement of its own (not kept): `params` bound from `values`/`indicators`, the output into `row`.
struct OneOff {
    std::vector<std::string> values;
    std::vector<soci::indicator> indicators;
    soci::statement statement;

    OneOff(soci::session& sql, const std::string& query, const std::vector<SqlParam>& params, soci::row& row,
           soci::details::statement_type type)
        : values(params.size()), indicators(params.size(), soci::i_ok), statement(sql) {
        for (std::size_t i = 0; i < params.size(); ++i) {
            values[i] = params[i].value_or("");
            indicators[i] = params[i] ? soci::i_ok : soci::i_null;
            statement.exchange(soci::use(values[i], indicators[i]));
        }
        statement.exchange(soci::into(row));
        statement.alloc();
        statement.prepare(query, type);
        statement.define_and_bind();
    }
};

}  // namespace

bool runOnce(soci::session& sql, const std::string& query, const std::vector<SqlParam>& params, soci::row& row) {
    OneOff once(sql, query, params, row, soci::details::st_one_time_query);
    return once.statement.execute(true);
}

void runEach(soci::session& sql, const std::string& query, const std::vector<SqlParam>& params,
             const std::function<void(const soci::row&)>& each) {
    soci::row row;
    OneOff rows(sql, query, params, row, soci::details::st_repeatable_query);
    for (bool got = rows.statement.execute(true); got; got = rows.statement.fetch()) each(row);
}

namespace {
std::mutex registry_mutex;
std::unordered_map<const soci::session*, PreparedStatements*> registry;
}  // namespace

PreparedStatements* preparedFor(soci::session& sql) {
    std::lock_guard lock(registry_mutex);
    auto it = registry.find(&sql);
    return it == registry.end() ? nullptr : it->second;
}

void registerPrepared(soci::session& sql, PreparedStatements* statements) {
    std::lock_guard lock(registry_mutex);
    registry[&sql] = statements;
}

void unregisterPrepared(soci::session& sql) {
    std::lock_guard lock(registry_mutex);
    registry.erase(&sql);
}

}  // namespace parley::core

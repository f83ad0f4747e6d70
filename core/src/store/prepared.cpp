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
    unsigned long long used = 0;
    std::unique_ptr<soci::statement> statement;
};

PreparedStatements::PreparedStatements(soci::session& sql) : sql_(sql) {}

const std::string* PreparedStatements::pipelinedName(const std::string& text) const {
    auto it = pipelined_.find(text);
    return it == pipelined_.end() ? nullptr : &it->second;
}
PreparedStatements::~PreparedStatements() = default;

PreparedStatements::Entry& PreparedStatements::prepare(const std::string& query, std::size_t params, bool rows,
                                                       bool keep) {
    auto entry = std::make_unique<Entry>();
    entry->rows = rows;
    entry->values.resize(params);
    entry->indicators.resize(params, soci::i_ok);
    entry->statement = std::make_unique<soci::statement>(sql_);
    for (std::size_t i = 0; i < params; ++i)
        entry->statement->exchange(soci::use(entry->values[i], entry->indicators[i]));
    if (rows) entry->statement->exchange(soci::into(entry->row));
    entry->statement->alloc();
    entry->statement->prepare(query, keep ? soci::details::st_repeatable_query : soci::details::st_one_time_query);
    entry->statement->define_and_bind();
    if (!keep) {
        once_count_++;
        once_ = std::move(entry);
        return *once_;
    }
    if (entries_.size() >= kMaxStatements) {
        // The least recently used goes (its DEALLOCATE is one round trip).
        auto oldest = entries_.begin();
        for (auto it = entries_.begin(); it != entries_.end(); ++it)
            if (it->second->used < oldest->second->used) oldest = it;
        entries_.erase(oldest);
    }
    prepared_count_++;
    return *entries_.insert_or_assign(query, std::move(entry)).first->second;
}

const soci::row* PreparedStatements::run(const std::string& query, const std::vector<SqlParam>& params, bool rows) {
    last_ = nullptr;
    once_.reset();
    auto it = entries_.find(query);
    Entry* e = nullptr;
    bool kept = true;
    if (it != entries_.end() && it->second->values.size() == params.size() && it->second->rows == rows) {
        e = it->second.get();
    } else {
        std::size_t hash = std::hash<std::string>{}(query);
        kept = seen_once_.erase(hash) > 0;  // the second time: prepare it
        if (!kept) {
            if (seen_once_.size() >= kMaxSeenOnce) seen_once_.clear();
            seen_once_.insert(hash);
        }
        e = &prepare(query, params.size(), rows, kept);
    }
    e->used = ++uses_;
    for (std::size_t i = 0; i < params.size(); ++i) {
        e->values[i] = params[i].value_or("");
        e->indicators[i] = params[i] ? soci::i_ok : soci::i_null;
    }
    try {
        bool got = e->statement->execute(true);
        if (!rows || !got) return nullptr;
        last_ = e;
        return &e->row;
    } catch (...) {
        if (kept) entries_.erase(query);
        else once_.reset();
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

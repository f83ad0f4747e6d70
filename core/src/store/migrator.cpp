// Applies forward-only migrations exactly once per (owner, version), on SQLite and PostgreSQL.
#include "store/migrator.hpp"

#include "app/errors.hpp"

#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>

namespace parley::core {

std::vector<MigrationFile> readMigrationFiles(const std::string& directory) {
    std::vector<MigrationFile> files;
    Poco::File dir(directory);
    if (!dir.exists()) return files;
    for (Poco::DirectoryIterator it(dir), end; it != end; ++it) {
        if (it.name().size() < 5 || it.name().substr(it.name().size() - 4) != ".sql") continue;
        std::ifstream in(it->path());
        std::stringstream text;
        text << in.rdbuf();
        files.push_back({it.name(), text.str()});
    }
    return files;
}

std::vector<Migration> selectMigrations(const std::vector<MigrationFile>& files, DbBackend backend) {
    static const std::regex name_re(R"(^(\d{4})_([a-z0-9_]+?)(\.(sqlite|postgresql))?\.sql$)");
    const std::string wanted = backend == DbBackend::sqlite ? "sqlite" : "postgresql";
    std::map<int, Migration> portable, specific;
    for (const auto& f : files) {
        std::smatch m;
        if (!std::regex_match(f.filename, m, name_re))
            throw ConfigError("migration file '" + f.filename +
                              "' is misnamed: expected NNNN_verb_noun.sql (or .sqlite.sql / .postgresql.sql)");
        int version = std::stoi(m[1]);
        std::string variant = m[4];
        Migration mig{version, m[2], f.sql};
        if (variant.empty()) {
            if (portable.count(version))
                throw ConfigError("two migrations share version " + m[1].str() + ": '" + f.filename + "'");
            portable[version] = mig;
        } else if (variant == wanted) {
            specific[version] = mig;
        }
    }
    for (auto& [version, mig] : specific) portable[version] = mig;
    std::vector<Migration> out;
    for (auto& [version, mig] : portable) out.push_back(mig);
    return out;
}

std::string adaptSql(const std::string& sql, DbBackend backend) {
    if (backend == DbBackend::postgresql) return sql;
    static const std::regex types_re(R"(\b(UUID|JSONB)\b)");
    return std::regex_replace(sql, types_re, "TEXT");
}

std::vector<std::string> splitStatements(const std::string& sql) {
    std::vector<std::string> out;
    std::stringstream in(sql);
    std::string line, current;
    while (std::getline(in, line)) {
        auto first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos || line.compare(first, 2, "--") == 0) continue;
        current += line + "\n";
        auto last = line.find_last_not_of(" \t\r");
        if (line[last] == ';') {
            current.erase(current.find_last_of(';'));
            out.push_back(current);
            current.clear();
        }
    }
    if (current.find_first_not_of(" \t\r\n") != std::string::npos) out.push_back(current);
    return out;
}

int applyMigrations(Database& db, const std::string& owner, const std::vector<Migration>& migrations,
                    const std::function<void(const std::string&)>& progress) {
    db.write([&](soci::session& sql) {
        sql << "CREATE TABLE IF NOT EXISTS schema_migrations ("
               " owner TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL,"
               " applied_at BIGINT NOT NULL, PRIMARY KEY (owner, version))";
    });
    int applied = 0;
    for (const auto& mig : migrations) {
        bool done = db.write([&](soci::session& sql) {
            // Nodes starting together: the first takes the lock, the others wait and then see it applied.
            if (db.isPostgres()) sql << "SELECT pg_advisory_xact_lock(7235401)";
            int count = 0;
            sql << "SELECT COUNT(*) FROM schema_migrations WHERE owner = :o AND version = :v", soci::use(owner),
                soci::use(mig.version), soci::into(count);
            if (count > 0) return false;
            if (progress) progress(owner + ": applying migration " + std::to_string(mig.version) + " " + mig.name);
            for (const auto& statement : splitStatements(adaptSql(mig.sql, db.backend()))) {
                try {
                    sql << statement;
                } catch (const std::exception& e) {
                    throw ConfigError(owner + " migration " + std::to_string(mig.version) + " (" + mig.name +
                                      ") failed: " + e.what());
                }
            }
            long long now = nowMs();
            sql << "INSERT INTO schema_migrations (owner, version, name, applied_at) VALUES (:o, :v, :n, :t)",
                soci::use(owner), soci::use(mig.version), soci::use(mig.name), soci::use(now);
            return true;
        });
        if (done) applied++;
    }
    return applied;
}

}  // namespace parley::core

// Forward-only schema migrations, recorded in schema_migrations(owner, version).
#pragma once

#include "store/database.hpp"

#include <functional>
#include <string>
#include <vector>

namespace parley::core {

// One file as found on disk or embedded: "0001_create_core.sql", "0002_add_x.postgresql.sql", ...
struct MigrationFile {
    std::string filename;
    std::string sql;
};

// One schema version for one backend, chosen from its files.
struct Migration {
    int version = 0;
    std::string name;  // "create_core"
    std::string sql;
};

// The core's migrations, embedded at build time from core/migrations/.
const std::vector<MigrationFile>& coreMigrationFiles();

// Reads NNNN_verb_noun[.sqlite|.postgresql].sql files from a folder (plugins' migrations).
std::vector<MigrationFile> readMigrationFiles(const std::string& directory);

// Picks, per version, the backend-specific file if there is one and the portable file otherwise.
// Throws ConfigError on a badly named file or two portable files for one version.
std::vector<Migration> selectMigrations(const std::vector<MigrationFile>& files, DbBackend backend);

// Rewrites portable type names for the backend: on SQLite, UUID and JSONB become TEXT.
std::string adaptSql(const std::string& sql, DbBackend backend);

// Splits a script into statements at semicolons that end a line; drops comment-only lines. Write one
// statement per line ending (no "a; b;" on one line, no comment after the semicolon).
std::vector<std::string> splitStatements(const std::string& sql);

// Applies `owner`'s pending migrations in version order, each in its own transaction, under a lock so that
// concurrent nodes do not race. Returns how many were applied; running it again applies none.
int applyMigrations(Database& db, const std::string& owner, const std::vector<Migration>& migrations,
                    const std::function<void(const std::string&)>& progress = {});

}  // namespace parley::core

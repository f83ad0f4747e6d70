// Proves how migration files are chosen, split and adapted, and that applying them on SQLite is exactly-once.
#include "store/migrator.hpp"

#include "app/errors.hpp"
#include "store/database.hpp"
#include "support.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>

using namespace parley::core;
using core_test::contains;
using core_test::errorMessageFrom;
using core_test::TempDir;

namespace {

std::string trimmed(const std::string& s) {
    auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return "";
    return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

std::vector<std::string> statements(const std::string& sql) {
    std::vector<std::string> out;
    for (const auto& s : splitStatements(sql)) out.push_back(trimmed(s));
    return out;
}

// A SQLite database in its own temp folder, opened as parleyd opens it.
struct SqliteFixture {
    TempDir dir;
    DatabaseConfig config = [this] {
        DatabaseConfig c;
        c.url = "sqlite:" + dir.file("x.db");
        c.pool_size = 2;
        return c;
    }();
    Database db{config};

    int count(const std::string& query) {
        int n = -1;
        db.read([&](soci::session& sql) { sql << query, soci::into(n); });
        return n;
    }
    bool tableExists(const std::string& name) {
        return count("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '" + name + "'") == 1;
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(migrator)

BOOST_AUTO_TEST_CASE(split_statements_handles_comments_multiple_lines_and_a_last_statement_without_semicolon) {
    const std::string sql =
        "-- Header comment; with a semicolon\n"
        "CREATE TABLE a (\n"
        "    id INTEGER, -- trailing comment\n"
        "    name TEXT\n"
        ");\n"
        "\n"
        "   -- indented comment\n"
        "CREATE INDEX a_name ON a (name);   \r\n"
        "INSERT INTO a VALUES (1, 'x;y');\n"
        "INSERT INTO a VALUES (2, 'z')\n";
    auto out = statements(sql);
    BOOST_REQUIRE(out.size() == 4u);
    BOOST_TEST(out[0] == "CREATE TABLE a (\n    id INTEGER, -- trailing comment\n    name TEXT\n)");
    BOOST_TEST(out[1] == "CREATE INDEX a_name ON a (name)");
    BOOST_TEST(out[2] == "INSERT INTO a VALUES (1, 'x;y')");  // a semicolon inside a line does not split
    BOOST_TEST(out[3] == "INSERT INTO a VALUES (2, 'z')");
}

BOOST_AUTO_TEST_CASE(split_statements_of_an_empty_or_comment_only_script_is_empty) {
    for (const char* sql : {"", "\n\n", "-- only\n  -- comments\n", "   \t\r\n"}) {
        BOOST_TEST_CONTEXT("'" << sql << "'") {
            BOOST_TEST(splitStatements(sql).empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(adapt_sql_turns_uuid_and_jsonb_into_text_on_sqlite_only_as_whole_words) {
    struct Case {
        const char* portable;
        const char* sqlite;
    };
    const Case cases[] = {
        {"id UUID PRIMARY KEY", "id TEXT PRIMARY KEY"},
        {"config JSONB NOT NULL", "config TEXT NOT NULL"},
        {"CAST(x AS UUID),(JSONB)", "CAST(x AS TEXT),(TEXT)"},
        {"kind UUIDX, UUID_V, MY_UUID, JSONBX", "kind UUIDX, UUID_V, MY_UUID, JSONBX"},
        {"plain TEXT", "plain TEXT"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.portable) {
            BOOST_TEST(adaptSql(c.portable, DbBackend::sqlite) == c.sqlite);
            BOOST_TEST(adaptSql(c.portable, DbBackend::postgresql) == c.portable);
        }
    }
}

BOOST_AUTO_TEST_CASE(select_prefers_the_backend_file_and_ignores_the_other_backend) {
    const std::vector<MigrationFile> files = {
        {"0002_add_x.postgresql.sql", "pg 2"}, {"0001_create_core.sql", "portable 1"},
        {"0002_add_x.sql", "portable 2"},      {"0002_add_x.sqlite.sql", "sqlite 2"},
        {"0003_only_pg.postgresql.sql", "pg 3"},
    };
    auto sqlite = selectMigrations(files, DbBackend::sqlite);
    BOOST_REQUIRE(sqlite.size() == 2u);
    BOOST_TEST(sqlite[0].version == 1);
    BOOST_TEST(sqlite[0].name == "create_core");
    BOOST_TEST(sqlite[0].sql == "portable 1");
    BOOST_TEST(sqlite[1].version == 2);
    BOOST_TEST(sqlite[1].name == "add_x");
    BOOST_TEST(sqlite[1].sql == "sqlite 2");

    auto pg = selectMigrations(files, DbBackend::postgresql);
    BOOST_REQUIRE(pg.size() == 3u);
    BOOST_TEST(pg[1].sql == "pg 2");
    BOOST_TEST(pg[2].version == 3);
    BOOST_TEST(pg[2].sql == "pg 3");
}

BOOST_AUTO_TEST_CASE(select_rejects_misnamed_files_naming_them) {
    for (const char* name : {"1_create.sql", "00001_create.sql", "0001-create.sql", "0001_Create.sql",
                             "0001_create.mysql.sql", "0001_create.SQL", "0001_.sql", "0001_create.sql.bak",
                             "create.sql"}) {
        BOOST_TEST_CONTEXT(name) {
            auto message = errorMessageFrom<ConfigError>(
                [&] { selectMigrations({{name, "SELECT 1;"}}, DbBackend::sqlite); });
            BOOST_REQUIRE(message.has_value());
            BOOST_TEST(contains(*message, std::string("'") + name + "'"), *message);
        }
    }
}

BOOST_AUTO_TEST_CASE(select_rejects_two_portable_files_with_one_version) {
    auto message = errorMessageFrom<ConfigError>([] {
        selectMigrations({{"0001_create_a.sql", ""}, {"0001_create_b.sql", ""}}, DbBackend::postgresql);
    });
    BOOST_REQUIRE(message.has_value());
    BOOST_TEST(contains(*message, "0001"), *message);
}

BOOST_AUTO_TEST_CASE(core_migrations_are_embedded_and_well_named) {
    BOOST_TEST(!coreMigrationFiles().empty());
    for (DbBackend backend : {DbBackend::sqlite, DbBackend::postgresql}) {
        auto migrations = selectMigrations(coreMigrationFiles(), backend);
        BOOST_REQUIRE(!migrations.empty());
        BOOST_TEST(migrations.front().version == 1);
        for (size_t i = 0; i < migrations.size(); ++i) BOOST_TEST(!splitStatements(migrations[i].sql).empty());
    }
}

BOOST_AUTO_TEST_CASE(read_migration_files_takes_only_sql_files_of_a_folder) {
    TempDir dir;
    dir.write("0001_create_a.sql", "CREATE TABLE a (id INTEGER);\n");
    dir.write("0002_create_b.sqlite.sql", "CREATE TABLE b (id INTEGER);\n");
    dir.write("README.md", "# not a migration\n");
    auto files = readMigrationFiles(dir.file(""));
    BOOST_REQUIRE(files.size() == 2u);
    std::sort(files.begin(), files.end(), [](auto& a, auto& b) { return a.filename < b.filename; });
    BOOST_TEST(files[0].filename == "0001_create_a.sql");
    BOOST_TEST(files[0].sql == "CREATE TABLE a (id INTEGER);\n");
    BOOST_TEST(readMigrationFiles(dir.file("absent")).empty());
}

BOOST_AUTO_TEST_CASE(core_migrations_apply_once_and_a_second_run_applies_none) {
    SqliteFixture f;
    auto migrations = selectMigrations(coreMigrationFiles(), DbBackend::sqlite);
    std::vector<std::string> progress;
    int applied = applyMigrations(f.db, "core", migrations, [&](const std::string& line) { progress.push_back(line); });
    BOOST_TEST(applied == static_cast<int>(migrations.size()));
    BOOST_REQUIRE(progress.size() == migrations.size());
    BOOST_TEST(contains(progress[0], "core: applying migration 1 create_core"), progress[0]);
    for (const char* table : {"tenants", "users", "memberships", "sessions", "widgets"}) {
        BOOST_TEST_CONTEXT(table) {
            BOOST_TEST(f.tableExists(table));
        }
    }
    BOOST_TEST(f.count("SELECT COUNT(*) FROM schema_migrations WHERE owner = 'core'") == applied);
    long long first_applied_at = 0;
    f.db.read([&](soci::session& sql) {
        sql << "SELECT applied_at FROM schema_migrations WHERE owner = 'core' AND version = 1",
            soci::into(first_applied_at);
    });
    BOOST_TEST(first_applied_at > 0);

    progress.clear();
    BOOST_TEST(applyMigrations(f.db, "core", migrations, [&](const std::string& line) { progress.push_back(line); }) ==
               0);
    BOOST_TEST(progress.empty());
    BOOST_TEST(f.count("SELECT COUNT(*) FROM schema_migrations") == applied);
    long long applied_at_after = 0;
    f.db.read([&](soci::session& sql) {
        sql << "SELECT applied_at FROM schema_migrations WHERE owner = 'core' AND version = 1",
            soci::into(applied_at_after);
    });
    BOOST_TEST(applied_at_after == first_applied_at);
}

BOOST_AUTO_TEST_CASE(owners_keep_separate_version_sequences) {
    SqliteFixture f;
    std::vector<Migration> core = {{1, "create_a", "CREATE TABLE a (id UUID PRIMARY KEY, doc JSONB);"}};
    std::vector<Migration> plugin = {{1, "create_echo_log", "CREATE TABLE echo_log (id INTEGER);"}};
    BOOST_TEST(applyMigrations(f.db, "core", core) == 1);
    BOOST_TEST(applyMigrations(f.db, "echo", plugin) == 1);
    BOOST_TEST(f.tableExists("echo_log"));
    BOOST_TEST(f.count("SELECT COUNT(*) FROM schema_migrations WHERE version = 1") == 2);
    // The UUID column became TEXT, so a UUID string is stored and read back as text.
    BOOST_TEST(f.count("SELECT COUNT(*) FROM pragma_table_info('a') WHERE name = 'id' AND type = 'TEXT'") == 1);
}

BOOST_AUTO_TEST_CASE(failing_migration_throws_config_error_rolls_back_and_is_not_recorded) {
    SqliteFixture f;
    std::vector<Migration> migrations = {
        {1, "create_a", "CREATE TABLE a (id INTEGER);\n"},
        {2, "create_b_badly", "CREATE TABLE b (id INTEGER);\nINSERT INTO b VALUES (1);\nINSERT INTO nowhere VALUES (1);\n"},
        {3, "create_c", "CREATE TABLE c (id INTEGER);\n"},
    };
    auto message = errorMessageFrom<ConfigError>([&] { applyMigrations(f.db, "core", migrations); });
    BOOST_REQUIRE(message.has_value());
    BOOST_TEST(contains(*message, "migration 2"), *message);
    BOOST_TEST(contains(*message, "create_b_badly"), *message);
    BOOST_TEST(contains(*message, "nowhere"), *message);

    BOOST_TEST(f.tableExists("a"));   // migration 1 committed on its own
    BOOST_TEST(!f.tableExists("b"));  // migration 2's earlier statements rolled back with it
    BOOST_TEST(!f.tableExists("c"));  // nothing after the failure ran
    BOOST_TEST(f.count("SELECT COUNT(*) FROM schema_migrations") == 1);
    BOOST_TEST(f.count("SELECT COUNT(*) FROM schema_migrations WHERE version = 2") == 0);

    // Once fixed, the next start applies the rest, and the pool is healthy after the rollback.
    migrations[1].sql = "CREATE TABLE b (id INTEGER);\n";
    BOOST_TEST(applyMigrations(f.db, "core", migrations) == 2);
    BOOST_TEST(f.tableExists("b"));
    BOOST_TEST(f.tableExists("c"));
    BOOST_TEST(f.db.inUse() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

// libpq's pipeline mode under a SOCI session: the statements go out at once, one sync point ends them, and the
// answers are read after.
#include "store/pipeline.hpp"

#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>
#include <sys/socket.h>

#include <cctype>
#include <limits>
#include <memory>

namespace parley::core {
namespace {

struct ResultFree {
    void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultFree>;

PGconn* connectionOf(soci::session& sql) {
    if (sql.get_backend_name() != "postgresql") throw soci::soci_error("pipeline: not a PostgreSQL session");
    auto* backend = static_cast<soci::postgresql_session_backend*>(sql.get_backend());  // its typeinfo is not exported
    if (backend == nullptr || backend->conn_ == nullptr) throw soci::soci_error("pipeline: no connection");
    return backend->conn_;
}

// One command on the wire, in order: a statement, or the prepare that precedes its first run.
struct Sent {
    std::size_t statement;
    bool prepare = false;
    std::string name;  // a prepare's new name
};

// Ends the connection when its state is unknown (a send that failed halfway, answers out of step): the server
// then rolls back whatever the pipeline had started, and the pool reconnects it before the next lease
// (Database::revived checks PQstatus).
void abandon(PGconn* conn) {
    int fd = PQsocket(conn);
    if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
    PQconsumeInput(conn);  // notices the closed socket: PQstatus turns CONNECTION_BAD
}

}  // namespace

std::string dollarPlaceholders(std::string_view sql) {
    std::string out;
    out.reserve(sql.size() + 16);
    int position = 0;
    bool quoted = false;
    for (std::size_t i = 0; i < sql.size(); ++i) {
        char c = sql[i];
        if (quoted || c == '\'') {
            if (c == '\'') quoted = !quoted;
            out += c;
            continue;
        }
        if (c != ':') {
            out += c;
            continue;
        }
        if (i + 1 < sql.size() && (sql[i + 1] == ':' || sql[i + 1] == '=')) {  // a cast, or an assignment
            out += c;
            out += sql[++i];
            continue;
        }
        std::size_t end = i + 1;
        while (end < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[end])) || sql[end] == '_')) ++end;
        if (end == i + 1) {  // a lone colon
            out += c;
            continue;
        }
        out += '$' + std::to_string(++position);
        i = end - 1;
    }
    return out;
}

std::vector<TextRows> runPipelined(soci::session& sql, const std::vector<PipelinedStatement>& statements) {
    PGconn* conn = connectionOf(sql);
    PreparedStatements* prepared = preparedFor(sql);
    for (std::size_t i = 0; i < statements.size(); ++i)
        if (statements[i].params.size() > std::numeric_limits<std::uint16_t>::max())
            throw PipelineError("pipeline: a statement has more than 65535 parameters", i);
    if (PQenterPipelineMode(conn) != 1)
        throw soci::soci_error(std::string("pipeline: cannot enter pipeline mode: ") + PQerrorMessage(conn));
    // Whatever way this function leaves (an exception included), the connection must not stay in pipeline mode:
    // SOCI's next statement would fail on it for ever. Left so, it is ended (and reconnected by the pool).
    struct LeaveGuard {
        PGconn* conn;
        ~LeaveGuard() {
            if (PQpipelineStatus(conn) != PQ_PIPELINE_OFF) abandon(conn);
        }
    } leave{conn};

    // Out: every statement, each one new on this connection prepared first (when there is room for it). The
    // connection blocks while sending: that cannot deadlock as long as the answers are small (command tags and a
    // few rows), since the server then never waits for us to read while we wait for it to read.
    std::vector<Sent> sent;
    bool sent_all = true;
    for (std::size_t i = 0; i < statements.size() && sent_all; ++i) {
        const PipelinedStatement& s = statements[i];
        std::vector<const char*> values;
        values.reserve(s.params.size());
        for (const auto& p : s.params) values.push_back(p ? p->c_str() : nullptr);
        int count = static_cast<int>(values.size());
        const std::string* name = prepared ? prepared->pipelinedName(s.sql) : nullptr;
        std::string fresh;
        if (name == nullptr && prepared && prepared->canPipelineMore()) {
            fresh = prepared->newPipelinedName();
            if (PQsendPrepare(conn, fresh.c_str(), dollarPlaceholders(s.sql).c_str(), count, nullptr) != 1) {
                sent_all = false;
                break;
            }
            sent.push_back({i, true, fresh});
            name = &fresh;
        }
        int ok = name ? PQsendQueryPrepared(conn, name->c_str(), count, values.data(), nullptr, nullptr, 0)
                      : PQsendQueryParams(conn, dollarPlaceholders(s.sql).c_str(), count, nullptr, values.data(),
                                          nullptr, nullptr, 0);
        if (ok != 1) sent_all = false;
        else sent.push_back({i, false, {}});
    }
    if (!sent_all || PQpipelineSync(conn) != 1) {
        // A sync now would commit the statements already sent without the rest: the guard ends the connection.
        throw soci::soci_error(std::string("pipeline: sending failed: ") + PQerrorMessage(conn));
    }

    // In: each command's results, then the sync point's.
    std::vector<TextRows> rows(statements.size());
    std::string error;
    std::size_t failed = statements.size();
    for (const Sent& command : sent) {
        while (Result r{PQgetResult(conn)}) {
            ExecStatusType status = PQresultStatus(r.get());
            if (status == PGRES_TUPLES_OK && !command.prepare) {
                TextRows& out = rows[command.statement];
                int columns = PQnfields(r.get());
                for (int row = 0, n = PQntuples(r.get()); row < n; ++row) {
                    auto& values = out.emplace_back();
                    values.reserve(columns);
                    for (int col = 0; col < columns; ++col)
                        values.push_back(PQgetisnull(r.get(), row, col)
                                             ? SqlParam()
                                             : SqlParam(std::string(PQgetvalue(r.get(), row, col),
                                                                    PQgetlength(r.get(), row, col))));
                }
            } else if (status == PGRES_COMMAND_OK && command.prepare) {
                prepared->notePipelined(statements[command.statement].sql, command.name);
            } else if (status == PGRES_FATAL_ERROR || status == PGRES_NONFATAL_ERROR) {
                if (error.empty()) {
                    error = PQresultErrorMessage(r.get());
                    failed = command.statement;
                }
            } else if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_PIPELINE_ABORTED) {
                if (error.empty()) {
                    error = std::string("pipeline: unexpected result ") + PQresStatus(status);
                    failed = command.statement;
                }
            }
        }
        if (PQstatus(conn) != CONNECTION_OK) break;
    }
    Result sync{PQstatus(conn) == CONNECTION_OK ? PQgetResult(conn) : nullptr};
    bool in_step = sync && PQresultStatus(sync.get()) == PGRES_PIPELINE_SYNC;
    if (!in_step || PQexitPipelineMode(conn) != 1) {  // still in pipeline mode: the guard ends the connection
        std::string why = PQstatus(conn) == CONNECTION_OK ? "answers out of step" : PQerrorMessage(conn);
        throw PipelineError("pipeline: " + (error.empty() ? why : error), failed == statements.size() ? 0 : failed);
    }
    if (!error.empty()) {
        while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
        throw PipelineError(error, failed);
    }
    return rows;
}

}  // namespace parley::core

// The host function ABI 1.5 added: channel_inbound, a channel contact's message in one call (one read, one commit
// that can carry the plugin's own bookkeeping).
#include "app/app.hpp"
#include "pipeline/channels.hpp"
#include "pipeline/message_pipeline.hpp"
#include "plugin/host_calls.hpp"
#include "store/database.hpp"

#include <cstring>
#include <memory>
#include <vector>

namespace parley::core::host {
namespace {

constexpr size_t kMaxWithCommit = 8;

// One with_commit statement: its text and parameters, where an object {"host": "<name>"} stands for a value only
// known at the commit.
struct CommitStatement {
    std::string sql;
    std::vector<SqlValue> params;
    std::vector<std::pair<std::size_t, std::string>> host_values;  // (index in params, name)
};

// One parameter as the sql call reads it (parseSqlValues' kinds), or {"host": ...} recorded in `s`.
SqlValue commitValue(const Poco::Dynamic::Var& v, std::size_t index, CommitStatement& s) {
    SqlValue out;
    if (v.isEmpty()) return out;
    if (v.type() == typeid(Poco::JSON::Object::Ptr)) {
        JsonObject object = v.extract<Poco::JSON::Object::Ptr>();
        std::string name = object->size() == 1 ? object->optValue<std::string>("host", "") : "";
        if (name != "conversation_id" && name != "message_id" && name != "tenant_id" && name != "created_at")
            throw invalidField("with_commit", "a parameter object must be {\"host\": \"conversation_id\"} (or "
                                              "\"message_id\", \"tenant_id\", \"created_at\")");
        s.host_values.emplace_back(index, name);
    } else if (v.isBoolean()) {
        out.kind = SqlValue::Kind::integer;
        out.integer = v.extract<bool>() ? 1 : 0;
    } else if (v.isInteger()) {
        out.kind = SqlValue::Kind::integer;
        out.integer = v.convert<long long>();
    } else if (v.isNumeric()) {
        out.kind = SqlValue::Kind::real;
        out.real = v.convert<double>();
    } else if (v.isString()) {
        out.kind = SqlValue::Kind::text;
        out.text = v.extract<std::string>();
    } else {
        throw invalidField("with_commit", "params may hold only strings, numbers, booleans, nulls and {\"host\": ...}");
    }
    return out;
}

std::vector<CommitStatement> withCommitFrom(const JsonObject& request) {
    std::vector<CommitStatement> out;
    if (!request->has("with_commit") || request->isNull("with_commit")) return out;
    JsonArray list = request->getArray("with_commit");
    if (!list) throw invalidField("with_commit", "must be an array of {\"sql\", \"params\"}");
    if (list->size() > kMaxWithCommit)
        throw invalidField("with_commit", "holds at most " + std::to_string(kMaxWithCommit) + " statements");
    for (std::size_t i = 0; i < list->size(); ++i) {
        JsonObject item = list->getObject(i);
        if (!item) throw invalidField("with_commit", "must be an array of {\"sql\", \"params\"}");
        CommitStatement s;
        s.sql = reqString(item, "sql", 16384);
        if (item->has("params") && !item->isNull("params")) {
            JsonArray params = item->getArray("params");
            if (!params) throw invalidField("with_commit", "params must be an array");
            for (std::size_t k = 0; k < params->size(); ++k) s.params.push_back(commitValue(params->get(k), k, s));
        }
        out.push_back(std::move(s));
    }
    return out;
}

// The statement's parameters for `m`: its {"host": ...} values filled in.
std::vector<SqlValue> boundFor(const CommitStatement& s, const Message& m) {
    std::vector<SqlValue> params = s.params;
    for (const auto& [index, name] : s.host_values) {
        SqlValue& v = params[index];
        v.kind = SqlValue::Kind::text;
        if (name == "conversation_id") v.text = m.conversation_id;
        else if (name == "message_id") v.text = m.id;
        else if (name == "tenant_id") v.text = m.tenant_id;
        else {
            v.kind = SqlValue::Kind::integer;
            v.integer = m.created_at;
        }
    }
    return params;
}

// SQLite runs the statements in the message's transaction with typed values; PostgreSQL pipelines them after
// the message's statement, every value as text (as the sql call sends them).
MessageCommitter::WithCommit withCommitOf(std::vector<CommitStatement> list) {
    auto statements = std::make_shared<const std::vector<CommitStatement>>(std::move(list));
    MessageCommitter::WithCommit out;
    out.run = [statements](soci::session& sql, const Message& m) {
        for (const auto& s : *statements) runSqlValues(sql, s.sql, boundFor(s, m));
    };
    out.pipelined = [statements](const Message& m) {
        std::vector<PipelinedStatement> pipelined;
        for (const auto& s : *statements) {
            PipelinedStatement& p = pipelined.emplace_back();
            p.sql = s.sql;
            for (auto& v : boundFor(s, m)) p.params.push_back(sqlParamOf(std::move(v)));
        }
        return pipelined;
    };
    return out;
}

int channelInboundCall(parley_plugin* p, const char* request_json, const char** result_out) {
    if (result_out) *result_out = nullptr;
    if (missing(p) || missing(request_json)) return fail(PARLEY_ERR_INVALID_ARGUMENT, "channel_inbound: null argument");
    if (inTransaction())
        return fail(PARLEY_ERR_DENIED, "channel_inbound runs hooks and commits: call it outside a transaction or callback");
    return guard([&] {
        std::size_t size = std::strlen(request_json);
        JsonObject request = parseJsonObject(request_json, 32);
        ChannelContact contact;
        contact.channel = reqString(request, "channel", 30);
        contact.tenant_id = reqString(request, "tenant_id", 36);
        contact.widget_id = reqString(request, "widget_id", 36);
        contact.contact_id = reqString(request, "contact_id", 100);
        contact.visitor_info = optObject(request, "visitor_info").value_or(nullptr);
        contact.context = optObject(request, "context").value_or(nullptr);
        JsonObject body = request->getObject("message");
        if (!body) return fail(PARLEY_ERR_INVALID_ARGUMENT, "channel_inbound: message must be an object");
        NewMessage m;
        if (int rc = inboundMessageFrom(body, "channel_inbound", size < 32768, m); rc != PARLEY_OK) return rc;
        if (auto statements = withCommitFrom(request); !statements.empty())
            m.with_commit = withCommitOf(std::move(statements));

        App& app = appOf(p);
        ChannelTarget target = channelTargetForMessage(app, contact, m.client_message_id, size < 8192);
        Posted posted;
        try {
            posted = app.pipeline->postFromVisitor(target.conversation, std::move(m), target.seen);
        } catch (const ApiError& e) {
            if (e.status() == 422) return fail(PARLEY_ERR_DENIED, e.what());
            throw;
        }
        if (result_out) {
            JsonObject out = jsonObject();
            out->set("conversation", target.conversation.toJson());
            out->set("created", target.created);
            out->set("message", posted.message.toJson());
            out->set("duplicate", posted.duplicate);
            t_scratch = toJson(out);
            *result_out = t_scratch.c_str();
        }
        return static_cast<int>(PARLEY_OK);
    });
}

}  // namespace

void addHostApi15(parley_host_api& api) { api.channel_inbound = channelInboundCall; }

}  // namespace parley::core::host

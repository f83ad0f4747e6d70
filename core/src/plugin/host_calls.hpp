// What every host function shares: the thread's last error and scratch string, the exception guard, and the
// conversation check, so the table can live in more than one file (host_api.cpp, host_api_13.cpp, host_api_14.cpp).
#pragma once

#include "app/errors.hpp"
#include "pipeline/message_pipeline.hpp"
#include "plugin/loaded_plugin.hpp"
#include "plugin/sql_values.hpp"
#include "store/conversation_repository.hpp"

#include <parley/plugin.h>

#include <optional>
#include <string>
#include <vector>

namespace parley::core {

struct App;

namespace host {

// last_error(): why the last host call on this thread failed.
inline thread_local std::string t_host_error;
// Strings returned to a plugin, valid until its next host call on this thread.
inline thread_local std::string t_scratch;

inline int fail(int status, const std::string& message) {
    t_host_error = message;
    return status;
}

// Runs a host function body, mapping exceptions to status codes (nothing may unwind into the plugin).
template <typename Body>
int guard(Body&& body) {
    t_host_error.clear();
    try {
        return body();
    } catch (const ApiError& e) {
        return fail(e.status() == 404 ? PARLEY_ERR_NOT_FOUND : PARLEY_ERR_INVALID_ARGUMENT, e.what());
    } catch (const std::exception& e) {
        return fail(PARLEY_ERR_INTERNAL, e.what());
    } catch (...) {
        return fail(PARLEY_ERR_INTERNAL, "unknown error");
    }
}

template <typename T>
bool missing(T* p) {
    return p == nullptr;
}

App& appOf(parley_plugin* p);

// The conversation a plugin names for a new message: NOT_FOUND for an unknown id, CONFLICT once it is closed.
int openConversation(parley_plugin* p, const std::string& id, std::optional<Conversation>& out);

// True while this thread runs inside a plugin transaction or a subscription callback.
bool inTransaction();

// Fills in the ABI 1.3 entries (host_api_13.cpp).
void addHostApi13(parley_host_api& api);

// Records a durable subscription made during load, per event (`fn`) or per batch (`batch`, ABI 1.4), after
// checking its name (unique within the plugin) and patterns; `call` names the host function in errors.
int recordSubscription(parley_plugin* p, const char* call, const char* name, const char* events, parley_event_fn fn,
                       parley_batch_fn batch, parley_committed_fn committed, void* user);
// Fills in the ABI 1.4 entries (host_api_14.cpp).
void addHostApi14(parley_host_api& api);

// Runs a plugin's statement with its parameters (strings, numbers, booleans, nulls) on `sql`; the rows as a JSON
// array text (sql, and channel_inbound's with_commit).
std::string runSqlValues(soci::session& sql, const std::string& statement, std::vector<SqlValue> params);
// A contact's message as post_inbound and channel_inbound take it ({"type", "text", "payload",
// "client_message_id"}): PARLEY_OK, or the status with last_error naming `call` and the field. `small_payload`:
// the caller's text was under 32 KiB, so the payload's size is not measured again.
int inboundMessageFrom(const JsonObject& body, const std::string& call, bool small_payload, NewMessage& m);
// Fills in the ABI 1.5 entries (host_api_15.cpp).
void addHostApi15(parley_host_api& api);

}  // namespace host
}  // namespace parley::core

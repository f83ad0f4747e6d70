/* The Parley plugin ABI: the only binary contract between parleyd and a plugin.
 *
 * A plugin is a shared library exporting `parley_plugin_load` (and, through PARLEY_PLUGIN_DECLARE_ABI,
 * `parley_plugin_abi`). At start the host validates the plugin's plugin.json and its configuration, applies
 * its migrations, loads the library, checks the ABI and calls `parley_plugin_load` once with the host
 * function table below. Everything the plugin registers (hooks, routes) is recorded against it, so a load
 * that fails is rolled back whole. Libraries stay loaded until the process exits (no dlclose).
 *
 * Rules (docs/abi.md): the table only grows at its end; every struct that crosses starts with its size;
 * functions return parley_status codes and never throw; strings are UTF-8 and NUL-terminated unless a
 * length is given. "Since" gives the ABI version a function appeared in. */
#ifndef PARLEY_PLUGIN_H
#define PARLEY_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI major: a plugin built for another major is refused. Since 1.0. */
#define PARLEY_ABI_MAJOR 1
/* ABI minor: the host loads plugins whose minor is at most its own. Since 1.0 (1.1 added subscribe; 1.2 the
 * channel functions channel_conversation, post_inbound and message_status; 1.3 store_file,
 * set_conversation_attributes, publish_realtime and contacts; 1.4 subscribe_batch; 1.5 channel_inbound; 1.6 payload conditions in durable subscriptions
 * patterns). */
#define PARLEY_ABI_MINOR 6

/* Status codes returned by every host and plugin function. Since 1.0. */
typedef enum parley_status {
    PARLEY_OK = 0,
    PARLEY_ERR_INVALID_ARGUMENT = 1, /* a parameter was malformed; last_error says which */
    PARLEY_ERR_NOT_FOUND = 2,
    PARLEY_ERR_DENIED = 3,      /* not allowed (e.g. an HTTP target in a private range) */
    PARLEY_ERR_CONFLICT = 4,
    PARLEY_ERR_UNAVAILABLE = 5, /* not possible now or not offered by this host (e.g. the fake host's SQL) */
    PARLEY_ERR_INTERNAL = 6,
    PARLEY_ERR_ABI = 7          /* the plugin and host ABIs do not match */
} parley_status;

/* Log levels for parley_host_api.log. Since 1.0. */
enum { PARLEY_LOG_ERROR = 3, PARLEY_LOG_WARNING = 4, PARLEY_LOG_INFO = 6, PARLEY_LOG_DEBUG = 7 };

/* Hook kinds for parley_host_api.hook. Since 1.0. A filter may modify the payload, reject the event or stop
 * the chain; a notification only observes (and also sees events a filter stopped or rejected). */
enum { PARLEY_HOOK_FILTER = 0, PARLEY_HOOK_NOTIFICATION = 1 };

/* Route visibility for parley_host_api.route. Since 1.0.
 * ADMIN:  /api/v1/plugins/<id>/<path>, signed-in callers only; the request carries tenant, role and user.
 * PUBLIC: /hooks/<id>/<path>, anyone (webhooks); verify signatures over the raw body yourself. */
enum { PARLEY_ROUTE_ADMIN = 0, PARLEY_ROUTE_PUBLIC = 1 };

/* Opaque handles owned by the host. */
typedef struct parley_plugin parley_plugin;     /* this plugin, as the host knows it */
typedef struct parley_event parley_event;       /* one event being dispatched to a hook */
typedef struct parley_response parley_response; /* the response a route handler fills */

/* One HTTP request to a plugin route. Valid only during the route call. Since 1.0. */
typedef struct parley_request {
    uint32_t size;            /* sizeof(parley_request) as the host knows it */
    const char* method;       /* "GET", "POST", ... */
    const char* path;         /* the part after the plugin's prefix, starting with "/" */
    const char* query;        /* raw query string without "?", "" when none */
    const char* body;         /* raw body bytes (not NUL-terminated for binary bodies) */
    size_t body_size;
    const char* tenant_id;    /* ADMIN routes: the tenant named by the X-Parley-Tenant header or ?tenant=,
                                 when the caller may act in it; "" otherwise */
    const char* role;         /* ADMIN routes: "super_admin", "client_admin", "client_user", "agent" or "" */
    const char* user_id;      /* ADMIN routes: the caller; "" on PUBLIC routes */
    const char* client_ip_hash; /* keyed hash of the caller's address */
} parley_request;

/* A hook: called for each event it registered for. Return PARLEY_OK, or an error status (the host logs it
 * with last_error and carries on with the next hook). Called on any worker thread. Since 1.0. */
typedef int (*parley_hook_fn)(void* user_data, parley_event* event);

/* A route handler: fill `response` through the host functions. Returning an error status without having
 * responded gives the caller a 500 JSON error. Called on any HTTP worker thread. Since 1.0. */
typedef int (*parley_route_fn)(void* user_data, const parley_request* request, parley_response* response);

/* An outgoing HTTP request made through the host (parley_host_api.http). Since 1.0. */
typedef struct parley_http_request {
    uint32_t size;             /* sizeof(parley_http_request) */
    const char* method;        /* "GET", "POST", ... */
    const char* url;           /* http:// or https:// */
    const char* headers;       /* "Name: value" lines separated by "\n", or NULL */
    const char* body;          /* may be NULL */
    size_t body_size;
    int timeout_ms;            /* per attempt; 0 means 10 s; capped by the host */
    size_t max_response_bytes; /* 0 means 1 MiB; a larger body fails the request */
    int retries;               /* extra attempts on connection errors, 429 and 5xx, with back-off (at most 5) */
} parley_http_request;

/* Its response; the strings stay valid until the plugin's next host call on this thread. Since 1.0. */
typedef struct parley_http_response {
    uint32_t size;        /* sizeof(parley_http_response) */
    int status;           /* HTTP status */
    const char* headers;  /* "Name: value" lines separated by "\n" */
    const char* body;
    size_t body_size;
} parley_http_response;

/* One call of a plugin function from a Lua rule; the plugin answers through parley_host_api.lua_return. */
typedef struct parley_lua_call parley_lua_call;

/* A function exposed to Lua rules (parley_host_api.lua_function). `args_json` is the Lua arguments as a JSON
 * array. Return PARLEY_OK after lua_return (no lua_return gives nil), or an error status with set_error: the
 * rule then sees a Lua error with that message. Called on the thread running the rule. Since 1.0. */
typedef int (*parley_lua_fn)(void* user_data, const char* args_json, parley_lua_call* call);

/* A unit of work run inside a host transaction (parley_host_api.transaction). */
typedef int (*parley_transaction_fn)(void* user_data);

/* A scheduled job (parley_host_api.schedule). Return PARLEY_OK, or an error status with set_error. */
typedef int (*parley_job_fn)(void* user_data);

/* A durable subscriber's callback (parley_host_api.subscribe). `event_json` is one committed outbox event:
 * {"id": "<uuid, the same on every attempt>", "name": "message.created", "tenant_id": "...",
 *  "conversation_id": "..." (when the event concerns one), "created_at": <ms>, "attempt": 1, "payload": {...},
 *  "conversation": {...} (the conversation as it stands at delivery: widget, channel, visitor, context with UTM
 *  and page, attributes; present when conversation_id is)}.
 * Runs on the host's dispatcher thread inside a host write transaction: sql calls join it, so a plugin can
 * store the event in its own table atomically with the acknowledgement. PARLEY_OK acknowledges (commits);
 * any other status rolls the plugin's writes back and the host retries the same event later with back-off.
 * Keep it short: it holds the database's write lock on SQLite. Do not call host functions that open their
 * own write transaction (kv_set, post_message, emit) from inside it. Since 1.4 hosts give a pass's events to
 * the callback one after another under one savepoint; when one fails, all of them are rolled back and offered
 * again one per savepoint, so an event acknowledged a moment ago may come again in the same transaction (its
 * first acknowledgement rolled back): keep in memory nothing a call did until `committed`, or make it
 * idempotent. Since 1.1. */
typedef int (*parley_event_fn)(void* user_data, const char* event_json);

/* A batch subscriber's callback (parley_host_api.subscribe_batch). `events_json` is a JSON array of `count` (1 or
 * more) committed outbox events, each exactly as parley_event_fn receives it, in delivery order: events of one
 * conversation appear in commit order, so handle them front to back. Everything in one call belongs to one host
 * transaction (one "pass"). Runs on the host's dispatcher thread inside that write transaction, under the same
 * rules as parley_event_fn (sql calls join it; keep it short; no host calls that open their own transaction).
 * PARLEY_OK acknowledges every event of the array. Any other status rolls back everything the call wrote; the
 * host then offers the same events again in the same transaction, one per call (arrays of one), so that only
 * the events that fail on their own are retried later with back-off (and hold back the later events of their
 * conversation). A callback must therefore expect to see an event again after it failed a call, and must not
 * keep in memory anything a failed call prepared. Since 1.4. */
typedef int (*parley_batch_fn)(void* user_data, const char* events_json, size_t count);

/* Called on the dispatcher thread after a transaction holding one or more acknowledged events for this
 * subscription committed: the moment to wake a worker that reads what the callback stored. Since 1.1. */
typedef void (*parley_committed_fn)(void* user_data);

/* The host function table. Every function may be called from any thread unless it says otherwise.
 * Strings the host returns stay valid until the next call to the host from the same thread: copy them. */
typedef struct parley_host_api {
    uint32_t abi_major; /* PARLEY_ABI_MAJOR of the host */
    uint32_t abi_minor; /* PARLEY_ABI_MINOR of the host */
    uint32_t size;      /* sizeof(parley_host_api) as the host knows it: fields past it do not exist */

    /* Since 1.0. The message of the last error on this thread, "" when none. */
    const char* (*last_error)(void);

    /* Since 1.0. Writes one line to the server log, tagged with the plugin id. */
    void (*log)(parley_plugin* plugin, int level, const char* message);

    /* Since 1.0. The plugin's configuration as a JSON object, validated against plugin.json with defaults
     * filled in. Valid for the plugin's whole life. */
    const char* (*config)(parley_plugin* plugin);

    /* Since 1.0. Registers `fn` for `event` ("message.inbound", ... or "*"); lower `priority` runs first,
     * ties in plugin-id order. Call only from parley_plugin_load. */
    int (*hook)(parley_plugin* plugin, const char* event, int priority, int kind, parley_hook_fn fn,
                void* user_data);

    /* Since 1.0. Registers a route: `method` ("GET", "POST", ...) and `path` relative to the plugin's prefix
     * ("/items", "/items/{id}"). Call only from parley_plugin_load. */
    int (*route)(parley_plugin* plugin, const char* method, const char* path, int visibility,
                 parley_route_fn fn, void* user_data);

    /* Since 1.0. The event's name, its payload as JSON text, and who caused it ("" = the core). */
    const char* (*event_name)(const parley_event* event);
    const char* (*event_payload)(const parley_event* event);
    const char* (*event_origin)(const parley_event* event);
    /* Since 1.0. Filters only: replaces the payload (a JSON object) for the hooks after this one. */
    int (*event_set_payload)(parley_event* event, const char* json);
    /* Since 1.0. Asks the host to act after the chain: {"type": "reply", "text": ...} etc. (docs/events.md). */
    int (*event_add_action)(parley_event* event, const char* json);
    /* Since 1.0. Filters only: rejects the event (the caller gets a 4xx with `reason`, nothing is stored). */
    int (*event_reject)(parley_event* event, const char* reason);
    /* Since 1.0. Filters only: stops the chain; later filters do not run, the event proceeds. */
    int (*event_stop)(parley_event* event, const char* reason);

    /* Since 1.0. A request header by name (case-insensitive), or NULL. */
    const char* (*request_header)(const parley_request* request, const char* name);
    /* Since 1.0. Sets a response header. Call before respond. */
    int (*response_header)(parley_response* response, const char* name, const char* value);
    /* Since 1.0. Sends the response. Call once. */
    int (*respond)(parley_response* response, int status, const char* content_type, const char* body,
                   size_t body_size);

    /* Since 1.0. Runs one parameterized statement (placeholders :1, :2, ... bound from `params_json`, a JSON
     * array of strings, numbers, booleans and nulls). Inside a hook dispatched within a host transaction the
     * statement joins it. `rows_json` (may be NULL) receives a JSON array of row objects. Tables should be
     * the plugin's own, prefixed with its id. */
    int (*sql)(parley_plugin* plugin, const char* statement, const char* params_json, const char** rows_json);

    /* Since 1.0. A durable key-value store private to the plugin. kv_get gives NULL (and
     * PARLEY_ERR_NOT_FOUND) for an absent key. Values are at most 64 KiB. */
    int (*kv_get)(parley_plugin* plugin, const char* key, const char** value);
    int (*kv_set)(parley_plugin* plugin, const char* key, const char* value);
    int (*kv_delete)(parley_plugin* plugin, const char* key);

    /* Since 1.0. Emits an event (a JSON object payload) to every hook but this plugin's own. */
    int (*emit)(parley_plugin* plugin, const char* event, const char* payload_json);

    /* Since 1.0. Encrypts a secret for storage with the host's master key (AES-256-GCM), bound to `context`
     * (e.g. "whatsapp:number:<id>"), and opens it again. */
    int (*seal)(parley_plugin* plugin, const char* plaintext, const char* context, const char** sealed);
    int (*open)(parley_plugin* plugin, const char* sealed, const char* context, const char** plaintext);

    /* Since 1.0. Adds `value` to the counter parley_plugin_<id>_<name>_total on /metrics. */
    int (*count)(parley_plugin* plugin, const char* name, double value);

    /* Since 1.0. Sets the message the host reports with the error status this plugin's current call (load,
     * hook or route) returns. */
    void (*set_error)(const char* message);

    /* Since 1.0. Sends an HTTP request through the host: timeouts, retries, a response size cap, and no
     * loopback or private-range targets unless the operator allows them (PARLEY_ERR_DENIED). Blocks the
     * calling thread; call it from routes, hooks that can afford it, or jobs. */
    int (*http)(parley_plugin* plugin, const parley_http_request* request, parley_http_response* response);

    /* Since 1.0. Runs `fn` every `interval_seconds` (at least 1), once per cluster however many nodes run:
     * nodes claim each run through the database. A run that fails is logged and retried at the next interval.
     * Call only from parley_plugin_load. */
    int (*schedule)(parley_plugin* plugin, const char* name, int interval_seconds, parley_job_fn fn,
                    void* user_data);

    /* Since 1.0. Exposes `fn` to Lua rules as parley.<name>, where `name` is "<namespace>.<function>"
     * (e.g. "kb.search" gives parley.kb.search(text, {limit = 3})). Namespaces of the core (on, log, now,
     * import, kv, time, text, http) and of other plugins are refused. Call only from parley_plugin_load. */
    int (*lua_function)(parley_plugin* plugin, const char* name, parley_lua_fn fn, void* user_data);
    /* Since 1.0. Sets what the Lua call returns: a JSON value (objects become tables, arrays sequences). */
    int (*lua_return)(parley_lua_call* call, const char* json);

    /* Since 1.0. Posts a bot message into a conversation: `message_json` is {"text": "...", "quick_replies":
     * ["...", ...]} (quick replies optional). It is committed with its message.created outbox event before
     * the call returns, carries this plugin as its origin (so this plugin's hooks do not see it), and
     * `message_out` (may be NULL) receives the stored message as JSON. PARLEY_ERR_NOT_FOUND for an unknown
     * conversation, PARLEY_ERR_CONFLICT for a closed one. */
    int (*post_message)(parley_plugin* plugin, const char* conversation_id, const char* message_json,
                        const char** message_out);

    /* Since 1.0. Runs `fn` inside a write transaction of the host's database: every sql call `fn` makes on
     * this thread joins it. PARLEY_OK from `fn` commits; any other status (or a failed statement inside) rolls
     * everything back and is returned. Nested calls join the outer transaction. Inside a hook the host
     * dispatches within its own transaction, sql calls join that one already. */
    int (*transaction)(parley_plugin* plugin, parley_transaction_fn fn, void* user_data);

    /* Since 1.1. Subscribes durably, as `name` ([a-z0-9_], at most 64 characters, unique within the
     * plugin), to the committed outbox events whose names match `events`: a comma-separated list of
     * patterns where `*` matches any run of characters ("message.*, conversation.closed", "*"). Since 1.6 a
     * pattern may carry conditions on the event's payload, all of which must hold, so that events the plugin
     * would ignore are never written for it: "message.created[channel=whatsapp][message.sender_type=agent|bot]"
     * (a dotted path into the payload, = one of the |-separated values or != none of them; parley::eventMatches
     * in sdk.hpp has the rules). Hosts older than 1.6 refuse them (PARLEY_ERR_INVALID_ARGUMENT). The host
     * records the subscription in the database; from then on every event committed to the outbox is given
     * to `fn` at least once, even across restarts and kill -9, and once per cluster however many nodes run.
     * Events of one conversation arrive in commit order; a failing event is retried with back-off and holds
     * back only later events of the same conversation for this subscription. `committed` may be NULL. Check
     * `abi_minor >= 1` (or `size`) before calling from a plugin that also runs on 1.0 hosts. Call only from
     * parley_plugin_load. */
    int (*subscribe)(parley_plugin* plugin, const char* name, const char* events, parley_event_fn fn,
                     parley_committed_fn committed, void* user_data);

    /* Since 1.2. Channel plugins (WhatsApp, ...): opens, or finds, the open conversation of an outside contact.
     * `request_json` is {"channel": "whatsapp" ([a-z0-9_], the plugin's own id or one it serves),
     * "tenant_id": ..., "widget_id": ... (a widget of that tenant: its bot and settings apply),
     * "contact_id": ... (the contact's id on the channel, e.g. a WhatsApp wa_id; stored as visitor_id, at most
     * 100 bytes), "visitor_info": {...} (optional: name, phone, ...; at most 8 KiB), "context": {...}
     * (optional, at most 16 KiB: attribution such as {"utm": {...}, "referral": {...}})}. The conversation not
     * closed with that widget, channel and contact is returned; when there is none, one is created (status
     * "bot") with its conversation.started outbox event. Racing calls for one contact get one conversation.
     * `conversation_out` (may be NULL) receives {"conversation": {...}, "created": true|false}.
     * PARLEY_ERR_NOT_FOUND when the widget is not the tenant's. */
    int (*channel_conversation)(parley_plugin* plugin, const char* request_json, const char** conversation_out);

    /* Since 1.2. Posts a message a contact sent on a channel into their conversation, through the same road as
     * the web widget's visitor messages: screened by message.inbound hooks, committed with its message.created
     * outbox event, answered by bots afterwards, pushed live to the inbox. `message_json` is {"type": "text"
     * ([a-z_], at most 20 bytes: text, image, location, quick_reply, ...), "text": "..." (at most 4000 bytes;
     * may be "" for non-text types), "payload": {...} (optional, at most 32 KiB), "client_message_id": "..."
     * (optional, at most 200 bytes: the channel's message id; a repeat, even a concurrent one, returns the
     * first result and stores nothing)}. `result_out` (may be NULL) receives {"message": {...}, "duplicate":
     * true|false}. PARLEY_ERR_DENIED when a hook rejected it (nothing stored; last_error has the reason),
     * PARLEY_ERR_NOT_FOUND for an unknown conversation, PARLEY_ERR_CONFLICT for a closed one. Runs hooks: do
     * not call it from inside a hook or a subscription callback. */
    int (*post_inbound)(parley_plugin* plugin, const char* conversation_id, const char* message_json,
                        const char** result_out);

    /* Since 1.2. Records the delivery status of an outbound message a channel carried. `status_json` is
     * {"status": "queued" | "accepted" | "sent" | "delivered" | "read" | "failed", "at": <ms> (optional, default
     * now), "external_id": "..." (optional: the channel's id for the message), "error": {...} (optional, for
     * failed)}. The message's payload.delivery becomes {"status", "<status>_at" for each status seen,
     * "external_id", "error"}: statuses only move forward (queued < accepted < sent < delivered < read), so
     * late or repeated ones record their time but never move it back; "failed" wins over everything before
     * "delivered". When the status changed, a message.status outbox event is committed with it and agents
     * watching the tenant receive {"type": "message_status", ...} live (docs/http-api.md#realtime).
     * `message_out` (may be NULL) receives {"message": {...}, "changed": true|false}. PARLEY_ERR_NOT_FOUND for
     * an unknown message. Opens its own write transaction: not from inside a subscription callback. */
    int (*message_status)(parley_plugin* plugin, const char* message_id, const char* status_json,
                          const char** message_out);

    /* Since 1.3. Stores a file in a conversation through the core's file store, exactly as the web widget's
     * uploads are stored: the same accepted types with the same content sniffing, the same size limit (the
     * conversation's widget's features.max_file_size, 10 MiB by default, never over 100 MiB), the same storage
     * under data_dir/files/ and the same download URL (/api/v1/files/<id>/<token>, a capability link).
     * `request_json` is {"filename": "..." (1 to 200 bytes, no slashes or newlines), "content_type": "image/jpeg"
     * (parameters after ";" are dropped), "message_id": "..." (optional: a message of this conversation whose
     * payload.file becomes the stored file, in the same transaction as the file's row; agents watching the
     * tenant then receive {"type": "message_updated", ...} live)}. `data` and `size` are the bytes (the host
     * copies them). `file_out` (may be NULL) receives {"file": {"id", "name", "content_type", "size", "url"},
     * "message": {...} (when message_id was given)}. PARLEY_ERR_DENIED when the file is over the limit,
     * PARLEY_ERR_INVALID_ARGUMENT for a type not accepted or content that does not match it (last_error says
     * which), PARLEY_ERR_NOT_FOUND for an unknown conversation or message, PARLEY_ERR_CONFLICT for a closed
     * conversation when no message_id is given (a message's late media may still arrive after it closed).
     * Writes the bytes and opens its own write transaction: not from inside a subscription callback or a
     * transaction; call it from a job or a worker thread, never on the webhook's request path if it can wait. */
    int (*store_file)(parley_plugin* plugin, const char* conversation_id, const char* request_json, const char* data,
                      size_t size, const char** file_out);

    /* Since 1.3. Merges `attributes_json`, a JSON object, into the conversation's custom attributes (the ones
     * Lua rules set with ctx:set and the agent and admin APIs show as conversation.attributes): each key
     * replaces the stored one, a null value removes the key; the merged attributes are at most 16 KiB. Keys are
     * 1 to 64 bytes. Committed with a conversation.updated outbox event {"conversation_id", "conversation":
     * {...}, "attributes": <the patch as given>, "origin": "<plugin id>"} in the same transaction, and agents
     * watching the tenant receive the conversation live ({"type": "conversation", ...}). Nothing changes (and
     * no event is written) when the patch changes nothing. `conversation_out` (may be NULL) receives
     * {"conversation": {...}, "changed": true|false}. PARLEY_ERR_NOT_FOUND for an unknown conversation. Opens
     * its own write transaction: not from inside a subscription callback or a transaction. */
    int (*set_conversation_attributes)(parley_plugin* plugin, const char* conversation_id, const char* attributes_json,
                                       const char** conversation_out);

    /* Since 1.3. Pushes a small live notice to the signed-in users (agents and admins) of `tenant_id` connected
     * to the realtime WebSocket, on every node: they receive {"type": "plugin_event", "plugin": "<plugin id>",
     * "name": "<name>", "data": <data_json>} (docs/http-api.md#realtime). `name` is 1 to 64 of [a-z0-9_.];
     * `data_json` is a JSON object of at most 4 KiB. Best effort and not stored: a client that is not connected
     * misses it, so send progress and state a client can also read through the plugin's own API. */
    int (*publish_realtime)(parley_plugin* plugin, const char* tenant_id, const char* name, const char* data_json);

    /* Since 1.3. Reads a tenant's contacts (the people lead capture and admins recorded, with their tags), in id
     * order. `query_json` is {"tag": "vip" (optional: only contacts with this tag), "after": "<contact id>"
     * (optional: the page after it), "limit": 1..1000 (optional, default 200)}. `contacts_out` receives
     * {"contacts": [{"id", "name", "email", "phone" (as entered; may be empty), "tags": [...], "created_at",
     * "updated_at"}], "next": "<id to pass as after>" | null}. PARLEY_ERR_NOT_FOUND for an unknown tenant. */
    int (*contacts)(parley_plugin* plugin, const char* tenant_id, const char* query_json, const char** contacts_out);

    /* Since 1.4. Subscribes durably like `subscribe`, with the same guarantees (at least once, commit order per
     * conversation, once per cluster, across restarts and kill -9, a failing event holding back only its own
     * conversation) and the same `name` and `events` rules (names are shared with `subscribe`: one plugin
     * cannot have both kinds under one name), but `fn` receives all the events a dispatcher pass has due for
     * the subscription in one call, as a JSON array (up to the host's outbox.batch_size, 200 by default), so a
     * plugin can store them with one multi-row statement. `committed` (may be NULL) is called as for
     * `subscribe`. A plugin that also runs on older hosts checks `abi_minor >= 4` (or `size`) first and falls
     * back to `subscribe`. Call only from parley_plugin_load. */
    int (*subscribe_batch)(parley_plugin* plugin, const char* name, const char* events, parley_batch_fn fn,
                           parley_committed_fn committed, void* user_data);

    /* Since 1.5. Channel plugins: channel_conversation and post_inbound in one call, with one read (the contact's
     * open conversation and whether the message id is stored in it) and one commit. `request_json` is
     * channel_conversation's request ({"channel", "tenant_id", "widget_id", "contact_id", "visitor_info",
     * "context"}, same rules) plus "message": post_inbound's message ({"type", "text", "payload",
     * "client_message_id"}, same rules) and, optionally, "with_commit": up to 8 statements
     * [{"sql": "...", "params": [...]}] run in the message's own transaction, after the message and its
     * message.created outbox event are written: they commit with it or not at all (a failing statement fails the
     * call, PARLEY_ERR_INTERNAL, and nothing is stored). `params` are as for sql, plus objects that stand for
     * values known only at the commit: {"host": "conversation_id"}, {"host": "message_id"}, {"host":
     * "tenant_id"}, {"host": "created_at"} (ms). A duplicate (the client message id already stored) or a rejected
     * message runs none of them. Use them for bookkeeping that must be visible as soon as the message is (e.g.
     * what a bot's immediate answer reads): it saves a transaction of its own and its commit. Everything else is
     * post_inbound's: the message.inbound hooks screen it, bots answer after the commit, agents see it live.
     * When the contact has no open conversation, one is opened (status "bot", with its conversation.started
     * event) as channel_conversation does. `result_out` (may be NULL: nothing is built) receives
     * {"conversation": {...}, "created": true|false, "message": {...}, "duplicate": true|false}.
     * PARLEY_ERR_DENIED when a hook rejected the message (nothing stored, last_error has the reason), or when
     * called inside a transaction or subscription callback; PARLEY_ERR_NOT_FOUND when the widget is not the
     * tenant's; PARLEY_ERR_INVALID_ARGUMENT for a malformed field. Check `abi_minor >= 5` (or `size`) first on a
     * plugin that also runs on older hosts, and fall back to channel_conversation then post_inbound. */
    int (*channel_inbound)(parley_plugin* plugin, const char* request_json, const char** result_out);
} parley_host_api;

/* The entry point every plugin exports. Register hooks and routes here and return PARLEY_OK; any other
 * status (with last_error set via the SDK) disables the plugin and rolls back what it registered. */
typedef int (*parley_plugin_load_fn)(const parley_host_api* api, parley_plugin* plugin);
#define PARLEY_PLUGIN_LOAD_SYMBOL "parley_plugin_load"

/* Optional, exported as `parley_plugin_unload`: called once at shutdown, after the HTTP server and the
 * outbox dispatcher stopped and before the host's services close. Stop and join the plugin's own threads
 * here; the host function table may still be used during the call. Since 1.1. */
typedef void (*parley_plugin_unload_fn)(void);
#define PARLEY_PLUGIN_UNLOAD_SYMBOL "parley_plugin_unload"

/* The ABI a plugin was built against, exported as `parley_plugin_abi` (major << 16 | minor). */
typedef uint32_t (*parley_plugin_abi_fn)(void);
#define PARLEY_PLUGIN_ABI_SYMBOL "parley_plugin_abi"

#ifdef __cplusplus
#define PARLEY_EXTERN_C extern "C"
#else
#define PARLEY_EXTERN_C
#endif
#define PARLEY_EXPORT __attribute__((visibility("default")))
#define PARLEY_PLUGIN_DECLARE_ABI                                                          \
    PARLEY_EXTERN_C PARLEY_EXPORT uint32_t parley_plugin_abi(void) {                        \
        return ((uint32_t)PARLEY_ABI_MAJOR << 16) | (uint32_t)PARLEY_ABI_MINOR;             \
    }

#ifdef __cplusplus
}
#endif

#endif /* PARLEY_PLUGIN_H */

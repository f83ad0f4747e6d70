// Fetches URLs through the host's guarded client, runs plugin SQL and channel_inbound, and counts runs of a
// scheduled job, for the integration tests.
#include <parley/sdk.hpp>

#include <string>

namespace {
parley::Plugin* g_plugin = nullptr;  // set once in load; the job callback has only a void* to go on

int tick(void*) {
    return parley::Plugin::guarded(g_plugin->api(), [] {
        long ticks = std::stol(g_plugin->kvGet("ticks").value_or("0")) + 1;
        g_plugin->kvSet("ticks", std::to_string(ticks));
    });
}
}  // namespace

PARLEY_PLUGIN(load) {
    static parley::Plugin plugin = p;
    g_plugin = &plugin;
    plugin.api()->schedule(plugin.handle(), "tick", 1, &tick, nullptr);
    p.route("GET", "/fetch", parley::Public, [](const parley::Request& r, parley::Response& w) {
        std::string url = r.param("url").value_or("");
        parley_http_request req{sizeof(parley_http_request), "GET", url.c_str(), nullptr, nullptr, 0, 2000, 0, 1};
        parley_http_response resp{sizeof(parley_http_response), 0, nullptr, nullptr, 0};
        int rc = g_plugin->api()->http(g_plugin->handle(), &req, &resp);
        if (rc != PARLEY_OK) {
            w.error(rc == PARLEY_ERR_DENIED ? 403 : 502, rc == PARLEY_ERR_DENIED ? "denied" : "failed",
                    g_plugin->api()->last_error());
            return;
        }
        w.json(200, "{\"status\":" + std::to_string(resp.status) + ",\"body\":" +
                        parley::Response::quote(std::string(resp.body, resp.body_size)) + "}");
    });
    // POST /hooks/http_probe/post?conversation=ID with a message JSON body posts it as the bot.
    p.route("POST", "/post", parley::Public, [](const parley::Request& r, parley::Response& w) {
        try {
            w.json(201, g_plugin->postMessage(r.param("conversation").value_or(""), std::string(r.body())));
        } catch (const parley::Error& e) {
            w.error(e.status() == PARLEY_ERR_NOT_FOUND ? 404 : 409, "post_failed", e.what());
        }
    });
    // POST /notes with a JSON array of parameters [id, body, score, done] inserts a row; GET /notes?min=N lists.
    p.route("POST", "/notes", parley::Public, [](const parley::Request& r, parley::Response& w) {
        try {
            g_plugin->sql("INSERT INTO http_probe_notes (id, body, score, done) VALUES (:1, :2, :3, :4)",
                          std::string(r.body()));
            w.json(201, "{}");
        } catch (const parley::Error& e) {
            w.error(422, "sql_failed", e.what());
        }
    });
    // POST /notes/pair with [[id, body, score, done], [id, ...]] inserts both rows in one transaction, or neither.
    p.route("POST", "/notes/pair", parley::Public, [](const parley::Request& r, parley::Response& w) {
        std::string body(r.body());
        auto split = body.find("],");
        std::string first = body.substr(1, split), second = body.substr(split + 2, body.size() - split - 3);
        try {
            g_plugin->transaction([&] {
                const char* insert = "INSERT INTO http_probe_notes (id, body, score, done) VALUES (:1, :2, :3, :4)";
                g_plugin->sql(insert, first);
                g_plugin->sql(insert, second);
            });
            w.json(201, "{}");
        } catch (const parley::Error& e) {
            w.error(422, "sql_failed", e.what());
        }
    });
    // POST /inbound with a channel_inbound request (ABI 1.5) posts a contact's message; 201 with the host's result.
    p.route("POST", "/inbound", parley::Public, [](const parley::Request& r, parley::Response& w) {
        try {
            w.json(201, g_plugin->channelInbound(std::string(r.body())));
        } catch (const parley::Error& e) {
            int status = e.status() == PARLEY_ERR_NOT_FOUND ? 404 : e.status() == PARLEY_ERR_DENIED ? 403 : 422;
            w.error(status, "inbound_failed", e.what());
        }
    });
    p.route("GET", "/notes", parley::Public, [](const parley::Request& r, parley::Response& w) {
        std::string min = r.param("min").value_or("0");
        w.json(200, g_plugin->sql("SELECT id, body, score, done FROM http_probe_notes WHERE id >= :1 ORDER BY id",
                                  "[" + std::to_string(std::stol(min)) + "]"));
    });
    p.route("GET", "/ticks", parley::Public, [](const parley::Request&, parley::Response& w) {
        w.json(200, "{\"ticks\":" + g_plugin->kvGet("ticks").value_or("0") + "}");
    });
}

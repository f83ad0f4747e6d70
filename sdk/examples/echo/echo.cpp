// The echo plugin: one hook, one admin route, one public route, and a counter in the key-value store.
#include <parley/sdk.hpp>

#include <string>

namespace {

// Reads a string field from a flat JSON object (enough for this example; real plugins use a JSON library).
std::string field(const std::string& json, const std::string& key) {
    auto at = json.find("\"" + key + "\"");
    if (at == std::string::npos) return "";
    auto start = json.find('"', json.find(':', at) + 1);
    if (start == std::string::npos) return "";
    std::string out;
    for (size_t i = start + 1; i < json.size() && json[i] != '"'; ++i) {
        if (json[i] == '\\' && i + 1 < json.size()) ++i;
        out.push_back(json[i]);
    }
    return out;
}

long number(const std::string& json, const std::string& key, long fallback) {
    auto at = json.find("\"" + key + "\"");
    if (at == std::string::npos) return fallback;
    return std::stol(json.substr(json.find(':', at) + 1));
}

}  // namespace

PARLEY_PLUGIN(load) {
    std::string config = p.config();
    std::string prefix = field(config, "prefix");
    long max_length = number(config, "max_length", 200);

    // A visitor writing "echo hello" gets "hello" back as the bot's reply.
    p.on("message.inbound", 500, parley::Filter, [prefix, max_length](parley::Event& e) {
        std::string text = field(e.payload(), "text");
        if (text.rfind(prefix, 0) != 0) return;
        std::string echo = text.substr(prefix.size(), static_cast<size_t>(max_length));
        e.addAction("{\"type\":\"reply\",\"text\":" + parley::Response::quote(echo) + "}");
    });

    // GET /api/v1/plugins/echo/echo?text=hi -> {"echo":"hi","tenant":"...","role":"...","calls":N}
    parley::Plugin plugin = p;  // a small value: callbacks keep their own copy
    p.route("GET", "/echo", parley::Admin, [plugin](const parley::Request& r, parley::Response& w) {
        auto text = r.param("text");
        if (!text) {
            w.error(422, "invalid_field", "query parameter 'text' is required");
            return;
        }
        long calls = std::stol(plugin.kvGet("calls").value_or("0")) + 1;
        plugin.kvSet("calls", std::to_string(calls));
        plugin.count("echoes");
        w.json(200, "{\"echo\":" + parley::Response::quote(*text) + ",\"tenant\":" + parley::Response::quote(r.tenantId()) +
                        ",\"role\":" + parley::Response::quote(r.role()) + ",\"calls\":" + std::to_string(calls) + "}");
    });

    // POST /api/v1/plugins/echo/emit emits a test.ping event to the other plugins' hooks.
    p.route("POST", "/emit", parley::Admin, [plugin](const parley::Request& r, parley::Response& w) {
        plugin.emit("test.ping", r.body().empty() ? "{}" : std::string(r.body()));
        w.json(202, "{\"emitted\":\"test.ping\"}");
    });

    // GET /hooks/echo/ping -> pong (public: no sign-in)
    p.route("GET", "/ping", parley::Public,
            [](const parley::Request&, parley::Response& w) { w.send(200, "text/plain", "pong"); });
}

// Registers a hook and a route, then throws: the host must disable it and publish neither.
#include <parley/sdk.hpp>

PARLEY_PLUGIN(load) {
    p.on("test.ping", 1, parley::Notification, [](parley::Event&) {});
    p.route("GET", "/x", parley::Public, [](const parley::Request&, parley::Response& w) { w.send(200, "text/plain", "x"); });
    throw std::runtime_error("cannot reach the calendar service");
}

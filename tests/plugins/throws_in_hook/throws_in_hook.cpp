// Loads fine; its hook throws on every event. The failure is contained and reported, the host goes on.
#include <parley/sdk.hpp>

PARLEY_PLUGIN(load) {
    p.on("test.ping", 1, parley::Filter, [](parley::Event&) { throw std::runtime_error("hook exploded"); });
}

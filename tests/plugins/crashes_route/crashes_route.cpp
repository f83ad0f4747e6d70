// Its routes fail: one throws, one returns without answering. Callers get 500 JSON errors, the host lives.
#include <parley/sdk.hpp>

PARLEY_PLUGIN(load) {
    p.route("GET", "/boom", parley::Public,
            [](const parley::Request&, parley::Response&) { throw std::logic_error("index out of range"); });
    p.route("GET", "/silent", parley::Public, [](const parley::Request&, parley::Response&) {});
}

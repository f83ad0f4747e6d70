// crm_webhooks wiring: the durable subscription feeding the delivery queue and the automation bridge, the
// admin routes, the hourly health check, and the threads' start and stop.
#include "admin_routes.hpp"
#include "automation.hpp"
#include "delivery.hpp"

#include <memory>

namespace {

using namespace parley::crm_webhooks;

// Lives for the process (plugins are never unloaded); parley_plugin_unload stops its threads.
struct State {
    std::unique_ptr<Deliveries> deliveries;
    std::unique_ptr<Automation> automation;
    std::unique_ptr<AdminRoutes> admin;
};
State& state() {
    static State s;
    return s;
}

}  // namespace

PARLEY_PLUGIN(load) {
    Settings settings = readSettings(p.config());
    State& s = state();
    s.deliveries = std::make_unique<Deliveries>(p, settings);
    s.automation = std::make_unique<Automation>(p, settings);
    s.admin = std::make_unique<AdminRoutes>(p, settings, *s.deliveries);

    // Every committed event: queued for each matching endpoint in the same transaction that acknowledges it, a
    // dispatcher pass's events at once (ABI 1.4), so the queue rows of a pass go in one multi-row statement.
    p.subscribeBatch(
        "deliveries", "*",
        [](const std::string& events_json, std::size_t) {
            std::vector<Json> events = parseEvents(events_json);
            try {
                state().deliveries->enqueueBatch(events);
                state().automation->stageBatch(events);
            } catch (...) {
                // The host rolls this call's writes back (and offers the events again one by one): forget what
                // was cached about the transaction. (Staging is the call's last step: a failed call staged nothing.)
                state().deliveries->forgetTransaction();
                throw;
            }
        },
        [] {
            state().deliveries->committed();  // hands what it claimed to the senders, wakes the claimer
            state().automation->committed();
        });

    // Another plugin (the knowledge base falling back) asks for a message to go to the widget's automation:
    // payload {conversation_id, widget_id, message: {...}}.
    p.on("automation.forward", 100, parley::Notification, [](parley::Event& e) {
        Json payload = parseObject(e.payload());
        Json event = new Poco::JSON::Object;
        event->set("payload", payload);
        event->set("conversation_id", stringOf(payload, "conversation_id"));
        state().automation->forward(event);
    });

    auto admin = [](const parley::Request& r, parley::Response& w) {
        state().deliveries->ensureStarted();
        state().admin->handle(r, w);
    };
    for (const char* path : {"/endpoints", "/errors"}) {
        p.route("GET", path, parley::Admin, admin);
    }
    p.route("POST", "/endpoints", parley::Admin, admin);
    for (const char* method : {"GET", "PATCH", "DELETE"}) p.route(method, "/endpoints/{id}", parley::Admin, admin);
    for (const char* action : {"rotate-secret", "test", "replay"})
        p.route("POST", std::string("/endpoints/{id}/") + action, parley::Admin, admin);
    p.route("GET", "/endpoints/{id}/deliveries", parley::Admin, admin);
    p.route("POST", "/deliveries/{id}/replay", parley::Admin, admin);
    for (const char* method : {"GET", "PUT", "DELETE"}) p.route(method, "/automations/{widget_id}", parley::Admin, admin);

    // Failing endpoints are checked once per cluster; any run also makes sure this node's workers run, so
    // retries waiting in the queue are sent after a restart even when no new event arrives.
    p.every("health", settings.health_interval_seconds, [] {
        state().deliveries->ensureStarted();
        state().deliveries->checkHealth();
    });
    p.every("workers", 1, [] { state().deliveries->ensureStarted(); });
}

// Joins the workers at shutdown, while the host still serves their calls.
extern "C" PARLEY_EXPORT void parley_plugin_unload() {
    if (state().automation) state().automation->stop();
    if (state().deliveries) state().deliveries->stop();
}

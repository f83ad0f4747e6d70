// WhatsApp as a channel: Meta's webhooks in (/hooks/whatsapp), agent and bot replies out through the Graph API,
// statuses back onto the messages, flows and broadcasts. Wiring only; the logic lives in src/.
#include "src/flows.hpp"
#include "src/ingest.hpp"
#include "src/media.hpp"
#include "src/progress.hpp"
#include "src/routes.hpp"
#include "src/sender.hpp"

#include <parley/sdk.hpp>

#include <memory>

using namespace parley::whatsapp;

namespace {
// One of each for the process (the host never unloads a plugin); the sender is stopped at unload.
std::unique_ptr<Settings> g_settings;
std::unique_ptr<ProgressNotices> g_progress;
std::unique_ptr<Numbers> g_numbers;
std::unique_ptr<Ingest> g_ingest;
std::unique_ptr<Sender> g_sender;
std::unique_ptr<Flows> g_flows;
std::unique_ptr<Media> g_media;
}  // namespace

PARLEY_PLUGIN(load) {
    Db db(p);
    g_settings = std::make_unique<Settings>(Settings::fromJson(p.config()));
    g_numbers = std::make_unique<Numbers>(db);
    g_progress = std::make_unique<ProgressNotices>(db);
    g_ingest = std::make_unique<Ingest>(db, *g_numbers, *g_settings, g_progress.get());
    g_sender = std::make_unique<Sender>(db, *g_numbers, *g_ingest, *g_settings, *g_progress);
    g_flows = std::make_unique<Flows>(db, *g_settings);
    g_media = std::make_unique<Media>(db, *g_numbers, *g_settings);

    p.route("GET", "/", parley::Public, [](const parley::Request& r, parley::Response& w) { g_ingest->handshake(r, w); });
    p.route("POST", "/", parley::Public, [](const parley::Request& r, parley::Response& w) { g_ingest->deliver(r, w); });
    // Agent and bot messages of WhatsApp conversations, durably: queued in the host's transaction, sent after.
    // The conditions (ABI 1.6) keep the visitors' own messages out of it: no delivery is written for them.
    p.subscribe("outbound", "message.created[channel=whatsapp][message.sender_type=agent|bot]",
                [](const std::string& event) { g_sender->onMessageCreated(event); }, [] { g_sender->wake(); });
    // Inbound media, durably: queued in the message's commit, fetched and stored after the webhook's 200.
    p.subscribe("media", "message.created[channel=whatsapp][message.sender_type=visitor][message.type=image|video|audio|document|sticker]",
                [](const std::string& event) { g_media->onMessageCreated(event); },
                [] { g_media->wake(); });
    // Flows answer before Lua rules (100) and the knowledge base (500).
    p.on("message.inbound", 50, parley::Filter, [](parley::Event& e) { g_flows->onInbound(e); });
    registerAdminRoutes(p, db, *g_numbers, *g_sender, *g_settings);
    registerFlowRoutes(p, db, *g_flows);
    g_sender->start();
    g_media->start();
}

extern "C" PARLEY_EXPORT void parley_plugin_unload(void) {
    if (g_sender) g_sender->stop();
    if (g_media) g_media->stop();
}

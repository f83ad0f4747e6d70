// Start-up order: config, app (database, key), migrations, routes, listen; shutdown in reverse on SIGTERM.
#include "app/server_app.hpp"

#include "app/app.hpp"
#include "app/commands.hpp"
#include "app/errors.hpp"
#include "http/access_log.hpp"
#include "http/router.hpp"
#include "http/routes.hpp"
#include "http/server.hpp"
#include "lua/script_engine.hpp"
#include "lua/transcript.hpp"
#include "jobs/scheduler.hpp"
#include "pipeline/outbox_retention.hpp"
#include "pipeline/message_pipeline.hpp"
#include "realtime/hub.hpp"
#include "pipeline/routing.hpp"
#include "store/database.hpp"
#include "pipeline/outbox_dispatcher.hpp"
#include "net/outbound_http.hpp"
#include "plugin/plugin_host.hpp"
#include "plugin/manifest.hpp"
#include "auth/secret_box.hpp"
#include "store/database.hpp"

#include <Poco/Channel.h>
#include <Poco/Message.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>

#include <algorithm>
#include <csignal>
#include <iostream>
#include <sstream>

namespace parley::core {
namespace {

// Routes Poco's logger through our JSON log lines.
class JsonLogChannel : public Poco::Channel {
public:
    void log(const Poco::Message& msg) override {
        static const char* names[] = {"", "fatal", "critical", "error", "warning", "notice", "info", "debug", "trace"};
        writeEventLog(names[msg.getPriority()], msg.getText());
    }
};

}  // namespace

void ServerApp::defineOptions(Poco::Util::OptionSet& options) {
    ServerApplication::defineOptions(options);
    using Poco::Util::Option;
    options.addOption(Option("help", "h", "show commands and options").required(false).repeatable(false));
    options.addOption(Option("config", "c", "config file (default config/parley.json)")
                          .required(false).repeatable(false).argument("FILE"));
    options.addOption(Option("set", "s", "override one config key, e.g. --set=server.port=9000")
                          .required(false).repeatable(true).argument("KEY=VALUE"));
    options.addOption(Option("email", "", "email for create-admin / reset-password").required(false).argument("EMAIL"));
    options.addOption(Option("name", "", "display name for create-admin").required(false).argument("NAME"));
    options.addOption(Option("password", "", "password for create-admin (default: a generated one-time password)")
                          .required(false).argument("PASSWORD"));
}

void ServerApp::handleOption(const std::string& name, const std::string& value) {
    ServerApplication::handleOption(name, value);
    if (name == "help") {
        help_ = true;
        stopOptionsProcessing();
    } else if (name == "config") {
        config_path_ = value;
        config_given_ = true;
    } else if (name == "set") {
        auto eq = value.find('=');
        if (eq == std::string::npos) throw Poco::InvalidArgumentException("--set needs KEY=VALUE, got " + value);
        overrides_.emplace_back(value.substr(0, eq), value.substr(eq + 1));
    } else if (name == "email") {
        email_ = value;
    } else if (name == "name") {
        name_ = value;
    } else if (name == "password") {
        password_ = value;
    }
}

void ServerApp::printHelp() {
    Poco::Util::HelpFormatter help(options());
    help.setCommand("parleyd");
    help.setUsage("[OPTIONS] [COMMAND]");
    help.setHeader(
        "Parley chat server.\n\nCommands:\n"
        "  serve              run the server (default)\n"
        "  migrate            apply pending database migrations\n"
        "  create-admin       create a super admin (--email, optional --password, --name)\n"
        "  reset-password     give a user a new one-time password (--email)\n"
        "  seed-demo          create the demo tenant, admin and widget (once)\n"
        "  plugins            load the enabled plugins and show which loaded and why others did not\n"
        "  script test FILE.lua TRANSCRIPT\n"
        "                     check a Lua rule file against a transcript (offline)\n"
        "  config             print the effective configuration, secrets masked\n"
        "  secrets rewrap     re-seal stored secrets with the current master key\n"
        "  secrets seal KEY   seal a secret plugin setting (value on stdin) for the config file\n"
        "  version            print the version\n");
    help.format(std::cout);
}

int ServerApp::main(const std::vector<std::string>& args) {
    if (help_) {
        printHelp();
        return EXIT_OK;
    }
    std::string command = args.empty() ? "serve" : args[0];
    if (command == "version") {
        std::cout << "parleyd " << PARLEY_VERSION << "\n";
        return EXIT_OK;
    }
    Poco::Logger& log = Poco::Logger::get("parleyd");
    log.setChannel(new JsonLogChannel);
    try {
        std::vector<std::string> warnings;
        Config config = loadConfig(config_path_, config_given_, warnings, processEnvironment());
        for (const auto& [key, value] : overrides_) setConfigKey(config, key, value);
        validateConfig(config);
        log.setLevel(config.log.level);
        for (const auto& w : warnings) log.warning(w);
        if (command == "config") {
            configToJson(config, true)->stringify(std::cout, 2);
            std::cout << "\n";
            return EXIT_OK;
        }
        static const std::vector<std::string> known = {"serve", "migrate", "create-admin", "reset-password",
                                                       "seed-demo", "secrets", "plugins", "script"};
        if (std::find(known.begin(), known.end(), command) == known.end()) {
            std::cerr << "parleyd: unknown command '" << command << "' (see parleyd --help)\n";
            return EXIT_USAGE;
        }
        if (command == "serve") {
            config_ = std::move(config);
            return serve();
        }
        if (command == "script") {
            if (args.size() != 4 || args[1] != "test") {
                std::cerr << "usage: parleyd script test FILE.lua TRANSCRIPT\n";
                return EXIT_USAGE;
            }
            TranscriptOptions options;
            options.limits = scriptEngineOptions(config.lua).limits;
            options.scripts_dir = config.lua.scripts_dir;
            return runTranscript(args[2], args[3], options, std::cout);  // 0 all matched, 1 differences, 2 unreadable
        }
        auto app = openApp(config, log);
        if (command == "migrate") {
            runMigrations(*app, std::cout);
        } else if (command == "create-admin" || command == "reset-password") {
            if (email_.empty()) {
                std::cerr << "parleyd " << command << ": --email is required\n";
                return EXIT_USAGE;
            }
            runMigrations(*app, std::cout);
            if (command == "create-admin") createAdmin(*app, email_, name_, password_, std::cout);
            else resetPassword(*app, email_, std::cout);
        } else if (command == "plugins") {
            runMigrations(*app, std::cout);
            app->plugins->loadAll();
            printPluginStatus(*app, std::cout);
            app->plugins->stopAll();
        } else if (command == "seed-demo") {
            runMigrations(*app, std::cout);
            seedDemo(*app, std::cout);
        } else if (command == "secrets") {
            if (args.size() == 2 && args[1] == "rewrap") {
                rewrapSecrets(*app, std::cout);
            } else if (args.size() == 3 && args[1] == "seal") {
                // The value comes on standard input, so it stays out of shell history and `ps`.
                std::string value((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
                while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
                std::cout << sealConfigSecret(*app->secrets, args[2], value) << "\n";
            } else {
                std::cerr << "parleyd secrets: use 'secrets rewrap' or 'secrets seal plugins.<id>.<key>' "
                             "(value on standard input)\n";
                return EXIT_USAGE;
            }
        }
        return EXIT_OK;
    } catch (const ConfigError& e) {
        std::cerr << "parleyd: " << e.what() << "\n";
        return EXIT_CONFIG;
    } catch (const ApiError& e) {
        std::cerr << "parleyd: " << e.what() << "\n";
        return EXIT_USAGE;
    } catch (const std::exception& e) {
        std::cerr << "parleyd: " << e.what() << "\n";
        return EXIT_SOFTWARE;
    }
}

int ServerApp::serve() {
    // Block SIGTERM and friends before any thread starts, so every thread inherits the mask and only
    // waitForTerminationRequest() receives them (otherwise a pool thread takes the default action: death).
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGQUIT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    Poco::Logger& log = Poco::Logger::get("parleyd");
    auto app = openApp(config_, log);
    std::ostringstream migrations;
    runMigrations(*app, migrations);
    log.information(migrations.str().substr(0, migrations.str().size() - 1));
    if (!app->db->isPostgres())
        log.information("database is SQLite: this server runs as a single node (use PostgreSQL for several)");
    Poco::SharedPtr<Router> router(new Router(*app));
    registerHealthRoutes(*router);
    registerAuthRoutes(*router);
    registerTenantRoutes(*router);
    registerUserRoutes(*router);
    registerWidgetRoutes(*router);
    registerPublicWidgetRoutes(*router);
    app->plugins->loadAll();
    registerPluginRoutes(*router);
    if (int days = app->config.outbox.retention_days; days > 0) {
        App* a = app.get();
        app->scheduler->add("core:outbox_retention", 3600, [a, days] {
            long long deleted = pruneOutboxAll(*a->db, nowMs() - days * 86400000LL);
            if (deleted) a->log->information("outbox: deleted " + std::to_string(deleted) + " events dispatched over " +
                                             std::to_string(days) + " days ago");
        });
    }
    app->scheduler->start();
    app->scripts->setExports(app->lua_exports.list());
    OutboundPolicy policy{app->config.outbound.allow_private_targets, app->config.outbound.allowed_private_hosts};
    app->scripts->setHttp([policy](const OutboundRequest& r) { return sendOutbound(r, policy); });
    app->scripts->start();
    registerScriptRoutes(*router);
    app->pipeline->start();
    app->realtime->start();
    registerConversationRoutes(*router);
    registerAgentRoutes(*router);
    registerRealtimeRoutes(*router);
    registerFileRoutes(*router);
    registerContactRoutes(*router);
    registerCommandRoutes(*router);
    // An automation (crm_webhooks) that answers "handoff": the core's queue takes the conversation.
    App* raw = app.get();
    app->hooks.add("core", "automation.handoff_requested", 1000, HookKind::notification, [raw](Event& e) {
        std::string id = e.payload->optValue<std::string>("conversation_id", "");
        auto c = isUuid(id) ? raw->db->read([&](soci::session& sql) { return ConversationRepository(sql).find(id); })
                            : std::nullopt;
        if (c) raw->routing->handoff(*c, "automation", "");
        return HookOutcome{};
    });
    registerAnalyticsRoutes(*router);
    registerWidgetEventRoutes(*router);
    app->outbox->onLocalCommits([raw] { raw->realtime->announceOutboxCommits(); });
    app->outbox->start();  // after plugins loaded: their durable subscriptions are registered
    HttpServer server(*app, router);
    server.start();
    std::cout << "parleyd listening on http://" << app->config.server.host << ":" << server.port() << std::endl;
    log.information("parleyd " + std::string(PARLEY_VERSION) + " serving " + app->config.publicUrl());
    waitForTerminationRequest();
    log.information("shutting down: finishing in-flight requests");
    server.stop();
    app->realtime->stop();  // closes every socket with 1001: clients reconnect to another node and resume
    app->pipeline->stop();  // finishes the bot answers already queued
    app->outbox->stop();    // what it had not acknowledged is delivered again at the next start
    app->plugins->stopAll();  // plugins join their own threads while the host still serves their calls
    app->scripts->stop();
    app->scheduler->stop();
    log.information("stopped");
    return EXIT_OK;
}

}  // namespace parley::core

// Every route group registers itself here; app/server.cpp calls them in order.
#pragma once

#include <memory>
#include <string>

namespace parley::core {

class Router;
class RequestContext;
struct PublicWidget;

// Finds the widget of a public call and checks it may serve it: active widget and tenant, allowed origin (CORS
// headers set for it), installation recorded, the tenant's rate limit. Throws the matching ApiError.
std::shared_ptr<const PublicWidget> admitWidgetRequest(RequestContext& ctx, const std::string& key, bool by_site_id);

void registerHealthRoutes(Router& router);
void registerAuthRoutes(Router& router);
void registerTenantRoutes(Router& router);
void registerUserRoutes(Router& router);
void registerWidgetRoutes(Router& router);
void registerPublicWidgetRoutes(Router& router);
void registerScriptRoutes(Router& router);
void registerPluginRoutes(Router& router);
void registerConversationRoutes(Router& router);
void registerAgentRoutes(Router& router);

struct App;
// True when an agent of the tenant is online (status online and a heartbeat within the presence timeout).
bool agentsAvailable(App& app, const std::string& tenant_id);

}  // namespace parley::core

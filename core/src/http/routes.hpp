// Every route group registers itself here; app/server.cpp calls them in order.
#pragma once

#include <memory>
#include <string>

namespace parley::core {

class Router;
class RequestContext;
struct PublicWidget;
struct Conversation;

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
void registerRealtimeRoutes(Router& router);
void registerFileRoutes(Router& router);
void registerContactRoutes(Router& router);
void registerCommandRoutes(Router& router);
void registerAnalyticsRoutes(Router& router);
// POST /api/v1/widgets/{key}/events and the CORS preflight of the visitor's write routes.
void registerWidgetEventRoutes(Router& router);

struct App;
// True when an agent of the tenant is online (status online and a heartbeat within the presence timeout).
bool agentsAvailable(App& app, const std::string& tenant_id);

// The visitor's conversation named in the path, checked against the widget and X-Visitor-Token: an unknown id,
// another widget's conversation and a wrong token all answer the same 404.
Conversation visitorConversation(RequestContext& ctx, const PublicWidget& widget);
// The tenant an agent call acts in (X-Parley-Tenant or ?tenant=) after the role check: 400 without one, 404 for
// a foreign tenant, 403 for a client_user on a write.
std::string agentTenant(RequestContext& ctx, bool writes);
// The tenant's conversation named in the path, or 404.
Conversation tenantConversation(RequestContext& ctx, const std::string& tenant);

}  // namespace parley::core

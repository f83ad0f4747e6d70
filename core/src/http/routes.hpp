// Every route group registers itself here; app/server.cpp calls them in order.
#pragma once

namespace parley::core {

class Router;

void registerHealthRoutes(Router& router);
void registerAuthRoutes(Router& router);
void registerTenantRoutes(Router& router);
void registerUserRoutes(Router& router);
void registerWidgetRoutes(Router& router);
void registerPublicWidgetRoutes(Router& router);
void registerScriptRoutes(Router& router);
void registerPluginRoutes(Router& router);

}  // namespace parley::core

// The admin API (README.md "Admin API"): one handler object serving every admin route of the plugin.
#pragma once

#include "delivery.hpp"

namespace parley::crm_webhooks {

class AdminRoutes {
public:
    AdminRoutes(parley::Plugin plugin, Settings settings, Deliveries& deliveries);

    // Checks tenant and role, then serves the route; every bad input answers {"error":{code,message}}.
    void handle(const parley::Request& r, parley::Response& w);

    Json endpointJson(const Json& row) const;

private:
    void route(const parley::Request& r, parley::Response& w, const std::string& tenant,
               const std::vector<std::string>& parts);
    void list(parley::Response& w, const std::string& tenant);
    void create(const parley::Request& r, parley::Response& w, const std::string& tenant);
    void update(const parley::Request& r, parley::Response& w, const std::string& tenant, const std::string& id);
    void rotate(const parley::Request& r, parley::Response& w, const std::string& tenant, const std::string& id);
    void listDeliveries(const parley::Request& r, parley::Response& w, const std::string& tenant, const std::string& id);
    void listErrors(const parley::Request& r, parley::Response& w, const std::string& tenant);
    void putAutomation(const parley::Request& r, parley::Response& w, const std::string& tenant, const std::string& widget);
    Json findEndpoint(const std::string& tenant, const std::string& id) const;
    void checkWidget(const std::string& tenant, const std::string& widget, const std::string& field) const;
    Json automationJson(const Json& row) const;
    static Json attemptJson(const Attempt& a);

    parley::Plugin p_;
    Settings s_;
    Deliveries& deliveries_;
};

}  // namespace parley::crm_webhooks

// The admin API under /api/v1/plugins/whatsapp/: numbers (secrets sealed, shown masked, health), sends, the
// service window and read receipts for the inbox, broadcasts. Flows register their own (flows.hpp).
#pragma once

#include "numbers.hpp"
#include "sender.hpp"
#include "settings.hpp"

namespace parley::whatsapp {

void registerAdminRoutes(parley::Plugin& p, Db db, Numbers& numbers, Sender& sender, const Settings& settings);

// Shared by the route files: the caller's tenant (answering 400 itself when none), writes for admins only.
std::optional<std::string> admitTenant(const parley::Request& r, parley::Response& w, bool write);
Object::Ptr requestObject(const parley::Request& r, parley::Response& w);
std::vector<std::string> pathParts(const std::string& path);
bool isUuid(const std::string& s);
std::optional<std::string> widgetTenant(const Db& db, const std::string& widget_id);

}  // namespace parley::whatsapp

// parleyd's commands besides serving: migrate, create-admin, reset-password, seed-demo, config, secrets rewrap.
#pragma once

#include "app/app.hpp"

#include <ostream>
#include <string>

namespace parley::core {

// Applies pending core migrations; prints what it did. Returns the number applied.
int runMigrations(App& app, std::ostream& out);

// Creates a super admin (or promotes an existing user); prints the password when it generated one.
void createAdmin(App& app, const std::string& email, const std::string& name, const std::string& password,
                 std::ostream& out);

// Gives a user a new one-time password (they must change it at next sign-in) and prints it.
void resetPassword(App& app, const std::string& email, std::ostream& out);

// Creates the demo tenant, its admin and a widget with site id "demo" unless they exist; prints the admin's
// one-time password the first time.
void seedDemo(App& app, std::ostream& out);

// Prints the plugin host's status table (after loadAll()).
void printPluginStatus(App& app, std::ostream& out);

// Re-seals every stored secret with the current master key (after rotating it). Prints counts.
void rewrapSecrets(App& app, std::ostream& out);

}  // namespace parley::core

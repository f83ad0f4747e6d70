// Stores a message with its outbox event atomically, in as few round trips as the database allows.
#pragma once

#include "store/conversation_repository.hpp"

#include <string>

namespace parley::core {

class Database;

// Gives `m` its conversation's next seq and stores it together with the outbox event `event_name`, whose payload
// is `event` plus {"message": m as JSON, seq included}. On PostgreSQL one statement (a data-modifying WITH is
// atomic without BEGIN and COMMIT: one round trip, one WAL flush instead of five round trips); on SQLite one
// write transaction (in-process: statements cost no round trip). Throws soci::soci_error when a constraint
// refuses it (a client message id already stored in the conversation) and std::runtime_error for an unknown
// conversation; either way nothing is stored.
void commitMessage(Database& db, Message& m, const std::string& event_name, const JsonObject& event);

}  // namespace parley::core

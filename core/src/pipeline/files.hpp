// Files visitors and agents attach to messages: checked (size, allowed type, content matching the type), stored
// under data_dir/files/<tenant>/<id>, served from a capability URL (/api/v1/files/<id>/<token>).
#pragma once

#include "http/json.hpp"
#include "store/conversation_repository.hpp"

#include <optional>
#include <string>

namespace parley::core {

struct App;

struct StoredFile {
    std::string id;
    std::string tenant_id;
    std::string conversation_id;
    std::string name;
    std::string content_type;
    long long size = 0;
    std::string sha256;
    std::string access_token;
    std::string uploaded_by;  // "visitor" or the agent's user id
    long long created_at = 0;

    std::string path(const App& app) const;
    // What a message shows: id, name, type, size and the download URL.
    JsonObject toJson(const App& app) const;
};

// The content types accepted, and whether the bytes look like what the type claims (images are sniffed, so an
// HTML page cannot pass as a PNG). Returns "" when fine, else the reason.
std::string fileProblem(const std::string& content_type, const std::string& bytes);

StoredFile storeFile(App& app, const Conversation& conversation, const std::string& name,
                     const std::string& content_type, const std::string& bytes, const std::string& uploaded_by);
std::optional<StoredFile> findFile(App& app, const std::string& conversation_id, const std::string& id);
// The file for a download URL: nullopt unless the token matches (constant time).
std::optional<StoredFile> findFileByToken(App& app, const std::string& id, const std::string& token);

}  // namespace parley::core

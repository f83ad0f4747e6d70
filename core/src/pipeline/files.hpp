// Files visitors and agents attach to messages: checked (size, allowed type, content matching the type), stored
// under data_dir/files/<tenant>/<id>, served from a capability URL (/api/v1/files/<id>/<token>).
#pragma once

#include "http/json.hpp"
#include "store/conversation_repository.hpp"

#include <functional>
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

// Whatever a widget says, no file is larger than this (agents' uploads get exactly this).
constexpr long long kFileHardLimit = 100LL * 1024 * 1024;

// The size limit for files in a widget's conversations: features.max_file_size (10 MiB when unset), capped by
// kFileHardLimit. `widget_config` may be null.
long long widgetFileLimit(const JsonObject& widget_config);

// Checks a file before it is stored, the same for the widget's uploads and for plugins (store_file): the name
// (1-200 bytes, no slashes or newlines), the type (lower case, parameters dropped; returned), the size against
// `limit` and the content against the type. Throws ApiError: 400 invalid_file_name or empty_file, 413
// file_too_large, 415 unsupported_media_type.
void checkFileName(const std::string& name);
std::string fileType(const std::string& content_type);  // lower case, parameters dropped; 415 when empty
std::string checkFile(const std::string& name, const std::string& content_type, const std::string& bytes, long long limit);

// Writes the bytes, then the row; `in_transaction` (optional) runs in the row's write transaction, so what it
// writes (e.g. a message naming the file) commits with it or not at all.
StoredFile storeFile(App& app, const Conversation& conversation, const std::string& name,
                     const std::string& content_type, const std::string& bytes, const std::string& uploaded_by,
                     const std::function<void(soci::session&, const StoredFile&)>& in_transaction = {});
std::optional<StoredFile> findFile(App& app, const std::string& conversation_id, const std::string& id);
// The file for a download URL: nullopt unless the token matches (constant time).
std::optional<StoredFile> findFileByToken(App& app, const std::string& id, const std::string& token);

}  // namespace parley::core

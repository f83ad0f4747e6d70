// The core's file store: what may be stored, and storing it (bytes on disk, then the row).
#include "pipeline/files.hpp"

#include "app/app.hpp"
#include "app/errors.hpp"
#include "auth/crypto.hpp"
#include "store/database.hpp"
#include "store/row.hpp"

#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/String.h>

#include <array>
#include <fstream>

namespace parley::core {
namespace {

struct Allowed {
    const char* type;
    const char* magic;  // bytes the content must have at `offset`; nullptr: not sniffed
    size_t magic_size;
    size_t offset = 0;
};

// Audio and video came with channel media (WhatsApp voice notes, clips): the widget accepts them too, sniffed
// where the format has a fixed signature, and they are served as downloads like every non-image.
const std::array<Allowed, 20> kAllowed = {{
    {"image/png", "\x89PNG\r\n\x1a\n", 8},
    {"image/jpeg", "\xff\xd8\xff", 3},
    {"image/gif", "GIF8", 4},
    {"image/webp", "RIFF", 4},
    {"application/pdf", "%PDF-", 5},
    {"text/plain", nullptr, 0},
    {"text/csv", nullptr, 0},
    {"application/zip", "PK\x03\x04", 4},
    {"application/msword", nullptr, 0},
    {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "PK\x03\x04", 4},
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "PK\x03\x04", 4},
    {"application/vnd.ms-excel", nullptr, 0},
    {"audio/ogg", "OggS", 4},
    {"audio/amr", "#!AMR", 5},
    {"audio/mpeg", nullptr, 0},
    {"audio/aac", nullptr, 0},
    {"audio/mp4", "ftyp", 4, 4},
    {"video/mp4", "ftyp", 4, 4},
    {"video/3gpp", "ftyp", 4, 4},
    {"video/webm", "\x1a\x45\xdf\xa3", 4},
}};

StoredFile fileFromRow(const soci::row& r) {
    StoredFile f;
    f.id = rowText(r, 0);
    f.tenant_id = rowText(r, 1);
    f.conversation_id = rowText(r, 2);
    f.name = rowText(r, 3);
    f.content_type = rowText(r, 4);
    f.size = rowInt(r, 5);
    f.sha256 = rowText(r, 6);
    f.access_token = rowText(r, 7);
    f.uploaded_by = rowText(r, 8);
    f.created_at = rowInt(r, 9);
    return f;
}

const char* kColumns =
    "SELECT id, tenant_id, conversation_id, name, content_type, size, sha256, access_token, uploaded_by, created_at "
    "FROM files ";

}  // namespace

std::string StoredFile::path(const App& app) const {
    return Poco::Path(app.config.server.data_dir).append("files/" + tenant_id + "/" + id).toString();
}

JsonObject StoredFile::toJson(const App& app) const {
    JsonObject o = jsonObject();
    o->set("id", id);
    o->set("name", name);
    o->set("content_type", content_type);
    o->set("size", static_cast<Poco::Int64>(size));
    o->set("url", app.config.publicUrl() + "/api/v1/files/" + id + "/" + access_token);
    return o;
}

std::string fileProblem(const std::string& content_type, const std::string& bytes) {
    for (const auto& a : kAllowed) {
        if (content_type != a.type) continue;
        if (a.magic && (bytes.size() < a.offset + a.magic_size || bytes.compare(a.offset, a.magic_size, a.magic, a.magic_size) != 0))
            return std::string("the content is not a ") + a.type + " file";
        if (!a.magic && content_type.rfind("text/", 0) == 0 && bytes.find('\0') != std::string::npos)
            return "a text file must not contain NUL bytes";
        return "";
    }
    std::string list;
    for (const auto& a : kAllowed) list += std::string(list.empty() ? "" : ", ") + a.type;
    return "type '" + content_type + "' is not accepted; send one of: " + list;
}

long long widgetFileLimit(const JsonObject& widget_config) {
    JsonObject features = widget_config ? widget_config->getObject("features") : nullptr;
    long long limit = features ? features->optValue<Poco::Int64>("max_file_size", 10485760) : 10485760;
    return std::min(limit, kFileHardLimit);
}

void checkFileName(const std::string& name) {
    if (name.empty() || name.size() > 200 || name.find_first_of("/\\\r\n") != std::string::npos)
        throw badRequest("invalid_file_name", "name the file in X-File-Name (1-200 bytes, no slashes or newlines)");
}

std::string fileType(const std::string& content_type) {
    std::string type = Poco::toLower(content_type);
    if (auto semi = type.find(';'); semi != std::string::npos) type = Poco::trim(type.substr(0, semi));
    if (type.empty()) throw ApiError(415, "unsupported_media_type", "send the file's type in Content-Type");
    return type;
}

std::string checkFile(const std::string& name, const std::string& content_type, const std::string& bytes, long long limit) {
    checkFileName(name);
    std::string type = fileType(content_type);
    if (bytes.empty()) throw badRequest("empty_file", "the file is empty");
    if (static_cast<long long>(bytes.size()) > std::min(limit, kFileHardLimit))
        throw ApiError(413, "file_too_large", "the file is " + std::to_string(bytes.size()) + " bytes; the limit is " +
                                                  std::to_string(std::min(limit, kFileHardLimit)) + " bytes");
    if (std::string problem = fileProblem(type, bytes); !problem.empty())
        throw ApiError(415, "unsupported_media_type", problem);
    return type;
}

StoredFile storeFile(App& app, const Conversation& c, const std::string& name, const std::string& content_type,
                     const std::string& bytes, const std::string& uploaded_by,
                     const std::function<void(soci::session&, const StoredFile&)>& in_transaction) {
    StoredFile f;
    f.id = newUuid();
    f.tenant_id = c.tenant_id;
    f.conversation_id = c.id;
    f.name = name;
    f.content_type = content_type;
    f.size = static_cast<long long>(bytes.size());
    f.sha256 = sha256Hex(bytes);
    f.access_token = randomToken(24);
    f.uploaded_by = uploaded_by;
    f.created_at = nowMs();
    // The bytes first (synced), then the row: a row never names a missing file.
    std::string path = f.path(app);
    Poco::File(Poco::Path(path).parent()).createDirectories();
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        out.flush();
        if (!out) throw std::runtime_error("could not write " + path);
    }
    app.db->write([&](soci::session& sql) {
        sql << "INSERT INTO files (id, tenant_id, conversation_id, name, content_type, size, sha256, access_token, "
               "uploaded_by, created_at) VALUES (:id, :t, :c, :n, :ct, :s, :h, :a, :u, :at)",
            soci::use(f.id), soci::use(f.tenant_id), soci::use(f.conversation_id), soci::use(f.name),
            soci::use(f.content_type), soci::use(f.size), soci::use(f.sha256), soci::use(f.access_token),
            soci::use(f.uploaded_by), soci::use(f.created_at);
        if (in_transaction) in_transaction(sql, f);
    });
    return f;
}

std::optional<StoredFile> findFile(App& app, const std::string& conversation_id, const std::string& id) {
    if (!isUuid(id)) return std::nullopt;
    return app.db->read([&](soci::session& sql) -> std::optional<StoredFile> {
        soci::rowset<soci::row> rows = (sql.prepare << std::string(kColumns) + "WHERE id = :id AND conversation_id = :c",
                                        soci::use(id), soci::use(conversation_id));
        for (const auto& r : rows) return fileFromRow(r);
        return std::nullopt;
    });
}

std::optional<StoredFile> findFileByToken(App& app, const std::string& id, const std::string& token) {
    if (!isUuid(id)) return std::nullopt;
    auto file = app.db->read([&](soci::session& sql) -> std::optional<StoredFile> {
        soci::rowset<soci::row> rows = (sql.prepare << std::string(kColumns) + "WHERE id = :id", soci::use(id));
        for (const auto& r : rows) return fileFromRow(r);
        return std::nullopt;
    });
    if (!file || !constantTimeEquals(token, file->access_token)) return std::nullopt;
    return file;
}

}  // namespace parley::core

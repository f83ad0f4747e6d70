// The media worker: claim a queued row (a lease, so one node fetches it), ask Graph for the URL, download,
// check its SHA-256, store through the host, record the outcome. Retries only what may pass later (network,
// 429, 5xx, a download whose checksum does not match).
#include "media.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <set>

namespace parley::whatsapp {
namespace {

const std::set<std::string> kMediaKinds = {"image", "video", "audio", "document", "sticker"};

std::string errorJson(const std::string& code, const std::string& message) {
    Object::Ptr o = newObject();
    o->set("code", code);
    o->set("message", message);
    return jsonText(o);
}

// Graph's {"error": {...}} as Meta sent it, or a description of the answer.
std::string graphError(int status, const std::string& body) {
    try {
        Object::Ptr o = parseObject(body);
        if (auto e = o->getObject("error")) return jsonText(e);
    } catch (const std::exception&) {
    }
    return errorJson("graph_http_" + std::to_string(status), "the Graph API answered HTTP " + std::to_string(status));
}

bool transient(int status) { return status == 429 || status >= 500; }

}  // namespace

MediaInfo parseMediaInfo(const std::string& body) {
    Object::Ptr o;
    try {
        o = parseObject(body);
    } catch (const std::exception& e) {
        throw std::invalid_argument(std::string("the media answer is not a JSON object: ") + e.what());
    }
    MediaInfo info;
    info.url = col(o, "url");
    if (info.url.rfind("http://", 0) != 0 && info.url.rfind("https://", 0) != 0)
        throw std::invalid_argument("the media answer has no http(s) url");
    info.mime_type = col(o, "mime_type");
    info.sha256 = col(o, "sha256");
    try {
        if (o->has("file_size") && !o->isNull("file_size")) info.file_size = std::stoll(col(o, "file_size"));
    } catch (const std::exception&) {
        info.file_size = -1;
    }
    return info;
}

bool sha256Matches(const std::string& bytes, const std::string& expected) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
    if (expected.size() == 2 * SHA256_DIGEST_LENGTH &&
        std::all_of(expected.begin(), expected.end(), [](unsigned char c) { return std::isxdigit(c); })) {
        static const char* kHex = "0123456789abcdef";
        for (std::size_t i = 0; i < SHA256_DIGEST_LENGTH; ++i) {
            if (std::tolower(static_cast<unsigned char>(expected[2 * i])) != kHex[digest[i] >> 4] ||
                std::tolower(static_cast<unsigned char>(expected[2 * i + 1])) != kHex[digest[i] & 15])
                return false;
        }
        return true;
    }
    if (expected.size() == 44 && expected.back() == '=') {
        unsigned char encoded[48];
        int n = EVP_EncodeBlock(encoded, digest, SHA256_DIGEST_LENGTH);
        return n == 44 && expected == std::string(reinterpret_cast<const char*>(encoded), 44);
    }
    return true;  // absent, or a form we do not know: nothing to compare with
}

std::string mediaFileName(const std::string& kind, const std::string& media_id, const std::string& mime_type,
                          const std::string& given) {
    std::string name;
    for (char c : given)  // the file store refuses slashes and line breaks in names
        if (c != '/' && c != '\\' && c != '\r' && c != '\n') name.push_back(c);
    if (!name.empty()) return name.substr(0, 200);
    static const std::pair<const char*, const char*> kExtensions[] = {
        {"image/jpeg", "jpg"}, {"image/png", "png"},  {"image/webp", "webp"}, {"video/mp4", "mp4"},
        {"video/3gpp", "3gp"}, {"audio/ogg", "ogg"},  {"audio/mpeg", "mp3"},  {"audio/aac", "aac"},
        {"audio/amr", "amr"},  {"audio/mp4", "m4a"},  {"application/pdf", "pdf"}, {"text/plain", "txt"}};
    std::string type = mime_type.substr(0, mime_type.find(';'));
    std::string extension = "bin";
    for (const auto& [t, e] : kExtensions)
        if (type == t) extension = e;
    std::string id;
    for (char c : media_id)
        if (std::isalnum(static_cast<unsigned char>(c))) id.push_back(c);
    return kind + "-" + id.substr(0, 64) + "." + extension;
}

void Media::onMessageCreated(const std::string& event_json) {
    Object::Ptr event = parseObject(event_json);
    Object::Ptr conversation = event->getObject("conversation");
    Object::Ptr payload = event->getObject("payload");
    Object::Ptr message = payload ? payload->getObject("message") : nullptr;
    if (!conversation || !message || col(conversation, "channel") != "whatsapp") return;
    if (col(message, "sender_type") != "visitor" || !kMediaKinds.count(col(message, "type"))) return;
    Object::Ptr message_payload = message->getObject("payload");
    Object::Ptr media = message_payload ? message_payload->getObject("media") : nullptr;
    if (!media || col(media, "id").empty() || message_payload->has("file")) return;
    std::string conversation_id = col(conversation, "id");
    Object::Ptr contact = db_.row("SELECT phone_number_id FROM whatsapp_contacts WHERE conversation_id = :1", conversation_id);
    if (!contact) return;  // not one of ours
    long long now = nowMs();
    db_.exec("INSERT INTO whatsapp_media (message_id, tenant_id, conversation_id, phone_number_id, media_id, kind, mime_type, "
             "filename, status, attempts, next_attempt_at, created_at, updated_at) "
             "VALUES (:1, :2, :3, :4, :5, :6, :7, :8, 'queued', 0, :9, :10, :11) ON CONFLICT (message_id) DO NOTHING",
             col(message, "id"), col(event, "tenant_id"), conversation_id, col(contact, "phone_number_id"), col(media, "id"),
             col(message, "type"), col(media, "mime_type"), col(media, "filename"), now, now, now);
}

void Media::start() {
    loop_.start(settings_.sender_poll_ms, [this] { pass(); });
}

void Media::stop() { loop_.stop(); }

void Media::wake() { loop_.wake(); }

void Media::pass() {
    try {
        // Due rows, and rows whose fetcher died (lease past): fetching again only costs a download.
        long long now = nowMs();
        Array::Ptr due = db_.rows("SELECT message_id FROM whatsapp_media WHERE (status = 'queued' AND next_attempt_at <= :1) "
                                  "OR (status = 'fetching' AND lease_until < :2) ORDER BY created_at LIMIT 20",
                                  now, now);
        for (size_t i = 0; i < due->size(); ++i) {
            if (loop_.stopping()) return;
            fetchOne(col(due->getObject(i), "message_id"));
        }
        if (due->size() == 20) wake();
    } catch (const std::exception& e) {
        db_.plugin().error(std::string("media: ") + e.what());
    }
}

void Media::finish(const std::string& message_id, const std::string& status, long long size, const std::string& file_id,
                   const std::string& error_json) {
    db_.exec("UPDATE whatsapp_media SET status = :1, size = :2, file_id = :3, error = :4, lease_until = NULL, updated_at = :5 "
             "WHERE message_id = :6",
             status, size >= 0 ? Poco::Dynamic::Var(size) : Poco::Dynamic::Var(), file_id.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(file_id),
             error_json.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(error_json), nowMs(), message_id);
    db_.plugin().count("media_" + status);
    if (status != "stored") db_.plugin().warn("media of message " + message_id + " " + status + ": " + error_json);
}

void Media::retry(const std::string& message_id, long long attempts, const std::string& error_json) {
    if (attempts >= settings_.max_attempts) {
        db_.exec("UPDATE whatsapp_media SET attempts = :1 WHERE message_id = :2", attempts, message_id);
        finish(message_id, "failed", -1, "", error_json);
        return;
    }
    long long delay = std::min<long long>(60000, static_cast<long long>(settings_.retry_base_ms) << std::min<long long>(attempts - 1, 16));
    db_.exec("UPDATE whatsapp_media SET status = 'queued', attempts = :1, next_attempt_at = :2, error = :3, lease_until = NULL, "
             "updated_at = :4 WHERE message_id = :5",
             attempts, nowMs() + delay, error_json, nowMs(), message_id);
}

void Media::fetchOne(const std::string& message_id) {
    long long now = nowMs();
    // Two timeouts (the URL, the download) and a second for the store.
    long long lease = 2LL * settings_.graph_timeout_ms + 1000;
    Object::Ptr row = db_.row("UPDATE whatsapp_media SET status = 'fetching', lease_until = :1, updated_at = :2 WHERE message_id = :3 "
                              "AND (status = 'queued' OR (status = 'fetching' AND lease_until < :4)) RETURNING *",
                              now + lease, now, message_id, now);
    if (!row) return;  // another node took it
    long long attempts = num(row, "attempts") + 1;
    auto number = numbers_.find(col(row, "phone_number_id"));
    if (!number) {
        finish(message_id, "failed", -1, "", errorJson("number_not_configured", "the WhatsApp number of this message is no longer configured"));
        return;
    }
    std::string auth = "Authorization: Bearer " + number->access_token;
    std::string version = number->graph_version.empty() ? settings_.default_graph_version : number->graph_version;
    std::string media_id = col(row, "media_id");
    MediaInfo info;
    try {
        parley::HttpReply reply = db_.plugin().http("GET", settings_.graph_base_url + "/" + version + "/" + media_id +
                                                    "?phone_number_id=" + number->phone_number_id, "", auth,
                                                    settings_.graph_timeout_ms, 0);
        if (transient(reply.status)) return retry(message_id, attempts, graphError(reply.status, reply.body));
        if (reply.status != 200) {
            std::string error = graphError(reply.status, reply.body);
            if (parseObject(error)->optValue<int>("code", 0) == 190) numbers_.markTokenExpired(number->phone_number_id, error);
            return finish(message_id, "failed", -1, "", error);
        }
        info = parseMediaInfo(reply.body);
    } catch (const parley::Error& e) {
        return retry(message_id, attempts, errorJson("unreachable", e.what()));
    } catch (const std::invalid_argument& e) {
        return finish(message_id, "failed", -1, "", errorJson("invalid_media_answer", e.what()));
    }
    const long long cap = settings_.media_max_bytes;
    auto tooLarge = [&](long long size) {
        return errorJson("too_large", "the media is " + std::to_string(size) + " bytes; the limit is " + std::to_string(cap) +
                                          " bytes (plugins.whatsapp.media_max_bytes)");
    };
    if (info.file_size > cap) return finish(message_id, "refused", info.file_size, "", tooLarge(info.file_size));
    std::string bytes;
    try {
        parley::HttpReply file = db_.plugin().http("GET", info.url, "", auth, settings_.graph_timeout_ms, 0, static_cast<size_t>(cap) + 1);
        if (transient(file.status)) return retry(message_id, attempts, graphError(file.status, file.body));
        if (file.status != 200) return finish(message_id, "failed", -1, "", graphError(file.status, file.body));
        bytes = std::move(file.body);
    } catch (const parley::Error& e) {
        if (std::string(e.what()).find("exceeds") != std::string::npos)  // the host's cap: Graph's file_size was wrong
            return finish(message_id, "refused", -1, "", errorJson("too_large", e.what()));
        return retry(message_id, attempts, errorJson("unreachable", e.what()));
    }
    if (static_cast<long long>(bytes.size()) > cap) return finish(message_id, "refused", static_cast<long long>(bytes.size()), "", tooLarge(static_cast<long long>(bytes.size())));
    // A download cut short or altered on the way is fetched again (and recorded as failed after max_attempts).
    if (!sha256Matches(bytes, info.sha256))
        return retry(message_id, attempts,
                     errorJson("checksum_mismatch", "the downloaded " + std::to_string(bytes.size()) +
                                                        " bytes do not have the SHA-256 Graph gave (" + info.sha256 + ")"));
    std::string type = !info.mime_type.empty() ? info.mime_type : col(row, "mime_type");
    Object::Ptr request = newObject();
    request->set("filename", mediaFileName(col(row, "kind"), media_id, type, col(row, "filename")));
    request->set("content_type", type);
    request->set("message_id", message_id);
    try {
        Object::Ptr stored = parseObject(db_.plugin().storeFile(col(row, "conversation_id"), jsonText(request), bytes));
        finish(message_id, "stored", static_cast<long long>(bytes.size()), col(stored->getObject("file"), "id"), "");
    } catch (const parley::Error& e) {
        if (e.status() == PARLEY_ERR_DENIED) return finish(message_id, "refused", static_cast<long long>(bytes.size()), "", errorJson("too_large", e.what()));
        if (e.status() == PARLEY_ERR_INVALID_ARGUMENT)
            return finish(message_id, "refused", static_cast<long long>(bytes.size()), "", errorJson("type_not_accepted", e.what()));
        if (e.status() == PARLEY_ERR_NOT_FOUND) return finish(message_id, "failed", -1, "", errorJson("message_gone", e.what()));
        retry(message_id, attempts, errorJson("store_failed", e.what()));
    }
}

}  // namespace parley::whatsapp

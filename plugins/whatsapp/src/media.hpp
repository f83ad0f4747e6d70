// Inbound media (image, video, audio, document, sticker): queued in the message's own commit by a durable
// subscription, then fetched after the webhook's 200 by one worker per node: GET /{version}/{media_id} through
// the Graph API, the URL it names downloaded with the number's bearer token, size-capped, stored through the
// host's file store (store_file, ABI 1.3) and linked to the message as payload.file. What could not be stored
// is recorded in whatsapp_media with its reason.
#pragma once

#include "poll_loop.hpp"
#include "numbers.hpp"
#include "settings.hpp"

#include <string>

namespace parley::whatsapp {

// Graph's answer to GET /{version}/{media_id}: {"url", "mime_type", "sha256", "file_size", "id"}.
struct MediaInfo {
    std::string url, mime_type, sha256;
    long long file_size = -1;  // -1 when Graph did not say (it sends a number, older versions a string)
};
// Reads that answer; throws std::invalid_argument when it is not JSON or has no url.
MediaInfo parseMediaInfo(const std::string& body);

// Whether `bytes` have the SHA-256 Graph gave: 64 hex digits (the media-URL answer) or 44 characters of base64
// (the webhook's media object), any case for hex. A value in neither form cannot be checked and is accepted.
bool sha256Matches(const std::string& bytes, const std::string& expected);

// A name for the stored file: the document's own when it has one, else "<kind>-<media id>.<extension of the type>".
std::string mediaFileName(const std::string& kind, const std::string& media_id, const std::string& mime_type,
                          const std::string& given);

class Media {
public:
    Media(Db db, Numbers& numbers, const Settings& settings) : db_(db), numbers_(numbers), settings_(settings) {}
    ~Media() { stop(); }

    // The "media" subscription's callback (inside the host's transaction): queues a visitor's media message of a
    // WhatsApp conversation. Idempotent: an event delivered twice queues once.
    void onMessageCreated(const std::string& event_json);

    void start();
    void stop();
    void wake();

private:
    void pass();  // one round of due work, on the loop's thread
    void fetchOne(const std::string& message_id);
    void finish(const std::string& message_id, const std::string& status, long long size, const std::string& file_id,
                const std::string& error_json);
    void retry(const std::string& message_id, long long attempts, const std::string& error_json);

    Db db_;
    Numbers& numbers_;
    const Settings& settings_;
    PollLoop loop_;
};

}  // namespace parley::whatsapp

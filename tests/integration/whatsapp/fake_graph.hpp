// A fake of Meta's Graph API for tests: a loopback HTTP server that checks send bodies against the fixtures'
// shapes, answers with the real response and error shapes (read from ../shared/fixtures/whatsapp), and can be
// told to fail (rate limits, 5xx, an expired token). It serves media the real way: GET /{version}/{media_id}
// answers {"messaging_product","url","mime_type","sha256","file_size","id"} and the url gives the bytes, both
// only with the number's bearer token. Also builds signed webhooks from the fixtures.
#pragma once

#include <Poco/Net/HTTPServer.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace parley::test {

// The bytes of a fixture file, as they are.
std::string waFixture(const std::string& name);
// "sha256=<hex>" over the raw body.
std::string metaSignature(const std::string& app_secret, const std::string& body);
// A fixture with each `from` text replaced by its `to` (whole occurrences, in the raw text).
std::string rewrite(std::string text, const std::vector<std::pair<std::string, std::string>>& replacements);

class FakeGraph {
public:
    struct Request {
        std::string phone_number_id, version, authorization, to, type, body;
        std::chrono::steady_clock::time_point at;
        int status = 0;         // what we answered
        std::string wamid;      // the id we gave, when accepted
    };

    FakeGraph();
    ~FakeGraph();
    std::string baseUrl() const;

    // The bearer token each number must send; other tokens get error 190.
    void setToken(const std::string& phone_number_id, const std::string& token);
    // The next `times` sends answer `http_status` with {"error": <error_json>}.
    void failNext(int http_status, const std::string& error_json, int times = 1);
    // After `successes` more accepted sends, the token is treated as expired (190) until setToken again.
    void expireTokenAfter(int successes);

    // Media the fake serves: GET /{version}/{media_id} names a download URL on this server. `reported_size`
    // is the file_size Graph reports (-1: the real size), `reported_sha256` its sha256 ("": the real one, in hex).
    void addMedia(const std::string& media_id, const std::string& mime_type, const std::string& bytes,
                  long long reported_size = -1, const std::string& reported_sha256 = "");
    struct MediaRequest {
        std::string path, authorization;
        int status = 0;
    };
    // Media look-ups and downloads, in order (sends are in requests()).
    std::vector<MediaRequest> mediaRequests() const;

    std::vector<Request> requests() const;
    size_t count() const;
    // Waits until at least `n` requests arrived; false after `seconds`.
    bool waitForCount(size_t n, int seconds = 10) const;
    // Bodies that did not have a fixture's shape (the fake answered them with Graph error 100).
    std::vector<std::string> shapeErrors() const;

    // Internal: called by the request handler.
    void handle(const std::string& method, const std::string& uri, const std::string& authorization, const std::string& body,
                int& status, std::string& answer, std::string& content_type);

private:
    std::string checkShape(const std::string& body, std::string& to, std::string& type) const;
    bool handleMedia(const std::string& method, const std::vector<std::string>& parts, const std::string& query,
                     const std::string& authorization, int& status, std::string& answer, std::string& content_type);
    struct Media {
        std::string mime_type, bytes;
        long long reported_size;
        std::string reported_sha256;
    };
    std::map<std::string, Media> media_;
    std::vector<MediaRequest> media_requests_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    int port_ = 0;
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::map<std::string, std::string> tokens_;
    struct Failure {
        int status;
        std::string error;
    };
    std::vector<Failure> failures_;
    int expire_after_ = -1;
    std::vector<Request> requests_;
    std::vector<std::string> shape_errors_;
    long long next_id_ = 0;
};

}  // namespace parley::test

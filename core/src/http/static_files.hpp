// Serves public/ with gzip, ETags and long caching for versioned assets; files are cached in memory.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace parley::core {

class RequestContext;

class StaticFiles {
public:
    explicit StaticFiles(std::string root);

    // Answers GET/HEAD for ctx.path(): 200 (gzip when accepted), 304 on a matching If-None-Match, or 404.
    // "/x/" serves "/x/index.html". A request with a `v` query parameter is treated as versioned and cached
    // for a year; anything else must revalidate (no-cache) so edits show at once.
    void serve(RequestContext& ctx);

private:
    struct Entry {
        long long mtime = 0;
        long long size = 0;
        std::string body;
        std::string gzipped;
        std::string etag;
        std::string content_type;
    };
    std::shared_ptr<const Entry> load(const std::string& file);

    std::string root_;
    std::mutex mutex_;
    std::unordered_map<std::string, std::shared_ptr<const Entry>> cache_;
};

// "text/html; charset=utf-8" and the like, by extension.
std::string contentTypeFor(const std::string& path);

// gzip-compresses `data`.
std::string gzip(const std::string& data);

}  // namespace parley::core

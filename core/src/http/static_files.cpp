// Static file serving without path traversal: only regular files under the public root are reachable.
#include "http/static_files.hpp"

#include "app/errors.hpp"
#include "auth/crypto.hpp"
#include "http/request_context.hpp"

#include <Poco/DeflatingStream.h>
#include <Poco/File.h>
#include <Poco/Path.h>

#include <fstream>
#include <sstream>

namespace parley::core {

StaticFiles::StaticFiles(std::string root) : root_(std::move(root)) {}

std::string contentTypeFor(const std::string& path) {
    static const std::unordered_map<std::string, std::string> types = {
        {"html", "text/html; charset=utf-8"}, {"js", "text/javascript; charset=utf-8"},
        {"mjs", "text/javascript; charset=utf-8"}, {"css", "text/css; charset=utf-8"},
        {"json", "application/json; charset=utf-8"}, {"svg", "image/svg+xml"}, {"png", "image/png"},
        {"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"}, {"gif", "image/gif"}, {"webp", "image/webp"},
        {"ico", "image/x-icon"}, {"txt", "text/plain; charset=utf-8"}, {"woff2", "font/woff2"},
        {"map", "application/json"}, {"wasm", "application/wasm"}};
    auto dot = path.rfind('.');
    if (dot == std::string::npos) return "application/octet-stream";
    auto it = types.find(path.substr(dot + 1));
    return it == types.end() ? "application/octet-stream" : it->second;
}

std::string gzip(const std::string& data) {
    std::ostringstream out;
    Poco::DeflatingOutputStream deflate(out, Poco::DeflatingStreamBuf::STREAM_GZIP, 9);
    deflate.write(data.data(), static_cast<std::streamsize>(data.size()));
    deflate.close();
    return out.str();
}

std::shared_ptr<const StaticFiles::Entry> StaticFiles::load(const std::string& file) {
    Poco::File f(file);
    if (!f.exists() || !f.isFile()) return nullptr;
    long long mtime = f.getLastModified().epochMicroseconds();
    long long size = static_cast<long long>(f.getSize());
    {
        std::lock_guard lock(mutex_);
        auto it = cache_.find(file);
        if (it != cache_.end() && it->second->mtime == mtime && it->second->size == size) return it->second;
    }
    auto entry = std::make_shared<Entry>();
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    entry->body = text.str();
    entry->mtime = mtime;
    entry->size = size;
    entry->content_type = contentTypeFor(file);
    entry->etag = "\"" + sha256Hex(entry->body).substr(0, 20) + "\"";
    bool compressible = entry->content_type.rfind("text/", 0) == 0 || entry->content_type.find("json") != std::string::npos ||
                        entry->content_type.find("svg") != std::string::npos;
    if (compressible && entry->body.size() > 256) entry->gzipped = gzip(entry->body);
    std::lock_guard lock(mutex_);
    cache_[file] = entry;
    return entry;
}

void StaticFiles::serve(RequestContext& ctx) {
    std::string path = ctx.path();
    if (path.find("..") != std::string::npos || path.find('\0') != std::string::npos)
        throw notFound("no file at " + path);
    if (path.empty() || path.back() == '/') path += "index.html";
    std::string file = root_ + path;
    auto entry = load(file);
    if (!entry && ctx.path().back() != '/' && Poco::File(root_ + ctx.path()).exists() &&
        Poco::File(root_ + ctx.path()).isDirectory()) {
        // "/admin" -> "/admin/" so relative links resolve.
        ctx.response.set("Location", ctx.path() + "/");
        ctx.sendEmpty(301);
        return;
    }
    if (!entry) throw notFound("no file at " + ctx.path());
    auto& resp = ctx.response;
    resp.set("ETag", entry->etag);
    resp.set("Cache-Control", ctx.query("v") ? "public, max-age=31536000, immutable" : "no-cache");
    resp.set("X-Content-Type-Options", "nosniff");
    if (!entry->gzipped.empty()) resp.set("Vary", "Accept-Encoding");
    if (ctx.request.get("If-None-Match", "") == entry->etag) {
        ctx.sendEmpty(304);
        return;
    }
    if (!entry->gzipped.empty() && ctx.request.get("Accept-Encoding", "").find("gzip") != std::string::npos) {
        resp.set("Content-Encoding", "gzip");
        ctx.sendRaw(200, entry->content_type, entry->gzipped);
    } else {
        ctx.sendRaw(200, entry->content_type, entry->body);
    }
}

}  // namespace parley::core

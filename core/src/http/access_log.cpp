// Formats and writes log lines under a lock so concurrent requests never interleave.
#include "http/access_log.hpp"

#include "app/app.hpp"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Timestamp.h>

#include <cstdio>
#include <mutex>
#include <sstream>

namespace parley::core {
namespace {
std::mutex g_log_mutex;

std::string quote(const std::string& s) {
    std::ostringstream out;
    Poco::JSON::Stringifier::formatString(s, out);
    return out.str();
}

std::string now() {
    return Poco::DateTimeFormatter::format(Poco::Timestamp(), "%Y-%m-%dT%H:%M:%S.%iZ");
}

void emit(FILE* stream, const std::string& line) {
    std::lock_guard lock(g_log_mutex);
    std::fwrite(line.data(), 1, line.size(), stream);
    std::fflush(stream);
}
}  // namespace

void writeAccessLog(const RequestContext& ctx, double seconds) {
    std::ostringstream line;
    line << "{\"ts\":\"" << now() << "\",\"level\":\"info\",\"msg\":\"request\",\"method\":"
         << quote(ctx.request.getMethod()) << ",\"path\":" << quote(ctx.path()) << ",\"route\":" << quote(ctx.route)
         << ",\"status\":" << ctx.status() << ",\"ms\":" << seconds * 1000.0 << ",\"bytes\":" << ctx.bytesSent()
         << ",\"ip_hash\":" << quote(ctx.ipHash()) << "}\n";
    emit(stdout, line.str());
}

void writeEventLog(const std::string& level, const std::string& message) {
    emit(stderr, "{\"ts\":\"" + now() + "\",\"level\":" + quote(level) + ",\"msg\":" + quote(message) + "}\n");
}

}  // namespace parley::core

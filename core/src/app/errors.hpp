// Every error the core raises on purpose, and the HTTP status each one maps to (in one place).
#pragma once

#include <stdexcept>
#include <string>

namespace parley::core {

// An error a client caused or may see: carries a stable machine code, a human message and a status.
class ApiError : public std::runtime_error {
public:
    ApiError(int status, std::string code, const std::string& message)
        : std::runtime_error(message), status_(status), code_(std::move(code)) {}
    int status() const { return status_; }
    const std::string& code() const { return code_; }
    // Seconds the client should wait before retrying (429 and 503), 0 when not applicable.
    int retryAfter() const { return retry_after_; }
    ApiError& withRetryAfter(int seconds) {
        retry_after_ = seconds;
        return *this;
    }

private:
    int status_;
    std::string code_;
    int retry_after_ = 0;
};

inline ApiError badRequest(const std::string& code, const std::string& message) {
    return ApiError(400, code, message);
}
inline ApiError unauthorized(const std::string& message) { return ApiError(401, "unauthorized", message); }
inline ApiError forbidden(const std::string& message) { return ApiError(403, "forbidden", message); }
inline ApiError notFound(const std::string& message) { return ApiError(404, "not_found", message); }
inline ApiError conflict(const std::string& code, const std::string& message) {
    return ApiError(409, code, message);
}
inline ApiError tooManyRequests(const std::string& code, const std::string& message, int retry_after) {
    return ApiError(429, code, message).withRetryAfter(retry_after);
}
// A field of a JSON body is missing or has the wrong type or value; names the field.
inline ApiError invalidField(const std::string& field, const std::string& problem) {
    return ApiError(422, "invalid_field", "field '" + field + "' " + problem);
}

// A configuration or start-up problem: parleyd prints it and exits non-zero.
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace parley::core

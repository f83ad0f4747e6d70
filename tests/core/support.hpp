// Helpers shared by the core unit tests: throwaway folders, catching an ApiError to inspect it, and the test
// PostgreSQL server's URL.
#pragma once

#include "app/errors.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>

namespace core_test {

// A fresh folder under the system temp dir, removed with everything in it when the object is destroyed.
class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "parley-core-test-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::string file(const std::string& name) const { return (path_ / name).string(); }

    // Writes `content` byte for byte to `name` inside the folder and returns its full path.
    std::string write(const std::string& name, const std::string& content) const {
        std::string full = file(name);
        std::ofstream out(full, std::ios::binary);
        out << content;
        if (!out) throw std::runtime_error("cannot write " + full);
        return full;
    }

private:
    std::filesystem::path path_;
};

// Runs `fn` and returns the ApiError it throws, or nullopt when it returns normally; other exceptions
// propagate so that a wrong exception type fails the test loudly.
template <typename Fn>
std::optional<parley::core::ApiError> apiErrorFrom(Fn&& fn) {
    try {
        fn();
    } catch (const parley::core::ApiError& e) {
        return e;
    }
    return std::nullopt;
}

// Runs `fn` and returns the message of the exception of type E it throws, or nullopt when it returns normally.
template <typename E, typename Fn>
std::optional<std::string> errorMessageFrom(Fn&& fn) {
    try {
        fn();
    } catch (const E& e) {
        return std::string(e.what());
    }
    return std::nullopt;
}

inline bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// The URL of the throwaway PostgreSQL server tests/run-all starts (PARLEY_TEST_PG_URL), or nullptr: the
// PostgreSQL suites are then reported as skipped.
inline const char* pgUrl() {
    const char* url = std::getenv("PARLEY_TEST_PG_URL");
    return url && *url ? url : nullptr;
}

}  // namespace core_test

// Seeds conversations through parleyd's public API (POST /api/v1/widgets/{key}/conversations) over a few
// keep-alive connections, and writes "conversation_id visitor_token" lines for the load generator.
#include "seed.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace parley::bench {
namespace {

class HttpConnection {
public:
    explicit HttpConnection(int port) : port_(port) { open(); }
    ~HttpConnection() { ::close(fd_); }

    // Sends one request and returns {status, body}; reconnects once if the server closed an idle connection.
    std::pair<int, std::string> post(const std::string& target, const std::string& headers, const std::string& body) {
        std::string request = "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
                              headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        for (int attempt = 0;; ++attempt) {
            try {
                sendAll(request);
                return readResponse();
            } catch (const std::exception&) {
                if (attempt == 1) throw;
                ::close(fd_);
                open();
                buffer_.clear();
            }
        }
    }

private:
    void open() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<std::uint16_t>(port_));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
            throw std::runtime_error("seed: cannot connect to port " + std::to_string(port_));
    }
    void sendAll(const std::string& bytes) {
        for (std::size_t at = 0; at < bytes.size();) {
            ssize_t n = ::send(fd_, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
            if (n <= 0) throw std::runtime_error("seed: send failed");
            at += static_cast<std::size_t>(n);
        }
    }
    void fill() {
        char chunk[16384];
        ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n <= 0) throw std::runtime_error("seed: connection closed");
        buffer_.append(chunk, static_cast<std::size_t>(n));
    }
    std::pair<int, std::string> readResponse() {
        std::size_t end;
        while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) fill();
        std::string head = buffer_.substr(0, end);
        int status = std::atoi(head.c_str() + 9);
        std::size_t length = 0;
        for (const char* name : {"Content-Length:", "content-length:"}) {
            std::size_t at = head.find(name);
            if (at != std::string::npos) length = std::strtoul(head.c_str() + at + std::strlen(name), nullptr, 10);
        }
        while (buffer_.size() < end + 4 + length) fill();
        std::string body = buffer_.substr(end + 4, length);
        buffer_.erase(0, end + 4 + length);
        return {status, body};
    }

    int port_;
    int fd_ = -1;
    std::string buffer_;
};

// The string value that follows `"name":"` at or after `from`; empty if none.
std::string stringAfter(const std::string& json, const std::string& name, std::size_t from = 0) {
    std::string key = "\"" + name + "\":\"";
    std::size_t at = json.find(key, from);
    if (at == std::string::npos) return {};
    at += key.size();
    return json.substr(at, json.find('"', at) - at);
}

}  // namespace

int seedConversations(int port, const std::string& key, const std::string& origin, int count, int connections,
                      const std::string& out_path) {
    std::ofstream out(out_path);
    if (!out) throw std::runtime_error("seed: cannot write " + out_path);
    std::atomic<int> next{0};
    std::mutex mutex;
    std::string failure;
    auto started = std::chrono::steady_clock::now();
    std::vector<std::thread> workers;
    for (int w = 0; w < connections; ++w)
        workers.emplace_back([&] {
            try {
                HttpConnection http(port);
                const std::string target = "/api/v1/widgets/" + key + "/conversations";
                const std::string headers = "Origin: " + origin + "\r\n";
                for (int i; (i = next++) < count;) {
                    auto [status, body] = http.post(target, headers, R"({"visitor_id":"bench-)" + std::to_string(i) + "\"}");
                    if (status != 201) throw std::runtime_error("HTTP " + std::to_string(status) + ": " + body.substr(0, 300));
                    std::string id = stringAfter(body, "id", body.find("\"conversation\""));
                    std::string token = stringAfter(body, "visitor_token");
                    if (id.empty() || token.empty()) throw std::runtime_error("no id or token in " + body.substr(0, 300));
                    std::lock_guard lock(mutex);
                    out << id << ' ' << token << '\n';
                }
            } catch (const std::exception& e) {
                std::lock_guard lock(mutex);
                if (failure.empty()) failure = e.what();
                next = count;
            }
        });
    for (auto& t : workers) t.join();
    if (!failure.empty()) throw std::runtime_error("seed: " + failure);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::cerr << "seed: " << count << " conversations in " << seconds << " s (" << int(count / seconds) << "/s)\n";
    return 0;
}

}  // namespace parley::bench

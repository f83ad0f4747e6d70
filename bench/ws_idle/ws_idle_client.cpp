// Opens N WebSockets to a server, completes every handshake, proves each connection live with a ping/pong,
// then, with all of them idle, prints one table row: the server process's RSS and threads before and after
// (from /proc/<pid>/status) and the kernel's socket slabs before and after (from /proc/slabinfo, if readable).
//
// Usage: ws_idle_client LABEL PORT SERVER_PID [CONNECTIONS] [PATH]   (10000 connections, path "/" by default)
#include "realtime/ws_frame.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace rt = parley::core::realtime;

namespace {

struct ProcessFigures {
    long rss_kib = 0;
    long threads = 0;
};

ProcessFigures processFigures(int pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    if (!status) throw std::runtime_error("no process " + std::to_string(pid));
    ProcessFigures f;
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) f.rss_kib = std::stol(line.substr(6));
        if (line.rfind("Threads:", 0) == 0) f.threads = std::stol(line.substr(8));
    }
    return f;
}

// Bytes in the slab caches a TCP socket lives in (the socket, its inode, file, dentry, epoll item); -1 when
// /proc/slabinfo is not readable (it needs root). Counts both ends of loopback connections.
long socketSlabBytes() {
    static const std::set<std::string> caches{"TCP", "sock_inode_cache", "filp", "dentry", "eventpoll_epi",
                                              "eventpoll_pwq"};
    std::ifstream slabinfo("/proc/slabinfo");
    if (!slabinfo) return -1;
    long total = 0;
    std::string line;
    while (std::getline(slabinfo, line)) {
        std::istringstream fields(line);
        std::string name;
        long active = 0, count = 0, size = 0;
        if (fields >> name >> active >> count >> size && caches.count(name)) total += active * size;
    }
    return total;
}

int connectTo(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket: out of descriptors? raise ulimit -n");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) throw std::runtime_error("connect failed");
    return fd;
}

void sendAll(int fd, const std::string& bytes) {
    std::size_t at = 0;
    while (at < bytes.size()) {
        ssize_t n = ::send(fd, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
        if (n <= 0) throw std::runtime_error("send failed");
        at += static_cast<std::size_t>(n);
    }
}

// Reads until `done(buffer)` holds; throws if the server ends the stream first.
template <typename Done>
void readUntil(int fd, std::string& buffer, Done done) {
    char chunk[4096];
    while (!done(buffer)) {
        ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) throw std::runtime_error("the server closed a connection");
        buffer.append(chunk, static_cast<std::size_t>(n));
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::cerr << "usage: ws_idle_client LABEL PORT SERVER_PID [CONNECTIONS] [PATH]\n";
        return 2;
    }
    std::string label = argv[1];
    int port = std::atoi(argv[2]);
    int pid = std::atoi(argv[3]);
    int connections = argc > 4 ? std::atoi(argv[4]) : 10000;
    std::string path = argc > 5 ? argv[5] : "/";
    const std::string request = "GET " + path +
                                " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    const std::array<std::uint8_t, 4> mask{0x11, 0x22, 0x33, 0x44};
    const std::string ping = rt::encodeFrame(rt::Opcode::ping, "idle?", true, mask);

    ProcessFigures before = processFigures(pid);
    long slab_before = socketSlabBytes();
    auto started = std::chrono::steady_clock::now();

    // Handshakes in waves: connect a wave, send its requests, then read its answers.
    std::vector<int> fds;
    fds.reserve(static_cast<std::size_t>(connections));
    constexpr int kWave = 500;
    for (int first = 0; first < connections; first += kWave) {
        int last = std::min(connections, first + kWave);
        for (int i = first; i < last; ++i) {
            fds.push_back(connectTo(port));
            sendAll(fds.back(), request);
        }
        for (int i = first; i < last; ++i) {
            std::string head;
            readUntil(fds[i], head, [](const std::string& b) { return b.find("\r\n\r\n") != std::string::npos; });
            if (head.rfind("HTTP/1.1 101", 0) != 0) throw std::runtime_error("handshake refused: " + head);
        }
    }
    double handshake_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    // Every connection answers a ping, so the server has served each one before we measure.
    for (int fd : fds) sendAll(fd, ping);
    for (int fd : fds) {
        std::string frame;
        readUntil(fd, frame, [](const std::string& b) { return b.size() >= 2 + 5; });
        if ((static_cast<std::uint8_t>(frame[0]) & 0x0F) != 0xA) throw std::runtime_error("expected a pong");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let the server settle before reading RSS

    ProcessFigures after = processFigures(pid);
    long slab_after = socketSlabBytes();
    double rss_per = double(after.rss_kib - before.rss_kib) / connections;
    // Both ends of each loopback connection are in this kernel: half the slab growth is the server's side.
    bool have_slab = slab_before >= 0 && slab_after >= 0;
    double kernel_per = have_slab ? double(slab_after - slab_before) / 1024.0 / (2.0 * connections) : 0;
    char kernel[32] = "n/a", total[32] = "n/a";
    if (have_slab) {
        std::snprintf(kernel, sizeof kernel, "%.2f", kernel_per);
        std::snprintf(total, sizeof total, "%.2f", rss_per + kernel_per);
    }
    std::printf("| %-14s | %6d | %8.1f | %8.1f | %8.2f | %10s | %9s | %4ld -> %-4ld | %6.2f |\n", label.c_str(),
                connections, before.rss_kib / 1024.0, after.rss_kib / 1024.0, rss_per, kernel, total, before.threads,
                after.threads, handshake_seconds);
    for (int fd : fds) ::close(fd);
    return 0;
}

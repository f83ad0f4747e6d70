// The realtime load generator: many WebSockets in one epoll thread, speaking parleyd's realtime protocol or
// Socket.IO's (engine.io 4 over a bare WebSocket). Modes:
//
//   rt_load seed --port P --key PK --origin O --count N --out FILE
//       N conversations through the HTTP API; "id token" lines in FILE.
//   rt_load idle --port P --pid PID --label L --count N [--path T] [--header H]... [--conversations FILE]
//       N idle sockets (visitors that said hello when --conversations is given); one ws_idle table row.
//   rt_load load --proto parley|socketio --port P --pid PID --watchers N --senders M (--rate R | --window W) ...
//       M senders post messages, N watchers receive every one; delivery throughput, latency, server memory
//       and CPU as key=value pairs on one line (see usage() for every option).
//
// Every message's text carries "~m<index>~<send time ns>~", so a watcher knows which message it got and how
// long it took (sender and watchers share this process's monotonic clock).
#include "process_figures.hpp"
#include "seed.hpp"
#include "ws_client.hpp"

#include <sys/epoll.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace parley::bench;

namespace {

// --name value options; repeated names keep every value.
struct Options {
    std::multimap<std::string, std::string> values;
    Options(int argc, char** argv) {
        for (int i = 2; i < argc; ++i) {
            std::string name = argv[i];
            if (name.rfind("--", 0) != 0 || i + 1 >= argc) throw std::runtime_error("bad option '" + name + "'");
            values.emplace(name.substr(2), argv[++i]);
        }
    }
    std::string str(const std::string& name, const std::string& fallback = "") const {
        auto it = values.find(name);
        if (it != values.end()) return it->second;
        if (fallback.empty()) throw std::runtime_error("--" + name + " is required");
        return fallback;
    }
    double num(const std::string& name, double fallback) const {
        auto it = values.find(name);
        return it == values.end() ? fallback : std::stod(it->second);
    }
    std::vector<std::string> all(const std::string& name) const {
        std::vector<std::string> out;
        for (auto [it, end] = values.equal_range(name); it != end; ++it) out.push_back(it->second);
        return out;
    }
};

long long nowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::vector<std::pair<std::string, std::string>> readConversations(const std::string& path, std::size_t need) {
    std::ifstream in(path);
    std::vector<std::pair<std::string, std::string>> out;
    for (std::string id, token; out.size() < need && in >> id >> token;) out.emplace_back(id, token);
    if (out.size() < need)
        throw std::runtime_error(path + " holds " + std::to_string(out.size()) + " conversations, need " +
                                 std::to_string(need));
    return out;
}

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// One socket of the run.
struct Peer {
    std::unique_ptr<WsClient> ws;
    bool watcher = false;
    bool ready = false;
    bool armed_out = false;
    std::string hello;  // parleyd: the hello frame; Socket.IO: the room to join
    int outstanding = 0;
    int pongs = 0;
};

enum class Proto { parley, socketio };

// Drives every socket of a run on one epoll set.
class Loop {
public:
    explicit Loop(Proto proto) : proto_(proto), epoll_(::epoll_create1(EPOLL_CLOEXEC)) {}

    void add(Peer& p, int index) {
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT;
        ev.data.u32 = static_cast<std::uint32_t>(index);
        p.armed_out = true;
        ::epoll_ctl(epoll_, EPOLL_CTL_ADD, p.ws->fd(), &ev);
    }
    void rearm(Peer& p, int index) {
        bool want = p.ws->wantsWrite();
        if (want == p.armed_out) return;
        epoll_event ev{};
        ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
        ev.data.u32 = static_cast<std::uint32_t>(index);
        p.armed_out = want;
        ::epoll_ctl(epoll_, EPOLL_CTL_MOD, p.ws->fd(), &ev);
    }
    // Waits up to timeout_ms and handles what is ready; on_text(index, peer, payload) for each text frame.
    template <typename OnText>
    void poll(std::vector<Peer>& peers, int timeout_ms, OnText&& on_text) {
        epoll_event events[512];
        int n = ::epoll_wait(epoll_, events, 512, timeout_ms);
        for (int i = 0; i < n; ++i) {
            int index = static_cast<int>(events[i].data.u32);
            Peer& p = peers[static_cast<std::size_t>(index)];
            if (!p.ws || p.ws->state() == WsClient::State::closed) continue;
            if (events[i].events & EPOLLOUT) p.ws->flush();
            if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
                bool was_open = p.ws->state() == WsClient::State::open;
                p.ws->readAvailable([&](const ServerFrame& f) {
                    if (f.opcode == 0x1) on_text(index, p, f.payload);
                    if (f.opcode == 0x8) closeReason(p, f.payload);
                    if (f.opcode == 0xA) ++p.pongs;
                });
                if (!was_open && p.ws->state() == WsClient::State::open) opened(p);
            }
            if (p.ws->state() == WsClient::State::closed) {
                ++closed_;
                if (first_error_.empty()) first_error_ = p.ws->error().empty() ? "closed" : p.ws->error();
                ::epoll_ctl(epoll_, EPOLL_CTL_DEL, p.ws->fd(), nullptr);
                continue;
            }
            rearm(p, index);
        }
    }
    // Protocol: what to do once the upgrade is answered, and the frames before the socket is ready.
    void opened(Peer& p) {
        if (proto_ == Proto::parley && !p.hello.empty()) p.ws->sendText(p.hello);  // Socket.IO: the server speaks first
    }
    // Returns true when this frame made the socket ready (welcome, or the join's ack).
    bool handshakeFrame(Peer& p, std::string_view text) {
        if (proto_ == Proto::parley) {
            if (contains(text, R"("type":"welcome")")) return p.ready = true;
            if (contains(text, R"("type":"error")")) noteError(text);
            return false;
        }
        if (text.rfind("0{", 0) == 0) p.ws->sendText("40");
        else if (text.rfind("40", 0) == 0) p.ws->sendText(R"(420["join",")" + p.hello + R"("])");
        else if (text.rfind("430", 0) == 0) return p.ready = true;
        else if (text.rfind("44", 0) == 0) noteError(text);
        return false;
    }
    void noteError(std::string_view text) {
        ++errors_;
        if (first_error_.empty()) first_error_ = std::string(text.substr(0, 300));
    }
    void closeReason(Peer&, std::string_view payload) {
        if (first_error_.empty())
            first_error_ = "closed by the server: " + std::string(payload.size() > 2 ? payload.substr(2) : "");
    }
    int closed() const { return closed_; }
    int errors() const { return errors_; }
    const std::string& firstError() const { return first_error_; }

private:
    Proto proto_;
    int epoll_;
    int closed_ = 0, errors_ = 0;
    std::string first_error_;
};

// Opens every peer (at most `parallel` handshakes at a time) and waits until all are ready.
void connectAll(Loop& loop, std::vector<Peer>& peers, int port, const std::vector<std::string>& targets,
                const std::vector<std::vector<std::string>>& headers, int parallel, double timeout_s) {
    std::size_t next = 0, ready = 0;
    auto deadline = nowNs() + static_cast<long long>(timeout_s * 1e9);
    while (ready < peers.size()) {
        while (next < peers.size() && int(next - ready) < parallel) {
            int kind = peers[next].watcher ? 0 : 1;
            peers[next].ws = std::make_unique<WsClient>(port, targets[kind], headers[kind]);
            loop.add(peers[next], int(next));
            ++next;
        }
        loop.poll(peers, 10, [&](int, Peer& p, std::string_view text) {
            if (!p.ready && loop.handshakeFrame(p, text)) ++ready;
        });
        if (loop.closed() > 0) throw std::runtime_error("a socket failed while connecting: " + loop.firstError());
        if (nowNs() > deadline)
            throw std::runtime_error("only " + std::to_string(ready) + " of " + std::to_string(peers.size()) +
                                     " sockets ready after " + std::to_string(timeout_s) + " s");
    }
}

// --- idle ---------------------------------------------------------------------------------------------------

// Bytes in the slab caches a TCP socket lives in (as bench/ws_idle/ws_idle_client counts them); -1 when
// /proc/slabinfo is not readable (it needs root). Counts both ends of loopback connections.
long socketSlabBytes() {
    static const char* caches[] = {"TCP", "sock_inode_cache", "filp", "dentry", "eventpoll_epi", "eventpoll_pwq"};
    std::ifstream slabinfo("/proc/slabinfo");
    if (!slabinfo) return -1;
    long total = 0;
    std::string line;
    while (std::getline(slabinfo, line)) {
        std::istringstream fields(line);
        std::string name;
        long active = 0, count = 0, size = 0;
        if (fields >> name >> active >> count >> size)
            for (const char* c : caches)
                if (name == c) total += active * size;
    }
    return total;
}

int idleMode(const Options& o) {
    int port = int(o.num("port", 0)), pid = int(o.num("pid", 0)), count = int(o.num("count", 10000));
    std::string path = o.str("path", "/");
    std::vector<std::string> headers = o.all("header");
    std::vector<Peer> peers(static_cast<std::size_t>(count));
    bool hello = o.values.count("conversations") > 0;
    if (hello) {
        auto conversations = readConversations(o.str("conversations"), peers.size());
        for (std::size_t i = 0; i < peers.size(); ++i)
            peers[i].hello = R"({"type":"hello","conversation_id":")" + conversations[i].first +
                             R"(","visitor_token":")" + conversations[i].second + R"(","last_seq":0})";
    }
    ProcessFigures before = processFigures(pid);
    long slab_before = socketSlabBytes();
    auto started = nowNs();
    Loop loop(Proto::parley);
    // Without hello a socket is ready once upgraded; with hello, once welcomed. --parallel handshakes at a time.
    const std::size_t parallel = static_cast<std::size_t>(o.num("parallel", 500));
    std::size_t next = 0, ready = 0;
    while (ready < peers.size()) {
        while (next < peers.size() && next - ready < parallel) {
            peers[next].ws = std::make_unique<WsClient>(port, path, headers);
            loop.add(peers[next], int(next));
            ++next;
        }
        loop.poll(peers, 10, [&](int, Peer& p, std::string_view text) {
            if (hello && !p.ready && loop.handshakeFrame(p, text)) ++ready;
        });
        if (!hello)
            for (std::size_t i = 0; i < next; ++i)
                if (!peers[i].ready && peers[i].ws->state() == WsClient::State::open) {
                    peers[i].ready = true;
                    ++ready;
                }
        if (loop.closed() > 0) throw std::runtime_error("a socket failed: " + loop.firstError());
    }
    double handshake_s = double(nowNs() - started) / 1e9;
    // Every socket answers a ping with a pong, so the server has served each one before we measure.
    for (std::size_t i = 0; i < peers.size(); ++i) {
        peers[i].ws->queueFrame(0x9, "idle?");
        peers[i].ws->flush();
        loop.rearm(peers[i], int(i));
    }
    auto deadline = nowNs() + 60'000'000'000LL;
    for (std::size_t pongs = 0; pongs < peers.size();) {
        if (nowNs() > deadline) throw std::runtime_error("not every socket answered a ping within 60 s");
        loop.poll(peers, 10, [](int, Peer&, std::string_view) {});
        pongs = 0;
        for (const auto& p : peers) pongs += p.pongs > 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // let the server settle before reading RSS
    loop.poll(peers, 0, [](int, Peer&, std::string_view) {});
    if (loop.closed() > 0) throw std::runtime_error("a socket closed while idle: " + loop.firstError());
    ProcessFigures after = processFigures(pid);
    long slab_after = socketSlabBytes();
    double per = double(after.rss_kib - before.rss_kib) / count;
    // Both ends of each loopback connection are in this kernel: half the slab growth is the server's side.
    char kernel[32] = "n/a", total[32] = "n/a";
    if (slab_before >= 0 && slab_after >= 0) {
        double kernel_per = double(slab_after - slab_before) / 1024.0 / (2.0 * count);
        std::snprintf(kernel, sizeof kernel, "%.2f", kernel_per);
        std::snprintf(total, sizeof total, "%.2f", per + kernel_per);
    }
    std::printf("| %-14s | %6d | %8.1f | %8.1f | %8.2f | %10s | %9s | %4ld -> %-4ld | %6.2f |\n",
                o.str("label").c_str(), count, before.rss_kib / 1024.0, after.rss_kib / 1024.0, per, kernel, total,
                before.threads, after.threads, handshake_s);
    return 0;
}

// --- load ---------------------------------------------------------------------------------------------------

struct Sent {
    long long at_ns = 0;
    int deliveries = 0;
    int sender = 0;
    bool measured = false;
};

// "~m<index>~<ns>~" somewhere in the frame: the message index and when it was sent.
bool findMarker(std::string_view text, long long& index, long long& sent_ns) {
    std::size_t at = text.find("~m");
    if (at == std::string_view::npos) return false;
    const char* p = text.data() + at + 2;
    const char* end = text.data() + text.size();
    index = 0;
    while (p < end && *p >= '0' && *p <= '9') index = index * 10 + (*p++ - '0');
    if (p >= end || *p != '~') return false;
    ++p;
    sent_ns = 0;
    while (p < end && *p >= '0' && *p <= '9') sent_ns = sent_ns * 10 + (*p++ - '0');
    return true;
}

double percentile(std::vector<std::uint32_t>& sorted, double q) {
    if (sorted.empty()) return 0;
    std::size_t i = std::min(sorted.size() - 1, static_cast<std::size_t>(q * double(sorted.size())));
    return sorted[i] / 1000.0;  // µs -> ms
}

double clientCpuSeconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

int loadMode(const Options& o) {
    Proto proto = o.str("proto") == "socketio" ? Proto::socketio : Proto::parley;
    int port = int(o.num("port", 0)), pid = int(o.num("pid", 0));
    int watchers = int(o.num("watchers", 1)), senders = int(o.num("senders", 1));
    double rate = o.num("rate", 0);
    int window = int(o.num("window", 0));
    if ((rate > 0) == (window > 0)) throw std::runtime_error("give one of --rate (messages/s) or --window (per sender)");
    double warmup_s = o.num("warmup", 2), duration_s = o.num("duration", 10), drain_s = o.num("drain", 5);
    int text_bytes = int(o.num("text-bytes", 64));
    std::string room = o.str("tenant", "bench");

    std::vector<Peer> peers(static_cast<std::size_t>(watchers + senders));
    std::vector<std::string> targets, conversations_of_sender;
    std::vector<std::vector<std::string>> headers{o.all("watcher-header"), o.all("sender-header")};
    if (proto == Proto::parley) {
        targets = {o.str("watcher-path", "/api/v1/realtime"), o.str("sender-path")};
        auto conversations = readConversations(o.str("conversations"), std::size_t(senders));
        for (int i = 0; i < watchers; ++i) peers[i].hello = R"({"type":"hello","tenant_id":")" + room + R"("})";
        for (int i = 0; i < senders; ++i)
            peers[watchers + i].hello = R"({"type":"hello","conversation_id":")" + conversations[i].first +
                                        R"(","visitor_token":")" + conversations[i].second + R"(","last_seq":0})";
    } else {
        std::string path = o.str("path", "/socket.io/?EIO=4&transport=websocket");
        targets = {path, path};
        for (auto& p : peers) p.hello = room;
    }
    for (int i = 0; i < watchers; ++i) peers[i].watcher = true;

    ProcessFigures idle = processFigures(pid);
    Loop loop(proto);
    auto connect_started = nowNs();
    connectAll(loop, peers, port, targets, headers, 256, 300);
    double connect_s = double(nowNs() - connect_started) / 1e9;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ProcessFigures connected = processFigures(pid);

    std::vector<Sent> sent;
    sent.reserve(1 << 20);
    std::vector<std::uint32_t> latencies_us;
    latencies_us.reserve(1 << 22);
    std::string pad(static_cast<std::size_t>(std::max(0, text_bytes - 30)), 'x');
    long long measured_sent = 0, measured_deliveries = 0, window_deliveries = 0, duplicates = 0;
    int frame_bytes = 0;
    int next_sender = 0;
    const std::string run_id = "r" + std::to_string(nowNs());

    auto sendOne = [&](int s) {
        Peer& p = peers[static_cast<std::size_t>(watchers + s)];
        long long index = static_cast<long long>(sent.size());
        long long at = nowNs();
        std::string text = "~m" + std::to_string(index) + "~" + std::to_string(at) + "~ " + pad;
        std::string cid = run_id + "-" + std::to_string(index);  // unique across runs: a known id is a retry
        if (proto == Proto::parley)
            p.ws->sendText(R"({"type":"message","text":")" + text + R"(","client_message_id":")" + cid + R"("})");
        else
            p.ws->sendText("42" + std::to_string(index) + R"(["message",{"text":")" + text +
                           R"(","client_message_id":")" + cid + R"("}])");
        p.ws->flush();
        loop.rearm(p, watchers + s);
        sent.push_back({at, 0, s, false});
        ++p.outstanding;
    };

    const long long t0 = nowNs();
    const long long measure_from = t0 + static_cast<long long>(warmup_s * 1e9);
    const long long measure_to = measure_from + static_cast<long long>(duration_s * 1e9);
    const long long drain_to = measure_to + static_cast<long long>(drain_s * 1e9);
    long long sent_by_rate = 0;
    ProcessFigures at_start{}, at_end{};
    double client_cpu_start = 0, client_cpu_end = 0;
    bool started = false, ended = false;
    long peak_rss = connected.rss_kib, last_sample = 0, last_progress = t0;
    std::size_t completed = 0;

    for (;;) {
        long long now = nowNs();
        if (!started && now >= measure_from) {
            started = true;
            at_start = processFigures(pid);
            client_cpu_start = clientCpuSeconds();
        }
        if (!ended && now >= measure_to) {
            ended = true;
            at_end = processFigures(pid);
            client_cpu_end = clientCpuSeconds();
        }
        if (now - last_sample > 200'000'000) {
            last_sample = now;
            peak_rss = std::max(peak_rss, processFigures(pid).rss_kib);
        }
        if (ended && (completed == sent.size() || now >= drain_to)) break;
        if (!ended) {
            std::size_t before = sent.size();
            if (rate > 0) {
                long long due = static_cast<long long>(double(now - t0) / 1e9 * rate);
                for (; sent_by_rate < due; ++sent_by_rate) {
                    sendOne(next_sender);
                    next_sender = (next_sender + 1) % senders;
                }
            } else {
                for (int s = 0; s < senders; ++s)
                    while (peers[std::size_t(watchers + s)].outstanding < window) sendOne(s);
            }
            if (started)
                for (std::size_t i = before; i < sent.size(); ++i) {
                    sent[i].measured = true;
                    ++measured_sent;
                }
        }
        loop.poll(peers, rate > 0 ? 1 : 5, [&](int, Peer& p, std::string_view text) {
            if (!p.watcher) {
                if ((proto == Proto::parley && contains(text, R"("type":"error")")) ||
                    (proto == Proto::socketio && text.rfind("44", 0) == 0))
                    loop.noteError(text);
                return;
            }
            long long index, sent_ns;
            if (!findMarker(text, index, sent_ns) || index < 0 || index >= static_cast<long long>(sent.size())) return;
            long long received = nowNs();
            if (frame_bytes == 0) frame_bytes = int(text.size());
            Sent& m = sent[static_cast<std::size_t>(index)];
            if (++m.deliveries > watchers) ++duplicates;
            if (received >= measure_from && received < measure_to) ++window_deliveries;
            if (m.measured) {
                ++measured_deliveries;
                latencies_us.push_back(static_cast<std::uint32_t>(std::min<long long>((received - sent_ns) / 1000, 4'000'000'000LL)));
            }
            if (m.deliveries == watchers) {
                ++completed;
                --peers[std::size_t(watchers + m.sender)].outstanding;
                last_progress = received;
            }
        });
        if (loop.closed() > 0) throw std::runtime_error("a socket closed during the run: " + loop.firstError());
        if (window > 0 && nowNs() - last_progress > 10'000'000'000LL)
            throw std::runtime_error("no message completed for 10 s: " + loop.firstError());
    }
    std::sort(latencies_us.begin(), latencies_us.end());
    long long lost = measured_sent * watchers - measured_deliveries;
    double cpu = at_end.cpu_seconds - at_start.cpu_seconds;
    std::printf(
        "label=%s proto=%s watchers=%d senders=%d rate=%g window=%d sent=%lld deliveries_per_s=%.0f messages_per_s=%.1f "
        "p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f lost=%lld duplicates=%lld errors=%d frame_bytes=%d "
        "rss_idle_mib=%.1f rss_connected_mib=%.1f rss_end_mib=%.1f rss_peak_mib=%.1f threads=%ld server_cpu_pct=%.0f "
        "server_cpu_us_per_delivery=%.3f client_cpu_pct=%.0f connect_s=%.1f\n",
        o.str("label", "run").c_str(), proto == Proto::parley ? "parley" : "socketio", watchers, senders, rate, window,
        measured_sent, double(window_deliveries) / duration_s, double(window_deliveries) / duration_s / watchers,
        percentile(latencies_us, 0.50), percentile(latencies_us, 0.90), percentile(latencies_us, 0.99),
        latencies_us.empty() ? 0.0 : latencies_us.back() / 1000.0, lost, duplicates, loop.errors(), frame_bytes,
        idle.rss_kib / 1024.0, connected.rss_kib / 1024.0, at_end.rss_kib / 1024.0, peak_rss / 1024.0, at_end.threads,
        100.0 * cpu / duration_s, window_deliveries ? cpu * 1e6 / double(window_deliveries) : 0.0,
        100.0 * (client_cpu_end - client_cpu_start) / duration_s, connect_s);
    if (!loop.firstError().empty() && loop.errors() > 0) std::fprintf(stderr, "first error: %s\n", loop.firstError().c_str());
    return 0;
}

void usage() {
    std::cerr << "usage:\n"
                 "  rt_load seed --port P --key PK --origin O --count N --out FILE [--connections 4]\n"
                 "  rt_load idle --port P --pid PID --label L --count N [--path T] [--header 'Name: v']... [--parallel 500]\n"
                 "               [--conversations FILE]   (visitor sockets that say hello)\n"
                 "  rt_load load --proto parley|socketio --port P --pid PID --watchers N --senders M\n"
                 "               (--rate MSGS_PER_S | --window PER_SENDER) [--warmup 2] [--duration 10] [--drain 5]\n"
                 "               [--text-bytes 64] [--tenant T (parley: agents' tenant; socketio: the room)]\n"
                 "               parley: --sender-path '/api/v1/realtime?key=PK' --sender-header 'Origin: …'\n"
                 "                       --watcher-header 'Authorization: Bearer …' --conversations FILE\n";
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        usage();
        return 2;
    }
    try {
        std::string mode = argv[1];
        Options o(argc, argv);
        if (mode == "seed")
            return seedConversations(int(o.num("port", 0)), o.str("key"), o.str("origin"), int(o.num("count", 1)),
                                     int(o.num("connections", 4)), o.str("out"));
        if (mode == "idle") return idleMode(o);
        if (mode == "load") return loadMode(o);
        usage();
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "rt_load: " << e.what() << "\n";
        return 1;
    }
}

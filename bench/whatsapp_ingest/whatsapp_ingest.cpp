// Load generator for signed WhatsApp webhooks: every request is the text fixture with its own wamid, one of K
// contacts and a fresh timestamp, signed with the app secret; C keep-alive connections post them as fast as
// parleyd answers. Prints requests per second and latency percentiles (verify, de-duplicate, commit, 200).
//
//   whatsapp_ingest_bench --port 8080 --secret S --fixture meta_inbound_text.json [--requests 20000]
//                         [--connections 32] [--contacts 500]
#include "auth/crypto.hpp"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

std::string replaceAll(std::string text, const std::string& from, const std::string& to) {
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) text.replace(at, from.size(), to);
    return text;
}

}  // namespace

int main(int argc, char** argv) {
    std::map<std::string, std::string> args = {{"--requests", "20000"}, {"--connections", "32"}, {"--contacts", "500"}};
    for (int i = 1; i + 1 < argc; i += 2) args[argv[i]] = argv[i + 1];
    if (!args.count("--port") || !args.count("--secret") || !args.count("--fixture")) {
        std::cerr << "usage: whatsapp_ingest_bench --port P --secret S --fixture meta_inbound_text.json [--requests N] "
                     "[--connections C] [--contacts K]\n";
        return 2;
    }
    int port = std::stoi(args["--port"]), connections = std::stoi(args["--connections"]);
    size_t requests = std::stoul(args["--requests"]), contacts = std::stoul(args["--contacts"]);
    std::ifstream in(args["--fixture"], std::ios::binary);
    std::ostringstream raw;
    raw << in.rdbuf();
    std::string fixture = raw.str();
    const std::string wamid = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=";
    if (fixture.find(wamid) == std::string::npos) {
        std::cerr << "the fixture is not meta_inbound_text.json\n";
        return 2;
    }
    std::string now = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    std::string run = std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
    std::vector<std::pair<std::string, std::string>> bodies(requests);  // body, signature
    for (size_t i = 0; i < requests; ++i) {
        char contact[16];
        std::snprintf(contact, sizeof contact, "1650%07zu", i % contacts);
        std::string body = replaceAll(fixture, wamid, "wamid.bench." + run + "." + std::to_string(i));
        body = replaceAll(body, "16505551234", contact);
        body = replaceAll(body, "\"1749416383\"", "\"" + now + "\"");
        std::string signature = "sha256=" + parley::core::hexEncode(parley::core::hmacSha256(args["--secret"], body));
        bodies[i] = {std::move(body), std::move(signature)};
    }
    std::atomic<size_t> next{0}, errors{0};
    std::vector<std::vector<double>> latencies(connections);
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < connections; ++c)
        threads.emplace_back([&, c] {
            Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
            session.setKeepAlive(true);
            for (size_t i = next++; i < requests; i = next++) {
                auto t0 = std::chrono::steady_clock::now();
                try {
                    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, "/hooks/whatsapp", Poco::Net::HTTPMessage::HTTP_1_1);
                    req.setContentType("application/json");
                    req.set("X-Hub-Signature-256", bodies[i].second);
                    req.setContentLength(static_cast<std::streamsize>(bodies[i].first.size()));
                    req.setKeepAlive(true);
                    session.sendRequest(req) << bodies[i].first;
                    Poco::Net::HTTPResponse resp;
                    std::string answer;
                    Poco::StreamCopier::copyToString(session.receiveResponse(resp), answer);
                    if (resp.getStatus() != 200) {
                        if (errors++ < 3) std::cerr << "HTTP " << resp.getStatus() << ": " << answer << "\n";
                    }
                } catch (const std::exception& e) {
                    if (errors++ < 3) std::cerr << "request failed: " << e.what() << "\n";
                    session.reset();
                }
                latencies[c].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
            }
        });
    for (auto& t : threads) t.join();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::vector<double> all;
    for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    std::sort(all.begin(), all.end());
    auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))]; };
    std::printf("{\"requests\":%zu,\"errors\":%zu,\"connections\":%d,\"contacts\":%zu,\"seconds\":%.2f,\"per_second\":%.0f,"
                "\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f}\n",
                requests, errors.load(), connections, contacts, seconds, requests / seconds, pct(0.50), pct(0.99), all.empty() ? 0 : all.back());
    return errors.load() == 0 ? 0 : 1;
}

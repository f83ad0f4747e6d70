// What a load generator reads about the server it drives: resident memory, threads and CPU time from /proc.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace parley::bench {

struct ProcessFigures {
    long rss_kib = 0;
    long hwm_kib = 0;  // peak RSS since the process started
    long threads = 0;
    double cpu_seconds = 0;  // user + system
};

// Reads /proc/<pid>/status and /proc/<pid>/stat; throws when the process is gone.
inline ProcessFigures processFigures(int pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    if (!status) throw std::runtime_error("no process " + std::to_string(pid) + " (did the server die?)");
    ProcessFigures f;
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) f.rss_kib = std::stol(line.substr(6));
        if (line.rfind("VmHWM:", 0) == 0) f.hwm_kib = std::stol(line.substr(6));
        if (line.rfind("Threads:", 0) == 0) f.threads = std::stol(line.substr(8));
    }
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string all((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // Fields after the command name (which may hold spaces and parentheses): state is field 3, utime 14, stime 15.
    std::istringstream rest(all.substr(all.rfind(')') + 2));
    std::string field;
    long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::stol(field);
        if (i == 15) stime = std::stol(field);
    }
    f.cpu_seconds = double(utime + stime) / double(::sysconf(_SC_CLK_TCK));
    return f;
}

}  // namespace parley::bench

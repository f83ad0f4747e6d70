// parleyd: the Parley server.
#include "app/server_app.hpp"

#include <malloc.h>

#include <algorithm>
#include <cstdlib>

int main(int argc, char** argv) {
    // glibc gives each thread that allocates under contention an arena of its own (up to 8 per core) and keeps
    // what they free in it. With 64 realtime workers the fan-out bench's peak RSS went from 43 to 68 MiB; with two
    // arenas it was 49 MiB at the same throughput (docs/performance.md). PARLEY_MALLOC_ARENAS, or glibc's own
    // MALLOC_ARENA_MAX, sets another number.
    const char* arenas = std::getenv("PARLEY_MALLOC_ARENAS");
    if (!std::getenv("MALLOC_ARENA_MAX")) mallopt(M_ARENA_MAX, arenas ? std::max(1, std::atoi(arenas)) : 2);
    parley::core::ServerApp app;
    return app.run(argc, argv);
}

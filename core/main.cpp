// parleyd: the Parley server.
#include "app/server_app.hpp"

int main(int argc, char** argv) {
    parley::core::ServerApp app;
    return app.run(argc, argv);
}

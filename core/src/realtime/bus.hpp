// How nodes tell each other about realtime events. On PostgreSQL: LISTEN/NOTIFY on one channel, so a visitor on
// node A and an agent on node B talk live. On SQLite the server is a single node and the bus is local only.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace parley::core {
struct App;
}

namespace parley::core::realtime {

class Bus {
public:
    using Receiver = std::function<void(const std::string& payload)>;
    virtual ~Bus() = default;
    // Sends a payload (at most 7,900 bytes) to every other node; delivery is best effort (a node that missed
    // some resynchronizes from the database: the receiver gets kResync after a reconnect).
    virtual void publish(const std::string& payload) = 0;
    virtual void start(Receiver receiver) = 0;
    virtual void stop() = 0;
    virtual bool clustered() const = 0;
};

// The payload a receiver gets after the bus lost and regained its connection: catch up from the database.
inline const std::string kResync = "{\"k\":\"resync\"}";

std::unique_ptr<Bus> makeBus(App& app);

}  // namespace parley::core::realtime

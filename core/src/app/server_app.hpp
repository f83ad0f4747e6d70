// parleyd as a Poco ServerApplication: options, commands, start-up and shutdown order.
#pragma once

#include "app/config.hpp"

#include <Poco/Util/ServerApplication.h>

#include <string>
#include <utility>
#include <vector>

namespace parley::core {

class ServerApp : public Poco::Util::ServerApplication {
protected:
    void defineOptions(Poco::Util::OptionSet& options) override;
    void handleOption(const std::string& name, const std::string& value) override;
    int main(const std::vector<std::string>& args) override;

private:
    void printHelp();
    int serve();

    bool help_ = false;
    std::string config_path_ = "config/parley.json";
    bool config_given_ = false;
    std::vector<std::pair<std::string, std::string>> overrides_;
    std::string email_, name_, password_;
    Config config_;
};

}  // namespace parley::core

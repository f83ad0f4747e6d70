// Reads a file of ../shared/fixtures/whatsapp byte for byte.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

inline std::string fixture(const std::string& name) {
    std::ifstream in(std::string(PARLEY_FIXTURES_DIR) + "/whatsapp/" + name, std::ios::binary);
    if (!in) throw std::runtime_error("fixture not found: " + name);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

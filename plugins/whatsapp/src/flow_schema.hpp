// The flow schema (docs/flows.md): validation that names the node and field at fault, and the small pure
// pieces the engine uses (keyword matching, {{variable}} substitution, branch evaluation).
#pragma once

#include <Poco/JSON/Object.h>

#include <string>
#include <vector>

namespace parley::whatsapp {

struct FlowError {
    std::string path;     // "nodes.route.cases[0].next"
    std::string message;  // "names no node 'trak'"
};

// Every problem in a flow definition, in a stable order; empty when it is valid.
std::vector<FlowError> validateFlow(const Poco::JSON::Object::Ptr& flow);

// True when `text` triggers the flow: "exact" (the whole message, case-insensitive, trimmed) or "contains"
// (one of the keywords appears as a whole word). ASCII case folding; other bytes compare as they are.
bool keywordMatches(const Poco::JSON::Object::Ptr& trigger, const std::string& text);

// Replaces {{name}} with the variable's text ("" when unset).
std::string substitute(const std::string& text, const Poco::JSON::Object::Ptr& variables);

// The next node of a branch: the first case whose condition holds, else "default".
std::string branchNext(const Poco::JSON::Object::Ptr& node, const Poco::JSON::Object::Ptr& variables);

std::string lowerAscii(std::string s);

}  // namespace parley::whatsapp

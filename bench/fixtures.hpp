#pragma once
// Realistic objects for the micro-benchmarks: a Deployment pod (~4 KB with managedFields, as the
// API server sends it), a kwokctl-shaped Node (~3 KB) and a node Lease (~0.8 KB), and watch
// event lines wrapping them.

#include <string>

namespace ghost::bench {

std::string pod_json(int index = 0, const char* phase = "Pending");
std::string node_json(int index = 0);
std::string lease_json(int index = 0);
/// {"type":"MODIFIED","object":<obj>}\n
std::string watch_line(const std::string& type, const std::string& object);

}  // namespace ghost::bench

// YAML 1.1 -> JSON: a value or a parse error, and what converts prints back as YAML.
#include "fuzz/fuzz_input.hpp"
#include "lang/yaml_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string error;
    auto v = ghost::lang::yaml_to_json(ghost::fuzz::text(data, size), &error);
    if (v) (void)ghost::lang::json_to_yaml(*v);
    return 0;
}

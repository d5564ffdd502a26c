// CEL expressions with kwok's functions: compile or report, then evaluate over a pod.
#include "fuzz/fuzz_input.hpp"
#include "stages/cel_funcs.hpp"
#include "stages/selector.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace ghost;
    std::string error;
    auto p = lang::cel::program::compile(fuzz::text(data, size), stages::stage_cel_environment(),
                                         &error);
    if (p) (void)stages::evaluate_cel(*p, fuzz::sample_pod()).debug_string();
    return 0;
}

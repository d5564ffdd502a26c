// jq programs: parse or report, then run over a pod.
#include "fuzz/fuzz_input.hpp"
#include "lang/jq.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string error;
    auto p = ghost::lang::jq_program::try_parse(ghost::fuzz::text(data, size), &error);
    if (p) (void)p->run(ghost::fuzz::sample_pod());
    return 0;
}

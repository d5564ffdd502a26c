// kubeconfig files: a cluster_access or a config_error naming the field, never an abort.
#include "fuzz/fuzz_input.hpp"
#include "kube/kubeconfig.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        (void)ghost::kube::parse_kubeconfig(ghost::fuzz::text(data, size), "/nonexistent/fuzz");
    } catch (const ghost::kube::config_error&) {
    }
    return 0;
}

// What an API server may answer: Status bodies, HTTP status mapping, Retry-After, discovery.
#include "engine/http_types.hpp"
#include "fuzz/fuzz_input.hpp"
#include "kube/api_client.hpp"
#include "kube/discovery.hpp"
#include "kube/status.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace ghost;
    auto body = fuzz::text(data, size);
    (void)kube::parse_status(body);
    (void)engine::parse_retry_after(body);
    std::string error;
    (void)kube::parse_api_resource_list(body, "v1", &error);
    engine::http_response r;
    r.status = size ? 200 + data[0] % 400 : 500;
    r.body = std::string(body);
    (void)kube::check_response(std::move(r));
    return 0;
}

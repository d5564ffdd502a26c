// Go templates: parse, check functions, render (with Sprig and kwok's functions) over a pod.
#include "fuzz/fuzz_input.hpp"
#include "lang/gotpl.hpp"
#include "stages/template_funcs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace ghost;
    std::string error;
    auto t = lang::compiled_template::parse(fuzz::text(data, size), &error);
    if (!t) return 0;
    (void)(*t)->check_functions(&stages::is_kwok_template_function);
    static const auto funcs = stages::kwok_default_funcs("v0", [] { return std::string("now"); });
    (void)(*t)->render_to_json(fuzz::sample_pod(), funcs, &error);
    return 0;
}

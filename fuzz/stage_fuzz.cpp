// Stage documents (multi-document YAML): any input loads or throws stage_error, never aborts;
// loaded stages are matched and played against a pod.
#include "fuzz/fuzz_input.hpp"
#include "stages/lifecycle.hpp"
#include "stages/stage.hpp"
#include "stages/steps.hpp"
#include "stages/template_funcs.hpp"

#include <random>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace ghost;
    std::vector<stages::stage> loaded;
    try {
        loaded = stages::load_config_text(fuzz::text(data, size), "fuzz.yaml").stages;
    } catch (const stages::stage_error&) {
        return 0;
    }
    static const auto funcs = stages::kwok_default_funcs("v0", [] { return std::string("now"); });
    stages::render_fn render = [](const lang::compiled_template& t, const boost::json::value& dot,
                                  std::string* error) { return t.render_to_json(dot, funcs, error); };
    stages::lifecycle lc(std::move(loaded));
    std::mt19937_64 rng(1);
    std::string error;
    if (const auto* s = lc.match(fuzz::sample_pod(), rng, &error)) {
        (void)lc.delay(*s, fuzz::sample_pod(), {}, rng, &error);
        (void)stages::play_stage(*s, fuzz::sample_pod(), render, {}, &error);
    }
    return 0;
}

// Watch streams: arbitrary bytes in two arbitrary splits decode to events or ERROR events.
#include "fuzz/fuzz_input.hpp"
#include "kube/watch_decoder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto all = ghost::fuzz::text(data, size);
    std::size_t cut = size ? data[0] % (size + 1) : 0;
    ghost::kube::watch_decoder d;
    std::size_t n = 0;
    auto on_event = [&](const ghost::kube::watch_event& e) { n += e.name.size() + e.object.size(); };
    d.feed(all.substr(0, cut), on_event);
    d.feed(all.substr(cut), on_event);
    d.finish(on_event);
    return n == static_cast<std::size_t>(-1);
}

// ghostlet's command line (NUL- or newline-separated arguments): options or options_error.
#include "apps/ghostlet/options.hpp"
#include "fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<std::string> args;
    std::string cur;
    for (char c : ghost::fuzz::text(data, size)) {
        if (c == '\0' || c == '\n') {
            args.push_back(std::move(cur));
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) args.push_back(std::move(cur));
    // Files named on the command line are read: keep to a path that cannot exist.
    for (auto& a : args)
        if (a.find('/') != std::string::npos) a = "/nonexistent";
    try {
        (void)ghost::ghostlet::parse_options(args);
    } catch (const ghost::ghostlet::options_error&) {
    }
    return 0;
}

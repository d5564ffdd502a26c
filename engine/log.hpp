#pragma once
// Minimal leveled logger: one line per record on stderr, "2026-01-02T03:04:05.678Z I message".
// The macros test the level before the arguments are formatted, so disabled records cost one
// relaxed atomic load.

#include <atomic>
#include <sstream>
#include <string_view>

namespace ghost::engine::log {

enum class level : int { error = 0, warn = 1, info = 2, debug = 3, trace = 4 };

namespace detail {
inline std::atomic<int> current_level{static_cast<int>(level::info)};
}

inline void set_level(level l) noexcept {
    detail::current_level.store(static_cast<int>(l), std::memory_order_relaxed);
}
// Maps a `-v` count onto a level: 0 -> info, 1 -> debug, 2+ -> trace.
void set_verbosity(int v) noexcept;
inline level get_level() noexcept {
    return static_cast<level>(detail::current_level.load(std::memory_order_relaxed));
}
inline bool enabled(level l) noexcept {
    return static_cast<int>(l) <= detail::current_level.load(std::memory_order_relaxed);
}

// Writes one finished record (a single write(2), so concurrent lines do not interleave).
void write(level l, std::string_view msg) noexcept;

template <class... Args>
void emit(level l, const Args&... args) {
    std::ostringstream os;
    (os << ... << args);
    write(l, os.view());
}

}  // namespace ghost::engine::log

#define GHOST_LOG_AT(lvl, ...)                                                  \
    do {                                                                        \
        if (::ghost::engine::log::enabled(lvl))                                 \
            ::ghost::engine::log::emit(lvl, __VA_ARGS__);                       \
    } while (0)

#define GHOST_LOG_ERROR(...) GHOST_LOG_AT(::ghost::engine::log::level::error, __VA_ARGS__)
#define GHOST_LOG_WARN(...) GHOST_LOG_AT(::ghost::engine::log::level::warn, __VA_ARGS__)
#define GHOST_LOG_INFO(...) GHOST_LOG_AT(::ghost::engine::log::level::info, __VA_ARGS__)
#define GHOST_LOG_DEBUG(...) GHOST_LOG_AT(::ghost::engine::log::level::debug, __VA_ARGS__)
#define GHOST_LOG_TRACE(...) GHOST_LOG_AT(::ghost::engine::log::level::trace, __VA_ARGS__)

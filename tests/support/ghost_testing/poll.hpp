#pragma once
// Blocking form of async_test.hpp's wait_until, for tests that watch processes and files:
// polls `done` every 10 ms; false when `guard` passed first. The guard only catches hangs
// (it is generous so a loaded machine never trips it): tests never assert how long it took.

#include <chrono>
#include <thread>

namespace ghost::testing {

template <class Pred>
bool poll_until(Pred done, std::chrono::milliseconds guard = std::chrono::seconds(30)) {
    const auto end = std::chrono::steady_clock::now() + guard;
    while (!done()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

}  // namespace ghost::testing

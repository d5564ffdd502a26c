#pragma once
// A scrape load for ghost_ceiling: S concurrent HTTP clients on their own thread GET a node
// metrics path of ghostlet's server, R requests per second in total, round-robin over the
// nodes (client k of S sends at k/R, k/R + S/R, ...; a client whose reply is late sends its next
// request at once, so a slow server lowers the rate rather than piling requests up). Latency is
// measured from each request being sent to its whole reply read.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ghost::bench {

struct scrape_load_config {
    std::string port;                 ///< ghostlet's server on 127.0.0.1 (plain HTTP)
    int scrapers = 1;                 ///< concurrent clients (one keep-alive connection each)
    double rate = 10;                 ///< requests per second, all clients together
    std::vector<std::string> nodes;   ///< scraped round-robin
    /// `{node}` is replaced by the node's name.
    std::string path = "/metrics/nodes/{node}/metrics/resource";
};

struct scrape_load_result {
    std::uint64_t requests = 0;  ///< answered 200
    std::uint64_t failures = 0;  ///< transport errors and other statuses
    std::uint64_t bytes = 0;     ///< body bytes of the 200 replies
    double seconds = 0;          ///< from start() to stop()
    double p50_ms = 0, p99_ms = 0, max_ms = 0;
};

class scrape_load {
public:
    explicit scrape_load(scrape_load_config cfg);
    ~scrape_load();
    scrape_load(const scrape_load&) = delete;
    scrape_load& operator=(const scrape_load&) = delete;

    /// Starts the clients on their own thread.
    void start();
    /// Asks the clients to stop; requests in flight still finish, so the server's thread must
    /// keep serving until done().
    void request_stop();
    bool done() const noexcept;
    /// Waits for the clients (request_stop() first, if not asked yet) and joins the thread.
    scrape_load_result stop();
    /// Requests finished so far (answered or failed); any thread.
    std::uint64_t finished() const noexcept;

private:
    struct state;
    std::unique_ptr<state> state_;
};

/// The `p`-quantile (0..1) of `values` by nearest rank; 0 when empty. Reorders `values`.
double quantile(std::vector<double>& values, double p);

}  // namespace ghost::bench

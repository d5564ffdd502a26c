#include "bench/scrape_load.hpp"

#include "engine/http_pool.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cmath>
#include <thread>

namespace ghost::bench {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

struct scrape_load::state {
    scrape_load_config cfg;
    asio::io_context io{1};
    std::unique_ptr<engine::http_pool> pool;
    std::vector<std::unique_ptr<asio::steady_timer>> timers;
    std::thread thread;
    clock_type::time_point t0, t1;
    bool stopping = false;
    bool stop_asked = false;
    int running = 0;
    std::atomic<bool> finished_all{false};
    std::size_t cursor = 0;
    std::atomic<std::uint64_t> finished{0};
    std::vector<double> latencies_ms;
    scrape_load_result result;

    std::string path_for(const std::string& node) const {
        std::string p = cfg.path;
        if (auto at = p.find("{node}"); at != std::string::npos) p.replace(at, 6, node);
        return p;
    }

    asio::awaitable<void> client(int k) {
        auto& timer = *timers[static_cast<std::size_t>(k)];
        const auto period = std::chrono::duration_cast<clock_type::duration>(
            std::chrono::duration<double>(cfg.scrapers / cfg.rate));
        auto next = t0 + std::chrono::duration_cast<clock_type::duration>(
                             std::chrono::duration<double>(k / cfg.rate));
        while (!stopping) {
            timer.expires_at(next);
            co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
            if (stopping) break;
            engine::http_request req;
            req.method = boost::beast::http::verb::get;
            req.target = path_for(cfg.nodes[cursor++ % cfg.nodes.size()]);
            auto sent = clock_type::now();
            auto r = co_await pool->async_request(std::move(req));
            auto took = std::chrono::duration<double, std::milli>(clock_type::now() - sent).count();
            if (r && r->status == 200) {
                ++result.requests;
                result.bytes += r->body.size();
                latencies_ms.push_back(took);
            } else {
                ++result.failures;
            }
            finished.fetch_add(1, std::memory_order_relaxed);
            next += period;
            next = std::max(next, clock_type::now());  // behind: the next one at once
        }
        if (--running == 0) {
            t1 = clock_type::now();
            finished_all = true;
            pool->close();
            io.stop();
        }
    }
};

scrape_load::scrape_load(scrape_load_config cfg) : state_(std::make_unique<state>()) {
    state_->cfg = std::move(cfg);
    state_->cfg.scrapers = std::max(1, state_->cfg.scrapers);
    if (!(state_->cfg.rate > 0)) state_->cfg.rate = 1;
    engine::pool_config pc;
    pc.max_connections = static_cast<std::size_t>(state_->cfg.scrapers);
    pc.user_agent = "ghost-ceiling-scraper";
    state_->pool = std::make_unique<engine::http_pool>(
        state_->io.get_executor(), engine::endpoint{"127.0.0.1", state_->cfg.port, false},
        engine::tls_options{}, pc);
}

scrape_load::~scrape_load() {
    if (state_->thread.joinable()) stop();
}

void scrape_load::start() {
    auto& s = *state_;
    if (s.cfg.nodes.empty() || s.thread.joinable()) return;
    s.t0 = clock_type::now();
    s.running = s.cfg.scrapers;
    for (int k = 0; k < s.cfg.scrapers; ++k) {
        s.timers.push_back(std::make_unique<asio::steady_timer>(s.io));
        asio::co_spawn(s.io, s.client(k), asio::detached);
    }
    s.thread = std::thread([&s] { s.io.run(); });
}

void scrape_load::request_stop() {
    auto& s = *state_;
    if (!s.thread.joinable() || s.stop_asked) return;
    s.stop_asked = true;
    asio::post(s.io, [&s] {
        s.stopping = true;
        for (auto& t : s.timers) t->cancel();
    });
}

bool scrape_load::done() const noexcept { return !state_->thread.joinable() || state_->finished_all; }

scrape_load_result scrape_load::stop() {
    auto& s = *state_;
    if (!s.thread.joinable()) return s.result;
    request_stop();
    s.thread.join();
    s.result.seconds = std::chrono::duration<double>(s.t1 - s.t0).count();
    s.result.p50_ms = quantile(s.latencies_ms, 0.50);
    s.result.p99_ms = quantile(s.latencies_ms, 0.99);
    s.result.max_ms = quantile(s.latencies_ms, 1.0);
    return s.result;
}

std::uint64_t scrape_load::finished() const noexcept {
    return state_->finished.load(std::memory_order_relaxed);
}

double quantile(std::vector<double>& values, double p) {
    if (values.empty()) return 0;
    // Nearest rank: the smallest value with at least p of the values at or below it.
    auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(values.size())));
    auto at = values.begin() + static_cast<std::ptrdiff_t>(std::clamp<std::size_t>(rank, 1, values.size()) - 1);
    std::nth_element(values.begin(), at, values.end());
    return *at;
}

}  // namespace ghost::bench

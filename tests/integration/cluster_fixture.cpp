#include "tests/integration/cluster_fixture.hpp"

#include "apps/ghostctl/process.hpp"
#include "engine/subprocess.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>

#include <csignal>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace ghost::testing {

std::string str(const boost::json::value& v, std::initializer_list<const char*> path) {
    const boost::json::value* cur = &v;
    for (const char* p : path) {
        const auto* obj = cur->if_object();
        if (!obj || !obj->contains(p)) return {};
        cur = &obj->at(p);
    }
    return cur->is_string() ? std::string(cur->get_string()) : std::string();
}

namespace fs = std::filesystem;

run_result run_process(const std::vector<std::string>& args) {
    engine::spawn_options o;
    o.argv = args;
    try {
        auto r = engine::run_capture(o);
        return {r.exit_code, std::move(r.output)};
    } catch (const std::exception& e) {
        return {127, e.what()};
    }
}

std::string read_text(const fs::path& p) {
    std::stringstream s;
    s << std::ifstream(p).rdbuf();
    return s.str();
}

background::background(std::vector<std::string> argv, fs::path log_file)
    : log(std::move(log_file)) {
    engine::spawn_options o;
    o.argv = std::move(argv);
    o.out = engine::spawn_options::output::append_to_file;
    o.output_file = log;
    o.die_with_parent = true;
    pid = engine::spawn(o).pid;
}

background::~background() {
    if (pid > 0) engine::terminate(pid, std::chrono::seconds(5));
}

int background::interrupt() {
    engine::signal_process(pid, SIGINT);
    auto rc = engine::wait_for(pid, std::chrono::seconds(30));
    if (rc) pid = -1;
    return rc ? engine::exit_code(*rc) : -1;
}

timed_command::timed_command(std::vector<std::string> argv) {
    engine::spawn_options o;
    o.argv = std::move(argv);
    o.out = engine::spawn_options::output::capture;
    o.die_with_parent = true;
    auto child = engine::spawn(o);
    pid_ = child.pid;
    output_fd_ = child.output_fd;
    reader_ = std::thread([this] {
        std::string partial;
        char buf[4096];
        ssize_t n;
        while ((n = ::read(output_fd_, buf, sizeof buf)) > 0) {
            const auto now = std::chrono::steady_clock::now();
            partial.append(buf, static_cast<std::size_t>(n));
            for (std::size_t nl; (nl = partial.find('\n')) != std::string::npos;) {
                std::lock_guard lock(mu_);
                lines_.emplace_back(now, partial.substr(0, nl));
                partial.erase(0, nl + 1);
            }
        }
    });
}

timed_command::~timed_command() { stop(); }

int timed_command::wait(std::chrono::milliseconds timeout) {
    auto rc = engine::wait_for(pid_, timeout);
    if (!rc) return -1;
    pid_ = -1;
    stop();
    return engine::exit_code(*rc);
}

void timed_command::stop() {
    if (pid_ > 0) {
        engine::terminate(pid_, std::chrono::seconds(5));
        pid_ = -1;
    }
    if (reader_.joinable()) reader_.join();
    if (output_fd_ >= 0) ::close(output_fd_);
    output_fd_ = -1;
}

std::vector<timed_command::line> timed_command::lines() {
    std::lock_guard lock(mu_);
    return lines_;
}

std::string timed_command::output() {
    std::string all;
    for (const auto& [at, text] : lines()) all += text + "\n";
    return all;
}

bool wait_for(std::chrono::milliseconds timeout, const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (done()) return true;
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
}

std::string http_get(unsigned short port, const std::string& path) {
    namespace beast = boost::beast;
    namespace http = beast::http;
    try {
        boost::asio::io_context ioc;
        boost::asio::ip::tcp::socket s(ioc);
        s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
        http::request<http::empty_body> req{http::verb::get, path, 11};
        req.set(http::field::host, "127.0.0.1:" + std::to_string(port));  // as curl and Go send it
        req.keep_alive(false);
        http::write(s, req);
        beast::flat_buffer buf;
        http::response<http::string_body> res;
        http::read(s, buf, res);
        return res.body();
    } catch (const std::exception&) {
        return {};
    }
}

double metric_value(const std::string& text, const std::string& name) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
    }
    return -1;
}

unsigned short cluster_fixture::ghostlet_metrics_port() {
    auto pid_file = work_ / "clusters" / name_ / "pids" / "ghostlet.pid";
    std::ifstream in(pid_file);
    pid_t pid = 0;
    in >> pid;
    std::ifstream cmd("/proc/" + std::to_string(pid) + "/cmdline");
    std::string arg;
    const std::string flag = "--server-address=";
    while (std::getline(cmd, arg, '\0')) {
        if (arg.rfind(flag, 0) == 0) return static_cast<unsigned short>(std::stoi(arg.substr(arg.rfind(':') + 1)));
    }
    ADD_FAILURE() << "no " << flag << " in the command line of ghostlet (" << pid << ")";
    return 0;
}

void cluster_fixture::SetUp() {
    auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    work_ = fs::path(GHOST_INTEGRATION_WORKDIR) / (std::string(info->test_suite_name()) + "." +
                                                   info->name());
    fs::remove_all(work_);
    fs::create_directories(work_);
    ::setenv("GHOST_WORKDIR", work_.c_str(), 1);
    ::setenv("KUBECONFIG", (work_ / "user-kubeconfig").c_str(), 1);
}

void cluster_fixture::TearDown() {
    if (name_.empty()) return;
    auto r = run_process({GHOSTCTL_BINARY, "delete", "cluster", "--name", name_});
    EXPECT_EQ(r.exit_code, 0) << r.output;
}

void cluster_fixture::create_cluster(const std::string& suffix, std::vector<std::string> extra) {
    name_ = "gl" + std::to_string(::getpid() % 100000) + "-" + suffix;
    std::vector<std::string> args{GHOSTCTL_BINARY, "create", "cluster", "--name", name_};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run_process(args);
    ASSERT_EQ(r.exit_code, 0) << r.output;
}

run_result cluster_fixture::ghostctl(std::vector<std::string> args) {
    args.insert(args.begin(), {GHOSTCTL_BINARY, "--name", name_});
    return run_process(args);
}

run_result cluster_fixture::kubectl(std::vector<std::string> args) {
    args.insert(args.begin(), "kubectl");
    return ghostctl(std::move(args));
}

boost::json::value cluster_fixture::kubectl_json(std::vector<std::string> args) {
    args.insert(args.end(), {"-o", "json"});
    auto r = kubectl(args);
    boost::system::error_code ec;
    auto v = boost::json::parse(r.output, ec);
    if (r.exit_code != 0 || ec || !v.is_object()) {
        ADD_FAILURE() << "kubectl failed (" << r.exit_code << "): " << r.output.substr(0, 2000);
        return boost::json::parse(R"({"items":[]})");
    }
    return v;
}

std::string cluster_fixture::first_node_name() {
    std::string node;
    wait_for(std::chrono::seconds(60), [&] {
        auto nodes = kubectl_json({"get", "nodes"});
        const auto* items = nodes.as_object().if_contains("items");
        if (!items || !items->is_array() || items->as_array().empty()) return false;
        node = str(items->as_array()[0], {"metadata", "name"});
        return true;
    });
    return node;
}

void cluster_fixture::apply(const std::string& manifest) {
    static int counter = 0;
    auto file = work_ / ("manifest-" + std::to_string(++counter) + ".yaml");
    std::ofstream(file) << manifest;
    auto r = kubectl({"apply", "-f", file.string()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
}

void cluster_fixture::kill_component(const std::string& component) {
    auto pid_file = work_ / "clusters" / name_ / "pids" / (component + ".pid");
    std::ifstream in(pid_file);
    pid_t pid = 0;
    in >> pid;
    ASSERT_GT(pid, 0) << "no pid in " << pid_file;
    ASSERT_EQ(::kill(pid, SIGKILL), 0) << "kill " << component << " (" << pid << ")";
    // ghostctl's own notion of "gone": also waits for a Go program's exiting threads, which
    // hold its sockets after the main thread turned zombie.
    ASSERT_TRUE(wait_for(std::chrono::seconds(10), [&] { return !ghostctl::pid_alive(pid); }))
        << component << " (" << pid << ") did not exit";
}

}  // namespace ghost::testing

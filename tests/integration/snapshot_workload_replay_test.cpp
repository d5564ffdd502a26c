// A minute of a realistic workload recorded with `ghostctl snapshot export --record` and
// replayed with `ghostctl snapshot restore --format k8s` into a fresh cluster (issue #11):
// two Deployments (one scaled 5 -> 15 -> 3, the other deleted), bare pods created and
// deleted, a ConfigMap changed twice. The replay must take every object through the recorded
// states in the recorded order, end where the recorded cluster ended, apply as many creates,
// patches and deletes as were recorded, and never apply a change before its offset. How late
// each change came is printed (p50/p99/max), not bounded: that is the API server's latency.
#include "tests/integration/cluster_fixture.hpp"

#include "apps/ghostctl/snapshot_format.hpp"
#include "apps/ghostctl/snapshot_record.hpp"
#include "engine/subprocess.hpp"
#include "kube/api_client.hpp"
#include "kube/kubeconfig.hpp"
#include "kube/list_watch.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <regex>
#include <thread>
#include <unistd.h>

namespace ghost::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;
namespace asio = boost::asio;
using steady = std::chrono::steady_clock;

const std::string ns = "wl";
const std::vector<std::string> kinds{"configmaps", "deployments", "replicasets", "pods"};

// What the test compares of an object: the fields the workload changes. Absent numbers are 0
// (the API server leaves zero counts out of some statuses, not of others).
json::object signature(const std::string& resource, const json::object& o) {
    auto at = [&](std::initializer_list<const char*> path) -> const json::value* {
        const json::value* cur = nullptr;
        const json::object* obj = &o;
        for (const char* p : path) {
            if (obj == nullptr) return nullptr;
            cur = obj->if_contains(p);
            if (cur == nullptr) return nullptr;
            obj = cur->if_object();
        }
        return cur;
    };
    auto num = [&](std::initializer_list<const char*> path) -> std::int64_t {
        const auto* v = at(path);
        return v && v->is_number() ? v->to_number<std::int64_t>() : 0;
    };
    auto text = [&](std::initializer_list<const char*> path) -> std::string {
        const auto* v = at(path);
        return v && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    json::object s;
    if (resource == "configmaps") {
        const auto* d = at({"data"});
        s["data"] = d && d->is_object() ? *d : json::object();
    } else if (resource == "pods") {
        s["node"] = text({"spec", "nodeName"});
        s["phase"] = text({"status", "phase"});
        s["ip"] = text({"status", "podIP"});
        s["deleting"] = at({"metadata", "deletionTimestamp"}) != nullptr;
    } else {
        s["spec"] = num({"spec", "replicas"});
        s["replicas"] = num({"status", "replicas"});
        s["ready"] = num({"status", "readyReplicas"});
        s["available"] = num({"status", "availableReplicas"});
    }
    return s;
}

const json::object gone{{"gone", true}};

// A recorded patch applied to the object as far as signature() looks: maps merge, null
// removes, `$patch: replace` replaces, `$retainKeys` drops the others, lists are not merged
// (no compared field is in a list).
void merge_patch(json::object& target, const json::object& patch) {
    if (const auto* p = patch.if_contains("$patch"); p && p->is_string() && *p == "replace")
        target.clear();
    if (const auto* keep = patch.if_contains("$retainKeys"); keep && keep->is_array()) {
        json::object kept;
        for (const auto& k : keep->get_array()) {
            if (k.is_string() && target.contains(k.get_string()))
                kept[k.get_string()] = target[k.get_string()];
        }
        target = std::move(kept);
    }
    for (const auto& [key, value] : patch) {
        if (key.starts_with("$")) continue;
        if (value.is_null()) {
            target.erase(key);
        } else if (value.is_object()) {
            auto& t = target[key];
            if (!t.is_object()) t = json::object();
            merge_patch(t.get_object(), value.get_object());
        } else {
            target[key] = value;
        }
    }
}

std::string key_of(const std::string& resource, const std::string& name) {
    return resource + "/" + name;
}

// The recording of namespace wl: per object, the states it went through (each with the
// offset of the change that made it; the snapshot's state has none), and the method counts.
struct recording {
    struct state {
        json::object sig;
        std::optional<std::chrono::nanoseconds> offset;
    };
    std::map<std::string, std::vector<state>> objects;
    std::map<std::string, json::object> final_state;   // gone objects left out
    std::size_t creates = 0, patches = 0, deletes = 0;   // the whole file (what restore replays)
    std::size_t changes_here = 0, creates_here = 0, deletes_here = 0;   // of namespace wl
    std::size_t snapshot_here = 0;                       // objects of wl in the snapshot
};

std::string resource_of_kind(std::string_view kind) {
    if (kind == "ConfigMap") return "configmaps";
    if (kind == "Deployment") return "deployments";
    if (kind == "ReplicaSet") return "replicasets";
    if (kind == "Pod") return "pods";
    return {};
}

recording read_recording(const fs::path& file) {
    // Times are "$(time-offset-nanosecond N)": only their presence is compared.
    static const std::regex offset(R"(\$\(time-offset-nanosecond -?\d+\))");
    auto text = std::regex_replace(read_text(file), offset, "T");
    auto contents = ghostctl::read_snapshot_text(text, file.string());
    EXPECT_TRUE(contents.errors.empty()) << contents.errors.front();
    recording r;
    std::map<std::string, json::object> current;
    auto push = [&](const std::string& key, const std::string& resource,
                    std::optional<std::chrono::nanoseconds> at) {
        auto it = current.find(key);
        auto sig = it == current.end() ? gone : signature(resource, it->second);
        auto& states = r.objects[key];
        if (states.empty() || states.back().sig != sig) states.push_back({std::move(sig), at});
    };
    for (const auto& so : contents.objects) {
        const auto* meta = so.object.if_contains("metadata");
        if (!meta || str(*meta, {"namespace"}) != ns) continue;
        const auto resource = resource_of_kind(str(so.object, {"kind"}));
        if (resource.empty()) continue;
        const auto key = key_of(resource, str(*meta, {"name"}));
        current[key] = so.object;
        ++r.snapshot_here;
        push(key, resource, std::nullopt);
    }
    for (const auto& sp : contents.patches) {
        const auto& p = sp.patch;
        if (p.method == ghostctl::patch_method::create) ++r.creates;
        else if (p.method == ghostctl::patch_method::patch) ++r.patches;
        else ++r.deletes;
        if (p.ns != ns || std::find(kinds.begin(), kinds.end(), p.resource) == kinds.end())
            continue;
        ++r.changes_here;
        if (p.method == ghostctl::patch_method::create) ++r.creates_here;
        if (p.method == ghostctl::patch_method::remove) ++r.deletes_here;
        const auto key = key_of(p.resource, p.name);
        if (p.method == ghostctl::patch_method::create) current[key] = p.body;
        else if (p.method == ghostctl::patch_method::patch) merge_patch(current[key], p.body);
        else current.erase(key);
        push(key, p.resource, p.offset);
    }
    for (const auto& [key, obj] : current)
        r.final_state[key] = signature(key.substr(0, key.find('/')), obj);
    return r;
}

// List/watch of the four kinds in namespace wl on a thread of its own, every event with the
// time it arrived.
class namespace_watch {
public:
    struct event {
        steady::time_point at;
        std::string key;
        json::object sig;
    };

    explicit namespace_watch(const fs::path& kubeconfig)
        : access_(kube::load_kubeconfig(kubeconfig)) {
        pool_ = kube::make_http_pool(ioc_.get_executor(), access_);
        client_.emplace(*pool_, kube::client_options{access_.base_path});
        for (const auto& resource : kinds) {
            kube::list_watch_params p;
            p.path = (resource == "configmaps" || resource == "pods" ? "/api/v1" : "/apis/apps/v1") +
                     std::string("/namespaces/") + ns + "/" + resource;
            auto handler = [this, resource](kube::event_kind kind, json::object&& obj) {
                const auto key = key_of(resource, str(obj, {"metadata", "name"}));
                auto sig = kind == kube::event_kind::deleted ? gone : signature(resource, obj);
                std::lock_guard lock(mu_);
                events_.push_back({steady::now(), key, std::move(sig)});
            };
            asio::co_spawn(ioc_, kube::async_run_list_watch(*client_, std::move(p), handler),
                           asio::bind_cancellation_slot(stops_.emplace_back().slot(),
                                                        [](std::exception_ptr) {}));
        }
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~namespace_watch() { stop(); }

    void stop() {
        if (!thread_.joinable()) return;
        asio::post(ioc_, [this] {
            for (auto& s : stops_) s.emit(asio::cancellation_type::terminal);
            pool_->close();
        });
        // A watch that does not end on cancellation must not hang the test.
        wait_for(10s, [&] { return ioc_.stopped(); });
        ioc_.stop();
        thread_.join();
    }
    std::vector<event> events() {
        std::lock_guard lock(mu_);
        return events_;
    }

private:
    kube::cluster_access access_;
    asio::io_context ioc_{1};
    std::unique_ptr<engine::http_pool> pool_;
    std::optional<kube::api_client> client_;
    std::deque<asio::cancellation_signal> stops_;
    std::thread thread_;
    std::mutex mu_;
    std::vector<event> events_;
};

std::string deployment(const std::string& name, int replicas) {
    return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name + ", namespace: " +
           ns + "}\nspec:\n  replicas: " + std::to_string(replicas) +
           "\n  selector: {matchLabels: {app: " + name + "}}\n  template:\n    metadata: "
           "{labels: {app: " + name + "}}\n    spec:\n      tolerations: [{operator: Exists}]\n"
           "      containers: [{name: c, image: busybox}]\n";
}

std::string bare_pod(const std::string& name) {
    return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + ", namespace: " + ns +
           "}\nspec:\n  tolerations: [{operator: Exists}]\n  containers: [{name: c, image: "
           "busybox}]\n";
}

// The signature as text with its keys sorted (json::object compares regardless of order).
std::string describe(const json::value& v) {
    if (!v.is_object()) return json::serialize(v);
    std::map<std::string, const json::value*> sorted;
    for (const auto& [k, x] : v.get_object()) sorted.emplace(k, &x);
    std::string out = "{";
    for (const auto& [k, x] : sorted)
        out += (out.size() > 1 ? "," : "") + json::serialize(json::string(k)) + ":" + describe(*x);
    return out + "}";
}

class snapshot_workload_it : public cluster_fixture {
protected:
    void TearDown() override {
        if (!replay_name_.empty()) {
            auto r = run_process({GHOSTCTL_BINARY, "delete", "cluster", "--name", replay_name_});
            EXPECT_EQ(r.exit_code, 0) << r.output;
        }
        cluster_fixture::TearDown();
    }
    fs::path kubeconfig_of(const std::string& cluster) {
        return work_ / "clusters" / cluster / "kubeconfig.yaml";
    }
    // kubectl get of the four kinds in wl on `cluster`: key -> signature.
    std::map<std::string, json::object> objects_on(const std::string& cluster) {
        auto r = run_process({GHOSTCTL_BINARY, "--name", cluster, "kubectl", "get",
                              "configmaps,deployments,replicasets,pods", "-n", ns, "-o", "json"});
        std::map<std::string, json::object> out;
        boost::system::error_code ec;
        auto list = json::parse(r.output, ec);
        if (r.exit_code != 0 || ec) {
            ADD_FAILURE() << "kubectl get on " << cluster << ": " << r.output.substr(0, 2000);
            return out;
        }
        for (const auto& item : list.at("items").as_array()) {
            const auto resource = resource_of_kind(str(item, {"kind"}));
            out[key_of(resource, str(item, {"metadata", "name"}))] =
                signature(resource, item.as_object());
        }
        return out;
    }
    // The pods of wl settled: `want` Running (by name prefix count), none terminating.
    bool pods_settled(const std::map<std::string, int>& want) {
        auto pods = kubectl_json({"get", "pods", "-n", ns});
        std::map<std::string, int> running;
        for (const auto& p : pods.at("items").as_array()) {
            if (p.at("metadata").as_object().contains("deletionTimestamp")) return false;
            if (str(p, {"status", "phase"}) != "Running") return false;
            const auto name = str(p, {"metadata", "name"});
            ++running[name.substr(0, name.find('-'))];
        }
        return running == want;
    }

    std::string replay_name_;
};

TEST_F(snapshot_workload_it, a_minute_of_deployments_pods_and_configmaps_replays_as_recorded) {
    ASSERT_NO_FATAL_FAILURE(create_cluster("wlrec"));
    ASSERT_EQ(ghostctl({"scale", "node", "--replicas", "1"}).exit_code, 0);
    ASSERT_FALSE(first_node_name().empty());
    ASSERT_EQ(kubectl({"create", "namespace", ns}).exit_code, 0);
    ASSERT_EQ(kubectl({"create", "configmap", "settings", "-n", ns, "--from-literal=v=1"})
                  .exit_code, 0);

    const auto file = work_ / "workload.yaml";
    // Service accounts too: the API server admits no pod whose service account is missing.
    const std::string filter =
        "namespace,serviceaccount,configmap,deployment.apps,replicaset.apps,pod";
    background recorder({GHOSTCTL_BINARY, "snapshot", "export", "--kubeconfig",
                         kubeconfig_of(name_).string(), "--record", "--path", file.string(),
                         "--filter", filter},
                        work_ / "export.log");
    ASSERT_TRUE(wait_for(30s, [&] {
        return read_text(recorder.log).find("recording changes") != std::string::npos;
    })) << read_text(recorder.log);
    const auto t0 = steady::now();
    auto at = [&](int seconds) { std::this_thread::sleep_until(t0 + std::chrono::seconds(seconds)); };
    auto run = [&](std::vector<std::string> args) {
        auto r = kubectl(std::move(args));
        ASSERT_EQ(r.exit_code, 0) << r.output;
    };
    auto settle = [&](const std::map<std::string, int>& want) {
        ASSERT_TRUE(wait_for(90s, [&] { return pods_settled(want); }))
            << kubectl({"get", "pods", "-n", ns}).output;
    };

    ASSERT_NO_FATAL_FAILURE(apply(deployment("web", 5) + "---\n" + deployment("api", 5)));
    ASSERT_NO_FATAL_FAILURE(settle({{"web", 5}, {"api", 5}}));
    at(8);
    ASSERT_NO_FATAL_FAILURE(apply(bare_pod("solo-1") + "---\n" + bare_pod("solo-2") + "---\n" +
                                  bare_pod("solo-3")));
    at(14);
    ASSERT_NO_FATAL_FAILURE(run({"patch", "configmap", "settings", "-n", ns, "-p",
                                 R"({"data":{"v":"2","mode":"fast"}})"}));
    at(18);
    ASSERT_NO_FATAL_FAILURE(run({"scale", "deployment", "web", "-n", ns, "--replicas", "15"}));
    ASSERT_NO_FATAL_FAILURE(settle({{"web", 15}, {"api", 5}, {"solo", 3}}));
    at(28);
    ASSERT_NO_FATAL_FAILURE(run({"delete", "pod", "solo-1", "solo-2", "-n", ns, "--wait=false"}));
    at(33);
    ASSERT_NO_FATAL_FAILURE(run({"delete", "deployment", "api", "-n", ns, "--wait=false"}));
    at(38);
    ASSERT_NO_FATAL_FAILURE(apply(bare_pod("solo-4")));
    at(43);
    ASSERT_NO_FATAL_FAILURE(run({"patch", "configmap", "settings", "-n", ns, "-p",
                                 R"({"data":{"v":"3","mode":null}})"}));
    at(47);
    ASSERT_NO_FATAL_FAILURE(run({"scale", "deployment", "web", "-n", ns, "--replicas", "3"}));
    at(52);
    ASSERT_NO_FATAL_FAILURE(run({"delete", "pod", "solo-3", "-n", ns, "--wait=false"}));
    ASSERT_NO_FATAL_FAILURE(settle({{"web", 3}, {"solo", 1}}));   // solo-4
    at(60);
    ASSERT_EQ(recorder.interrupt(), 0) << read_text(recorder.log);
    const auto recorded_end = objects_on(name_);

    const auto rec = read_recording(file);
    ASSERT_GT(rec.changes_here, 0u);
    EXPECT_EQ(rec.final_state, recorded_end) << "the recording ends where the cluster did";
    ASSERT_TRUE(rec.final_state.contains("deployments/web"));
    EXPECT_EQ(rec.final_state.at("deployments/web").at("spec").as_int64(), 3);
    EXPECT_FALSE(rec.final_state.contains("deployments/api"));
    ASSERT_TRUE(rec.final_state.contains("configmaps/settings"));
    EXPECT_EQ(rec.final_state.at("configmaps/settings").at("data").as_object(),
              (json::object{{"v", "3"}}));

    // The replay cluster runs no kube-controller-manager. Restore stops it while it writes, as
    // kwokctl does, but starts it again afterwards: its ReplicaSet controller and garbage
    // collector would then act on the replayed objects (adopt, create or delete pods, rewrite
    // statuses), and what the test compares would be theirs, not the replay's.
    replay_name_ = "gl" + std::to_string(::getpid() % 100000) + "-wlrep";
    auto created = run_process({GHOSTCTL_BINARY, "create", "cluster", "--name", replay_name_,
                                "--disable-kube-controller-manager"});
    ASSERT_EQ(created.exit_code, 0) << created.output;
    namespace_watch watch(kubeconfig_of(replay_name_));
    std::this_thread::sleep_for(2s);   // the watches are open (the namespace does not exist yet)
    timed_command restore({GHOSTCTL_BINARY, "--name", replay_name_, "snapshot", "restore",
                           "--format", "k8s", "--path", file.string(), "--filter", filter});
    const int restore_exit = restore.wait(300s);
    std::this_thread::sleep_for(1s);   // the last events reach the watch
    watch.stop();
    EXPECT_EQ(restore_exit, 0) << restore.output();

    // Counts of what was replayed, by method, are the recording's.
    const std::regex summary(R"(replayed (\d+) of (\d+) recorded changes in [0-9.]+s )"
                             R"(\((\d+) created, (\d+) patched, (\d+) deleted\))");
    std::smatch m;
    const auto out = restore.output();
    ASSERT_TRUE(std::regex_search(out, m, summary)) << out;
    EXPECT_EQ(m[1].str(), m[2].str()) << out;
    EXPECT_EQ(std::stoul(m[3].str()), rec.creates) << out;
    EXPECT_EQ(std::stoul(m[4].str()), rec.patches) << out;
    EXPECT_EQ(std::stoul(m[5].str()), rec.deletes) << out;

    // The replay's clock starts right after ghostctl says "replaying" (the line is flushed
    // first): each change's lateness is measured from when that line came.
    steady::time_point replay_start{};
    for (const auto& [when, line] : restore.lines())
        if (line.starts_with("replaying ")) replay_start = when;
    ASSERT_NE(replay_start, steady::time_point{}) << out;

    // Every object went through the recorded states in the recorded order, and only those.
    std::map<std::string, std::vector<namespace_watch::event>> seen;
    for (auto& e : watch.events()) {
        auto& states = seen[e.key];
        if (states.empty() || states.back().sig != e.sig) states.push_back(std::move(e));
    }
    std::vector<std::chrono::nanoseconds> lateness;
    std::size_t adds = 0, deletes = 0;
    for (const auto& [key, states] : rec.objects) {
        const auto& got = seen[key];
        std::string want_text, got_text;
        for (const auto& s : states) want_text += "  " + describe(s.sig) + "\n";
        for (const auto& e : got) got_text += "  " + describe(e.sig) + "\n";
        EXPECT_EQ(want_text, got_text) << key << ": recorded states (want) and replayed (got)";
        for (std::size_t i = 0; i < states.size() && i < got.size(); ++i) {
            if (!states[i].offset || states[i].sig != got[i].sig) continue;
            lateness.push_back(got[i].at - replay_start - *states[i].offset);
        }
    }
    for (const auto& [key, events] : seen) {
        EXPECT_TRUE(rec.objects.contains(key)) << key << " was never recorded";
        for (std::size_t i = 0; i < events.size(); ++i) {
            if (events[i].sig == gone) ++deletes;
            else if (i == 0 || events[i - 1].sig == gone) ++adds;
        }
    }
    // Objects came and went as recorded (the snapshot's objects appear through the restore).
    EXPECT_EQ(adds, rec.creates_here + rec.snapshot_here);
    EXPECT_EQ(deletes, rec.deletes_here);
    std::cout << "[ replay ] " << rec.changes_here << " recorded changes in " << ns << " ("
              << rec.creates_here << " creates, " << rec.deletes_here << " deletes), "
              << lateness.size() << " of them visible in the compared fields\n";

    // Never early: the start is seen through a pipe (our reader may wake a little after the
    // line was written), so 250 ms of that are allowed.
    ASSERT_FALSE(lateness.empty());
    for (const auto& l : lateness) EXPECT_GE(l, -250ms) << "a change came before its offset";
    std::sort(lateness.begin(), lateness.end());
    auto ms = [](std::chrono::nanoseconds d) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    };
    auto pct = [&](double q) {
        return lateness[std::min(lateness.size() - 1, std::size_t(q * double(lateness.size())))];
    };
    std::cout << "[ replay ] lateness of " << lateness.size() << " changes: p50 " << ms(pct(0.5))
              << " ms, p99 " << ms(pct(0.99)) << " ms, max " << ms(lateness.back()) << " ms\n";

    // The replayed cluster ends where the recorded one did.
    EXPECT_EQ(objects_on(replay_name_), recorded_end);
}

}  // namespace
}  // namespace ghost::testing

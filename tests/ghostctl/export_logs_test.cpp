// export logs: kwokctl's directory and layout, the dry-run lines, and a real copy that refuses
// to overwrite an earlier export and names a missing log.
#include "apps/ghostctl/cluster.hpp"
#include "apps/ghostctl/export_logs.hpp"
#include "apps/ghostctl/pki.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

namespace ghost::ghostctl {
namespace {

namespace fs = std::filesystem;

cluster_state state_at(const fs::path& dir, bool audit) {
    cluster_state s;
    s.name = "c";
    s.dir = dir;
    s.components = {component{"etcd", "/b/etcd"}, component{"kube-apiserver", "/b/api"},
                    component{"ghostlet", "/b/ghostlet"}};
    // What --kube-audit-policy gives kube-apiserver ("-" would be its stdout: no file).
    s.components[1].args = {"--v=1", audit ? "--audit-log-path=" + (dir / "logs/audit.log").string()
                                           : std::string("--audit-log-path=-")};
    return s;
}

TEST(export_logs, directory_is_kwokctls) {
    EXPECT_EQ(export_dir("/w/clusters/c", "c", ""), fs::path("/w/clusters/c/export/logs"));
    EXPECT_EQ(export_dir("/w/clusters/c", "c", "/tmp/out"), fs::path("/tmp/out/c"));
}

TEST(export_logs, plan_and_dry_run_lines) {
    auto p = plan_export(state_at("/w/c", true), "/o/c");
    EXPECT_EQ(p.config_from, fs::path("/w/c/ghostlet.yaml"));
    EXPECT_EQ(p.info, go_platform());
    EXPECT_NE(p.info.find('/'), std::string::npos);
    ASSERT_EQ(p.logs.size(), 4u);
    EXPECT_EQ(p.logs[2].second, fs::path("/o/c/components/ghostlet.log"));
    EXPECT_EQ(p.logs[3], (std::pair<fs::path, fs::path>{"/w/c/logs/audit.log",
                                                        "/o/c/components/audit.log"}));
    EXPECT_EQ(plan_export(state_at("/w/c", false), "/o/c").logs.size(), 3u)
        << "no audit log file without --audit-log-path";
    EXPECT_EQ(export_shell(plan_export(state_at("/w/c", false), "/o/c")),
              "mkdir -p /o/c /o/c/components\n"
              "cp /w/c/ghostlet.yaml /o/c/kwok.yaml\n"
              "printf '%s' " + go_platform() + " >/o/c/binary-info.txt\n"
              "cp /w/c/logs/etcd.log /o/c/components/etcd.log\n"
              "cp /w/c/logs/kube-apiserver.log /o/c/components/kube-apiserver.log\n"
              "cp /w/c/logs/ghostlet.log /o/c/components/ghostlet.log\n");
}

TEST(export_logs, copies_warns_for_a_missing_log_and_never_overwrites) {
    auto root = fs::temp_directory_path() / ("ghostctl-export-" + std::to_string(::getpid()));
    fs::remove_all(root);
    cluster_layout L{root / "cluster"};
    fs::create_directories(L.logs());
    write_file(L.ghostlet_config(), "kind: KwokctlConfiguration\n");
    write_file(L.log_of("etcd"), "etcd says hi\n");
    write_file(L.log_of("kube-apiserver"), "api\n");  // ghostlet's log is missing
    auto p = plan_export(state_at(L.dir, false), root / "out" / "c");
    std::ostringstream out, err;
    run_export(p, out, err);
    EXPECT_EQ(read_file(root / "out/c/kwok.yaml"), "kind: KwokctlConfiguration\n");
    EXPECT_EQ(read_file(root / "out/c/binary-info.txt"), go_platform());
    EXPECT_EQ(read_file(root / "out/c/components/etcd.log"), "etcd says hi\n");
    EXPECT_EQ(read_file(root / "out/c/components/kube-apiserver.log"), "api\n");
    EXPECT_FALSE(fs::exists(root / "out/c/components/ghostlet.log"));
    EXPECT_NE(err.str().find("warning: export logs: " + L.log_of("ghostlet").string()),
              std::string::npos)
        << err.str();
    EXPECT_EQ(out.str(), "exported 2 logs to " + (root / "out" / "c").string() + "\n");
    try {
        run_export(p, out, err);
        ADD_FAILURE() << "a second export overwrote the first";
    } catch (const ghostctl_error& e) {
        EXPECT_EQ(std::string(e.what()), "export logs: " + (root / "out/c/kwok.yaml").string() +
                                             " already exists (an earlier export); pick another "
                                             "directory");
    }
    fs::remove_all(root);
}

}  // namespace
}  // namespace ghost::ghostctl

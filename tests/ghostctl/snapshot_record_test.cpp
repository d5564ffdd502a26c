// Recording and replay without a cluster: the export command line, ResourcePatch documents as
// kwokctl v0.8.0 writes them (the fixtures are kwokctl's own output), kwok's time offsets, the
// track that turns watch events into create/patch/delete, the replay timing on a manual clock,
// how a recorded patch becomes requests, and gzip files. The API-server half is in
// tests/integration/snapshot_record_it.cpp.

#include "apps/ghostctl/options.hpp"
#include "apps/ghostctl/snapshot.hpp"
#include "apps/ghostctl/snapshot_file.hpp"
#include "apps/ghostctl/snapshot_format.hpp"
#include "apps/ghostctl/snapshot_record.hpp"
#include "apps/ghostctl/snapshot_replay.hpp"

#include "lang/yaml_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace ghost::ghostctl {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string usage_error_of(std::vector<std::string> a) {
    try {
        parse_command_line(a);
    } catch (const usage_error& e) {
        return e.what();
    }
    return "";
}

json::object obj(const char* text) { return json::parse(text).as_object(); }

kube::wall_clock::time_point at(const char* rfc3339) { return *kube::parse_rfc3339(rfc3339); }

TEST(snapshot_export_options, kwokctl_flags_and_defaults) {
    auto c = parse_command_line({"snapshot", "export", "--path", "x.yaml"});
    EXPECT_EQ(c.kind, command_kind::snapshot_export);
    EXPECT_EQ(c.snapshot.kubeconfig, "");   // the in-cluster service account
    EXPECT_EQ(c.snapshot.page_size, 500);
    EXPECT_EQ(c.snapshot.page_buffer_size, 10);
    EXPECT_FALSE(c.snapshot.record);
    EXPECT_TRUE(c.snapshot.filters.empty());

    c = parse_command_line({"snapshot", "export", "--path=x.yaml", "--kubeconfig", "/k",
                            "--record", "--as", "u", "--as-group", "g1,g2", "--as-group=g3",
                            "--page-size", "50", "--page-buffer-size", "2", "--filter", "pod"});
    EXPECT_EQ(c.snapshot.kubeconfig, "/k");
    EXPECT_TRUE(c.snapshot.record);
    EXPECT_EQ(c.snapshot.as_user, "u");
    EXPECT_EQ(c.snapshot.as_groups, (std::vector<std::string>{"g1", "g2", "g3"}));
    EXPECT_EQ(c.snapshot.page_size, 50);
    EXPECT_EQ(c.snapshot.page_buffer_size, 2);
    EXPECT_EQ(c.snapshot.filters, (std::vector<std::string>{"pod"}));

    c = parse_command_line({"snapshot", "restore", "--path", "x", "--format", "k8s", "--speed",
                            "2.5"});
    EXPECT_EQ(c.snapshot.speed, 2.5);
}

TEST(snapshot_export_options, bad_input_is_one_line) {
    EXPECT_EQ(usage_error_of({"snapshot", "export"}), "snapshot export: --path is required");
    EXPECT_EQ(usage_error_of({"snapshot", "export", "--path", "p", "--as-group", "g"}),
              "snapshot export: --as-group needs --as (a user to impersonate)");
    EXPECT_EQ(usage_error_of({"snapshot", "export", "--path", "p", "--format", "k8s"}),
              "flag --format is not valid for \"snapshot export\"");
    EXPECT_EQ(usage_error_of({"snapshot", "save", "--path", "p", "--record"}),
              "flag --record is not valid for \"snapshot save\"");
    EXPECT_EQ(usage_error_of({"snapshot", "save", "--path", "p", "--speed", "2"}),
              "flag --speed is not valid for \"snapshot save\"");
    EXPECT_NE(usage_error_of({"snapshot", "restore", "--path", "p", "--speed", "0"})
                  .find("--speed: expected a number above 0"),
              std::string::npos);
    EXPECT_NE(usage_error_of({"snapshot", "export", "--path", "p", "--page-size", "0"})
                  .find("--page-size"),
              std::string::npos);
    for (const char* bad : {"0", "-1", "1000001", "ten"}) {
        const auto e = usage_error_of({"snapshot", "export", "--path", "p", "--page-buffer-size",
                                       bad});
        EXPECT_EQ(e, std::string("--page-buffer-size: expected an integer from 1 to 1000000, "
                                 "got \"") + bad + "\" (see ghostctl --help)");
    }
    EXPECT_EQ(usage_error_of({"snapshot", "export", "extra", "--path", "p"}),
              "unexpected argument \"extra\"");
}

// Two documents exactly as kwokctl v0.8.0's snapshot export --record wrote them.
const char* const kwokctl_patch = R"yaml(apiVersion: action.kwok.x-k8s.io/v1alpha1
durationNanosecond: 4067368361
kind: ResourcePatch
method: patch
resource:
  resource: configmaps
  version: v1
target:
  name: a
  namespace: rec
template:
  metadata:
    labels:
      x: "y"
    managedFields:
    - apiVersion: v1
      fieldsType: FieldsV1
      fieldsV1:
        f:data:
          .: {}
          f:v: {}
      manager: kubectl-create
      operation: Update
      time: "$(time-offset-nanosecond 1347584300)"
)yaml";
const char* const kwokctl_delete = R"(apiVersion: action.kwok.x-k8s.io/v1alpha1
durationNanosecond: 5128859563
kind: ResourcePatch
method: delete
resource:
  resource: configmaps
  version: v1
target:
  name: a
  namespace: rec
)";

TEST(resource_patch, reads_and_writes_kwokctls_documents) {
    auto doc = lang::yaml_to_json(kwokctl_patch).value().as_object();
    ASSERT_TRUE(is_resource_patch(doc));
    std::string error;
    auto p = decode_resource_patch(doc, &error);
    ASSERT_TRUE(p) << error;
    EXPECT_EQ(p->group, "");
    EXPECT_EQ(p->version, "v1");
    EXPECT_EQ(p->resource, "configmaps");
    EXPECT_EQ(p->name, "a");
    EXPECT_EQ(p->ns, "rec");
    EXPECT_EQ(p->offset, std::chrono::nanoseconds(4067368361));
    EXPECT_EQ(p->method, patch_method::patch);
    EXPECT_EQ(p->body.at("metadata").at("labels").at("x"), "y");
    EXPECT_EQ(json::value(encode_resource_patch(*p)), json::value(doc));

    auto del = lang::yaml_to_json(kwokctl_delete).value().as_object();
    p = decode_resource_patch(del, &error);
    ASSERT_TRUE(p) << error;
    EXPECT_EQ(p->method, patch_method::remove);
    EXPECT_TRUE(p->body.empty());
    // Byte for byte what kwokctl writes (no template, sorted keys).
    EXPECT_EQ(snapshot_document(encode_resource_patch(*p), true), kwokctl_delete);

    resource_patch create;
    create.group = "apps";
    create.version = "v1";
    create.resource = "deployments";
    create.name = "web";
    create.offset = 5ms;
    create.body = obj(R"({"kind":"Deployment"})");
    EXPECT_EQ(snapshot_document(encode_resource_patch(create), false),
              "---\napiVersion: action.kwok.x-k8s.io/v1alpha1\ndurationNanosecond: 5000000\n"
              "kind: ResourcePatch\nmethod: create\nresource:\n  group: apps\n"
              "  resource: deployments\n  version: v1\ntarget:\n  name: web\ntemplate:\n"
              "  kind: Deployment\n");
}

TEST(resource_patch, each_bad_field_is_named) {
    auto err = [](const char* text) {
        std::string e;
        auto p = decode_resource_patch(json::parse(text).as_object(), &e);
        return p ? std::string("accepted") : e;
    };
    const std::string ok_head =
        R"({"apiVersion":"action.kwok.x-k8s.io/v1alpha1","kind":"ResourcePatch",)";
    EXPECT_EQ(err((ok_head + R"("method":"delete"})").c_str()),
              "resource: expected a mapping with version and resource");
    EXPECT_EQ(err((ok_head + R"("resource":{"resource":"pods"},"method":"delete"})").c_str()),
              "resource.version: expected a non-empty string");
    EXPECT_EQ(
        err((ok_head + R"("resource":{"version":"v1","resource":"pods","group":3}})").c_str()),
        "resource.group: expected a string");
    const std::string res = R"("resource":{"version":"v1","resource":"pods"},)";
    EXPECT_EQ(err((ok_head + res + R"("method":"delete"})").c_str()),
              "target: expected a mapping with name (and namespace)");
    EXPECT_EQ(err((ok_head + res + R"("target":{"name":""},"method":"delete"})").c_str()),
              "target.name: expected a non-empty string");
    const std::string tgt = R"("target":{"name":"p"},)";
    EXPECT_EQ(err((ok_head + res + tgt + R"("durationNanosecond":1.5,"method":"delete"})").c_str()),
              "durationNanosecond: expected an integer (nanoseconds)");
    EXPECT_EQ(err((ok_head + res + tgt + R"("method":"replace"})").c_str()),
              "method: expected create, patch or delete, got \"replace\"");
    EXPECT_EQ(err((ok_head + res + tgt + R"("method":"patch"})").c_str()),
              "template: expected a mapping (the object or the patch) for method patch");
    EXPECT_EQ(err((ok_head + res + tgt + R"("method":"delete"})").c_str()), "accepted");
    EXPECT_FALSE(is_resource_patch(obj(R"({"apiVersion":"kwok.x-k8s.io/v1alpha1",
                                           "kind":"ResourcePatch"})")));
}

TEST(recording_times, offsets_from_the_start_as_kwok) {
    const auto base = at("2021-01-01T00:00:00Z");
    // kwok's own cases (pkg/kwokctl/recording/time_test.go).
    EXPECT_EQ(times_to_offsets("any xxx 2021-01-01T00:00:01Z any xxx", base),
              "any xxx $(time-offset-nanosecond 1000000000) any xxx");
    EXPECT_EQ(times_to_offsets("any xxx 2021-01-01T00:00:01.1Z any xxx", base),
              "any xxx $(time-offset-nanosecond 1100000000) any xxx");
    EXPECT_EQ(times_to_offsets("any xxx 2021-01-01T00:00:01.00000Z any xxx", base),
              "any xxx $(time-offset-nanosecond 1000000000) any xxx");
    EXPECT_EQ(offsets_to_times("any xxx $(time-offset-nanosecond 1000000000) any xxx", base),
              "any xxx 2021-01-01T00:00:01.000000Z any xxx");
    EXPECT_EQ(offsets_to_times("any xxx $(time-offset-nanosecond 1100000000) any xxx",
                               base + std::chrono::nanoseconds(1)),
              "any xxx 2021-01-01T00:00:01.100000Z any xxx");
    // Earlier times, numeric zones, quoted YAML; dates alone, impossible dates and broken
    // offsets stay as written.
    EXPECT_EQ(times_to_offsets("t: \"2020-12-31T23:59:59Z\"\nu: 2021-01-01T02:00:00+02:00", base),
              "t: \"$(time-offset-nanosecond -1000000000)\"\nu: $(time-offset-nanosecond 0)");
    for (const char* same : {"2021-01-01", "2021-13-01T00:00:00Z", "2021-01-01T00:00:00",
                             "x12021-01-01T00:00:0Z"}) {
        EXPECT_EQ(times_to_offsets(same, base), same);
    }
    EXPECT_EQ(offsets_to_times("$(time-offset-nanosecond -5000000)", base),
              "2020-12-31T23:59:59.995000Z");
    for (const char* same : {"$(time-offset-nanosecond x)", "$(time-offset-nanosecond 1",
                             "$(time-offset-nanosecond )", "no offsets here"}) {
        EXPECT_EQ(offsets_to_times(same, base), same);
    }
    EXPECT_EQ(offsets_to_times(times_to_offsets("a: 2021-06-01T10:00:00.25Z", base), base),
              "a: 2021-06-01T10:00:00.250000Z");
}

kube::api_resource configmaps() {
    kube::api_resource r;
    r.ref = {"", "v1", "configmaps", true};
    r.kind = "ConfigMap";
    return r;
}

TEST(resource_track, watch_events_become_create_patch_delete) {
    resource_track t(configmaps(), std::nullopt);
    auto listed = obj(R"({"metadata":{"name":"base","namespace":"rec","resourceVersion":"5"},
                          "data":{"v":"1"}})");
    t.remember(listed);
    EXPECT_EQ(listed.at("apiVersion"), "v1");   // saved as the snapshot has it
    EXPECT_FALSE(listed.at("metadata").as_object().contains("resourceVersion"));
    EXPECT_EQ(t.keys(), (std::vector<std::string>{"rec/base"}));

    std::string error;
    auto p = t.observe(kube::event_kind::modified,
                       obj(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"base",
                              "namespace":"rec","resourceVersion":"9"},"data":{"v":"2"}})"),
                       2s, &error);
    ASSERT_TRUE(p) << error;
    EXPECT_EQ(p->method, patch_method::patch);
    EXPECT_EQ(p->offset, 2s);
    EXPECT_EQ(p->name, "base");
    EXPECT_EQ(p->ns, "rec");
    EXPECT_EQ(p->resource, "configmaps");
    EXPECT_EQ(json::value(p->body), json::parse(R"({"data":{"v":"2"}})"));

    p = t.observe(kube::event_kind::added,
                  obj(R"({"metadata":{"name":"a","namespace":"rec","resourceVersion":"10"}})"),
                  3s, &error);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->method, patch_method::create);
    EXPECT_EQ(json::value(p->body),
              json::parse(R"({"metadata":{"name":"a","namespace":"rec"},"apiVersion":"v1",
                              "kind":"ConfigMap"})"));
    p = t.observe(kube::event_kind::deleted,
                  obj(R"({"metadata":{"name":"a","namespace":"rec"}})"), 4s, &error);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->method, patch_method::remove);
    EXPECT_EQ(t.keys(), (std::vector<std::string>{"rec/base"}));
    // Re-created: a create again, not a patch against what was deleted.
    p = t.observe(kube::event_kind::added, obj(R"({"metadata":{"name":"a","namespace":"rec"}})"),
                  5s, &error);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->method, patch_method::create);

    // A relist (after 410) reports only what changed meanwhile.
    EXPECT_FALSE(t.observe(kube::event_kind::sync,
                           obj(R"({"metadata":{"name":"base","namespace":"rec","resourceVersion":
                                  "20"},"data":{"v":"2"}})"),
                           6s, &error));
    EXPECT_TRUE(error.empty());
    p = t.observe(kube::event_kind::sync,
                  obj(R"({"metadata":{"name":"base","namespace":"rec"},"data":{"v":"3"}})"), 7s,
                  &error);
    ASSERT_TRUE(p);
    EXPECT_EQ(json::value(p->body), json::parse(R"({"data":{"v":"3"}})"));
}

TEST(resource_track, a_patch_that_cannot_be_computed_is_an_error_and_the_state_moves_on) {
    auto doc = std::make_shared<const json::value>(json::parse(R"({
      "paths": {"/api/v1/namespaces/{namespace}/configmaps/{name}": {"get": {"responses": {"200":
        {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/cm"}}}}}}}},
      "components": {"schemas": {"cm": {"type": "object", "properties": {"items": {
        "type": "array", "items": {"type": "object"},
        "x-kubernetes-patch-strategy": "merge", "x-kubernetes-patch-merge-key": "name"}}}}}})"));
    resource_track t(configmaps(), kube::patch_schema::for_resource(doc, "configmaps"));
    auto listed = obj(R"({"metadata":{"name":"c"},"items":[{"name":"x"}]})");
    t.remember(listed);
    std::string error;
    EXPECT_FALSE(t.observe(kube::event_kind::modified,
                           obj(R"({"metadata":{"name":"c"},"items":[{"id":"y"}]})"), 1s, &error));
    EXPECT_EQ(error, "items: an element has no merge key \"name\"");
    // The next patch is against the state that could not be diffed.
    auto p = t.observe(kube::event_kind::modified, obj(R"({"metadata":{"name":"c"},"k":1})"), 2s,
                       &error);
    ASSERT_TRUE(p);
    EXPECT_EQ(json::value(p->body), json::parse(R"({"items":null,"k":1})"));
}

struct replay_probe {
    engine::manual_scheduler clock;
    std::vector<std::pair<std::size_t, std::chrono::milliseconds>> applied;   // index, when
    std::vector<std::function<void()>> pending;   // done() of writes not finished yet
    bool finished = false;
    bool hold = false;                            // writes finish only when told

    replay_runner make(std::vector<std::chrono::nanoseconds> offsets, double speed) {
        return replay_runner(
            clock, std::move(offsets), speed,
            [this](std::size_t i, std::function<void()> done) {
                applied.emplace_back(i, std::chrono::duration_cast<std::chrono::milliseconds>(
                                            clock.now().time_since_epoch()));
                if (hold) pending.push_back(std::move(done));
                else done();
            },
            [this] { finished = true; });
    }
};

using applied_list = std::vector<std::pair<std::size_t, std::chrono::milliseconds>>;

TEST(replay_runner, documents_go_in_offset_order_at_their_offsets) {
    replay_probe r;
    auto runner = r.make({3s, 1s, 1s, 5s}, 1);
    runner.start();
    r.clock.advance(999ms);
    EXPECT_TRUE(r.applied.empty());   // never early
    for (int i = 0; i < 6000; ++i) r.clock.advance(1ms);
    EXPECT_EQ(r.applied, (applied_list{{1, 1000ms}, {2, 1000ms}, {0, 3000ms}, {3, 5000ms}}));
    EXPECT_TRUE(r.finished);
    EXPECT_EQ(runner.applied(), 4u);
}

TEST(replay_runner, speed_divides_the_offsets) {
    replay_probe r;
    auto runner = r.make({2s, 4s}, 2);
    runner.start();
    for (int i = 0; i < 3000; ++i) r.clock.advance(1ms);
    EXPECT_EQ(r.applied, (applied_list{{0, 1000ms}, {1, 2000ms}}));
}

TEST(replay_runner, a_slow_write_delays_the_next_but_the_schedule_keeps_its_start) {
    replay_probe r;
    r.hold = true;
    auto runner = r.make({1s, 2s, 5s}, 1);
    runner.start();
    r.clock.advance(1s);
    ASSERT_EQ(r.applied.size(), 1u);
    r.clock.advance(2500ms);   // 3.5 s: document 1 was due at 2 s, the first is still writing
    EXPECT_EQ(r.applied.size(), 1u);
    r.pending.back()();        // finishes at 3.5 s: the late one goes at the next tick
    r.clock.advance(1ms);
    ASSERT_EQ(r.applied.size(), 2u);
    EXPECT_EQ(r.applied[1], (std::pair<std::size_t, std::chrono::milliseconds>{1, 3501ms}));
    r.pending.back()();
    r.clock.advance(1498ms);   // 4.999 s: the third keeps its time (5 s)
    EXPECT_EQ(r.applied.size(), 2u);
    r.clock.advance(1ms);
    ASSERT_EQ(r.applied.size(), 3u);
    EXPECT_EQ(r.applied[2].second, 5000ms);
    EXPECT_FALSE(r.finished);
    r.pending.back()();
    EXPECT_TRUE(r.finished);
}

TEST(replay_runner, stop_lets_the_write_in_flight_finish_and_applies_nothing_more) {
    replay_probe r;
    r.hold = true;
    auto runner = r.make({1s, 2s}, 1);
    runner.start();
    r.clock.advance(1s);
    runner.stop();
    EXPECT_FALSE(r.finished);   // document 0 is still being written
    r.pending.back()();
    EXPECT_TRUE(r.finished);
    r.clock.advance(5s);
    EXPECT_EQ(r.applied.size(), 1u);

    replay_probe idle;
    auto empty = idle.make({}, 1);
    empty.start();
    EXPECT_TRUE(idle.finished);
}

TEST(replay_requests, status_deletion_and_binding_are_split_out) {
    auto r = split_recorded_patch(
        obj(R"({"metadata":{"deletionTimestamp":"2021-01-01T00:00:00.000000Z",
                "deletionGracePeriodSeconds":30},"status":{"phase":"Running"},
                "spec":{"nodeName":"n1"}})"),
        true, true);
    EXPECT_TRUE(r.main.empty()) << json::serialize(r.main);
    EXPECT_EQ(json::value(r.status), json::parse(R"({"status":{"phase":"Running"}})"));
    EXPECT_TRUE(r.delete_after);
    EXPECT_EQ(r.grace_seconds, 30);
    EXPECT_EQ(r.bind_to, "n1");

    // Without a status subresource the status stays in the object's patch; nodeName is only a
    // binding for pods; other metadata stays.
    r = split_recorded_patch(obj(R"({"metadata":{"labels":{"a":"b"}},"status":{"x":1},
                                     "spec":{"nodeName":"n1","x":2}})"),
                             false, false);
    EXPECT_EQ(json::value(r.main),
              json::parse(R"({"metadata":{"labels":{"a":"b"}},"status":{"x":1},
                              "spec":{"nodeName":"n1","x":2}})"));
    EXPECT_TRUE(r.status.empty());
    EXPECT_FALSE(r.delete_after);
    EXPECT_TRUE(r.bind_to.empty());
}

TEST(replay_requests, owner_uids_are_relinked_in_objects_and_patches) {
    std::map<std::string, std::string, std::less<>> uids{{"old-rs", "new-rs"}};
    auto lookup = [&](std::string_view old) -> const std::string* {
        auto it = uids.find(old);
        return it == uids.end() ? nullptr : &it->second;
    };
    auto patch = obj(R"({"metadata":{"ownerReferences":[{"uid":"old-rs","name":"rs"},
        {"$patch":"delete","uid":"other"}],
        "$setElementOrder/ownerReferences":[{"uid":"old-rs"}]}})");
    relink_owner_uids(patch, lookup);
    EXPECT_EQ(json::value(patch),
              json::parse(R"({"metadata":{"ownerReferences":[{"uid":"new-rs","name":"rs"},
        {"$patch":"delete","uid":"other"}],
        "$setElementOrder/ownerReferences":[{"uid":"new-rs"}]}})"));
}

TEST(snapshot_files, gzip_for_gz_paths_both_ways_and_parts_are_removed) {
    const auto dir = fs::temp_directory_path() / ("ghost-rec-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n";
    for (const char* name : {"s.yaml.gz", "s.tgz", "s.yaml"}) {
        const auto path = (dir / name).string();
        {
            snapshot_output out(path);
            out.write(text);
            out.flush();
            out.write(text);
            EXPECT_TRUE(fs::exists(path + ".part"));
            EXPECT_FALSE(fs::exists(path));
            out.commit();
        }
        EXPECT_FALSE(fs::exists(path + ".part"));
        std::ifstream raw(path, std::ios::binary);
        const bool gz = raw.get() == 0x1f && raw.get() == 0x8b;
        EXPECT_EQ(gz, gzip_path(name)) << name;
        EXPECT_EQ(read_snapshot_file(path, "snapshot restore"), text + text) << name;
    }
    {
        snapshot_output abandoned((dir / "gone.yaml").string());
        abandoned.write(text);
    }
    EXPECT_FALSE(fs::exists(dir / "gone.yaml.part"));
    EXPECT_FALSE(fs::exists(dir / "gone.yaml"));
    // A .gz that is plain text is read as it is (kwok checks the magic); a broken one is one line.
    std::ofstream(dir / "plain.gz") << text;
    EXPECT_EQ(read_snapshot_file((dir / "plain.gz").string(), "r"), text);
    std::ofstream(dir / "cut.gz", std::ios::binary) << std::string("\x1f\x8b\x08\x00garbage", 11);
    try {
        read_snapshot_file((dir / "cut.gz").string(), "snapshot restore");
        ADD_FAILURE() << "no error";
    } catch (const snapshot_input_error& e) {
        EXPECT_EQ(std::string(e.what()).rfind("snapshot restore: " + (dir / "cut.gz").string() +
                                                  ": corrupt gzip: ",
                                              0),
                  0u)
            << e.what();
    }
    fs::remove_all(dir);
}

}  // namespace
}  // namespace ghost::ghostctl

// CEL evaluation over pod-sized JSON documents bound by reference. Each benchmark reports
// allocs/op: global operator new is counted in this file.

#include <benchmark/benchmark.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <cstdlib>

#include "lang/cel.hpp"
#include "ghost_testing/allocation_counter.hpp"


namespace {

namespace cel = ghost::lang::cel;

constexpr const char* pod_text = R"({
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {
    "name": "web-7d9f8b6c5d-x2k4p",
    "namespace": "default",
    "uid": "6f1c2a34-9b7e-4d2a-8c1f-3e5d7a9b0c12",
    "resourceVersion": "123456",
    "creationTimestamp": "2024-05-01T10:00:00Z",
    "labels": {"app": "web", "pod-template-hash": "7d9f8b6c5d", "tier": "frontend",
               "version": "v1.2.3"},
    "annotations": {"kwok.x-k8s.io/node": "fake", "prometheus.io/scrape": "true",
                    "prometheus.io/port": "9090",
                    "kubectl.kubernetes.io/restartedAt": "2024-05-01T09:59:00Z"},
    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                         "name": "web-7d9f8b6c5d", "uid": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
                         "controller": true, "blockOwnerDeletion": true}]
  },
  "spec": {
    "nodeName": "kwok-node-0",
    "restartPolicy": "Always",
    "terminationGracePeriodSeconds": 30,
    "dnsPolicy": "ClusterFirst",
    "serviceAccountName": "default",
    "containers": [
      {"name": "web", "image": "nginx:1.25", "imagePullPolicy": "IfNotPresent",
       "ports": [{"containerPort": 80, "protocol": "TCP"}],
       "env": [{"name": "MODE", "value": "production"}, {"name": "LOG_LEVEL", "value": "info"}],
       "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                     "limits": {"cpu": "500m", "memory": "256Mi"}},
       "volumeMounts": [{"name": "kube-api-access", "mountPath": "/var/run/secrets",
                         "readOnly": true}]},
      {"name": "sidecar", "image": "envoy:1.29", "imagePullPolicy": "IfNotPresent",
       "ports": [{"containerPort": 9090, "protocol": "TCP"}],
       "resources": {"requests": {"cpu": "50m", "memory": "64Mi"},
                     "limits": {"cpu": "200m", "memory": "128Mi"}}}
    ],
    "tolerations": [{"key": "kwok.x-k8s.io/node", "operator": "Exists", "effect": "NoSchedule"},
                    {"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                     "effect": "NoExecute", "tolerationSeconds": 300}],
    "volumes": [{"name": "kube-api-access", "projected": {"defaultMode": 420}}]
  },
  "status": {
    "phase": "Running",
    "hostIP": "10.0.0.1",
    "podIP": "10.244.0.17",
    "qosClass": "Burstable",
    "startTime": "2024-05-01T10:00:01Z",
    "conditions": [
      {"type": "Initialized", "status": "True", "lastTransitionTime": "2024-05-01T10:00:01Z"},
      {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2024-05-01T10:00:00Z"},
      {"type": "ContainersReady", "status": "True", "lastTransitionTime": "2024-05-01T10:00:05Z"},
      {"type": "Ready", "status": "True", "lastTransitionTime": "2024-05-01T10:00:05Z"}
    ],
    "containerStatuses": [
      {"name": "web", "ready": true, "restartCount": 0, "image": "nginx:1.25",
       "imageID": "docker-pullable://nginx@sha256:0123456789abcdef", "started": true,
       "containerID": "containerd://abcdef0123456789",
       "state": {"running": {"startedAt": "2024-05-01T10:00:03Z"}}},
      {"name": "sidecar", "ready": true, "restartCount": 1, "image": "envoy:1.29",
       "imageID": "docker-pullable://envoy@sha256:fedcba9876543210", "started": true,
       "containerID": "containerd://0123456789abcdef",
       "state": {"running": {"startedAt": "2024-05-01T10:00:04Z"}}}
    ]
  }
})";

constexpr const char* pvc_text = R"({
  "apiVersion": "v1", "kind": "PersistentVolume",
  "metadata": {"name": "pv-0001", "labels": {"type": "local"}},
  "spec": {"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"],
           "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "standard",
           "claimRef": {"kind": "PersistentVolumeClaim", "namespace": "default",
                        "name": "data-web-0", "uid": "0f0e0d0c-0b0a-0908-0706-050403020100"},
           "hostPath": {"path": "/mnt/data"}},
  "status": {"phase": "Bound"}
})";

const boost::json::value& pod() {
    static const boost::json::value v = boost::json::parse(pod_text);
    return v;
}

const boost::json::value& pvc() {
    static const boost::json::value v = boost::json::parse(pvc_text);
    return v;
}

cel::program compile_or_die(const char* text) {
    cel::environment env;
    env.declare_variable("self");
    std::string error;
    auto p = cel::program::compile(text, env, &error);
    if (!p) {
        std::fprintf(stderr, "compile failed: %s\n", error.c_str());
        std::abort();
    }
    return *p;
}

void run_eval(benchmark::State& state, const char* text, const boost::json::value& doc,
              bool expected) {
    const cel::program prog = compile_or_die(text);
    cel::activation vars;
    vars.bind_json("self", doc);
    {
        const cel::value v = prog.evaluate(vars);
        if (!v.is(cel::kind::bool_) || v.as_bool() != expected) {
            state.SkipWithError("unexpected result");
            return;
        }
    }
    const std::size_t before = ghost::testing::allocations_so_far();
    for (auto _ : state) {
        cel::value v = prog.evaluate(vars);
        benchmark::DoNotOptimize(v);
    }
    state.counters["allocs/op"] = benchmark::Counter(
        static_cast<double>(ghost::testing::allocations_so_far() - before) / static_cast<double>(state.iterations()));
}

void BM_cel_phase_ne_bound(benchmark::State& state) {
    run_eval(state, "self.status.phase != 'Bound'", pod(), true);
}
BENCHMARK(BM_cel_phase_ne_bound);

void BM_cel_has_claim_ref_name(benchmark::State& state) {
    run_eval(state, "has(self.spec.claimRef.name)", pvc(), true);
}
BENCHMARK(BM_cel_has_claim_ref_name);

void BM_cel_phase_not_in_list(benchmark::State& state) {
    run_eval(state, "!(self.status.phase in ['Bound', 'Failed'])", pod(), true);
}
BENCHMARK(BM_cel_phase_not_in_list);

void BM_cel_conditions_exists(benchmark::State& state) {
    run_eval(state, "self.status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')",
             pod(), true);
}
BENCHMARK(BM_cel_conditions_exists);

void BM_cel_container_statuses_all(benchmark::State& state) {
    run_eval(state,
             "self.status.containerStatuses.all(s, s.ready) && "
             "self.metadata.labels['app'] == 'web' && size(self.spec.containers) == 2",
             pod(), true);
}
BENCHMARK(BM_cel_container_statuses_all);

void BM_cel_compile_typical(benchmark::State& state) {
    cel::environment env;
    env.declare_variable("self");
    const char* text =
        "has(self.metadata.deletionTimestamp) || "
        "self.status.conditions.exists(c, c.type == 'Ready' && c.status != 'True')";
    for (auto _ : state) {
        auto p = cel::program::compile(text, env);
        benchmark::DoNotOptimize(p);
    }
}
BENCHMARK(BM_cel_compile_typical);

}  // namespace

#include "bench/fixtures.hpp"

#include <cstdio>

namespace ghost::bench {
namespace {

std::string fmt(const char* pattern, int index) {
    std::string out;
    std::string p(pattern);
    std::string idx = std::to_string(index);
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (p.compare(i, 5, "{IDX}") == 0) {
            out += idx;
            i += 4;
        } else {
            out += p[i];
        }
    }
    return out;
}

}  // namespace

std::string pod_json(int index, const char* phase) {
    std::string s = fmt(R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"fake-pods-7c9d8f6b5-x{IDX}","generateName":"fake-pods-7c9d8f6b5-","namespace":"default","uid":"0b0c6a0e-1f6e-4c37-9a51-{IDX}","resourceVersion":"1{IDX}","creationTimestamp":"2026-11-23T19:00:00Z","labels":{"app":"fake-pods","pod-template-hash":"7c9d8f6b5"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"fake-pods-7c9d8f6b5","uid":"5e1f2d3c-4b5a-6978-8f9e-0a1b2c3d4e5f","controller":true,"blockOwnerDeletion":true}],"managedFields":[{"manager":"kube-controller-manager","operation":"Update","apiVersion":"v1","time":"2026-11-23T19:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:generateName":{},"f:labels":{".":{},"f:app":{},"f:pod-template-hash":{}},"f:ownerReferences":{".":{},"k:{\"uid\":\"5e1f2d3c-4b5a-6978-8f9e-0a1b2c3d4e5f\"}":{}}},"f:spec":{"f:affinity":{".":{},"f:nodeAffinity":{".":{},"f:requiredDuringSchedulingIgnoredDuringExecution":{}}},"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:resources":{},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{}}},"f:dnsPolicy":{},"f:enableServiceLinks":{},"f:restartPolicy":{},"f:schedulerName":{},"f:securityContext":{},"f:terminationGracePeriodSeconds":{},"f:tolerations":{}}}},{"manager":"kube-scheduler","operation":"Update","apiVersion":"v1","time":"2026-11-23T19:00:01Z","fieldsType":"FieldsV1","fieldsV1":{"f:status":{"f:conditions":{".":{},"k:{\"type\":\"PodScheduled\"}":{".":{},"f:lastProbeTime":{},"f:lastTransitionTime":{},"f:status":{},"f:type":{}}}}},"subresource":"status"}]},"spec":{"volumes":[{"name":"kube-api-access-x{IDX}","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},{"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}],"defaultMode":420}}],"containers":[{"name":"app","image":"fake-image","resources":{},"volumeMounts":[{"name":"kube-api-access-x{IDX}","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"Always"}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"default","serviceAccount":"default","nodeName":"node-000{IDX}","securityContext":{},"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"type","operator":"In","values":["kwok"]}]}]}}},"schedulerName":"default-scheduler","tolerations":[{"key":"kwok.x-k8s.io/node","operator":"Exists","effect":"NoSchedule"},{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300},{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],"priority":0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"},"status":{"phase":"PHASE","conditions":[{"type":"PodScheduled","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-23T19:00:01Z"}],"qosClass":"BestEffort"}})", index);
    auto at = s.find("PHASE");
    s.replace(at, 5, phase);
    return s;
}

std::string node_json(int index) {
    return fmt(R"({"kind":"Node","apiVersion":"v1","metadata":{"name":"node-000{IDX}","uid":"7d3c2b1a-0f9e-8d7c-6b5a-{IDX}","resourceVersion":"2{IDX}","creationTimestamp":"2026-11-23T19:00:00Z","labels":{"beta.kubernetes.io/arch":"amd64","beta.kubernetes.io/os":"linux","kubernetes.io/arch":"amd64","kubernetes.io/hostname":"node-000{IDX}","kubernetes.io/os":"linux","kubernetes.io/role":"agent","node-role.kubernetes.io/agent":"","type":"kwok","kwok.x-k8s.io/kwokctl-scale":"node"},"annotations":{"kwok.x-k8s.io/node":"fake","metrics.k8s.io/resource-metrics-path":"/metrics/nodes/node-000{IDX}/metrics/resource","node.alpha.kubernetes.io/ttl":"0"},"managedFields":[{"manager":"ghostctl","operation":"Update","apiVersion":"v1","time":"2026-11-23T19:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:annotations":{}}}}]},"spec":{"podCIDR":"10.0.{IDX}.0/24","podCIDRs":["10.0.{IDX}.0/24","fd00:0:0:{IDX}::/64"],"taints":[{"key":"kwok.x-k8s.io/node","value":"fake","effect":"NoSchedule"}]},"status":{"capacity":{"cpu":"32","memory":"256Gi","pods":"110"},"allocatable":{"cpu":"32","memory":"256Gi","pods":"110"},"conditions":[{"type":"Ready","status":"True","lastHeartbeatTime":"2026-11-23T19:00:01Z","lastTransitionTime":"2026-11-23T19:00:00Z","reason":"KubeletReady","message":"kubelet is posting ready status"},{"type":"MemoryPressure","status":"False","lastHeartbeatTime":"2026-11-23T19:00:01Z","lastTransitionTime":"2026-11-23T19:00:00Z","reason":"KubeletHasSufficientMemory","message":"kubelet has sufficient memory available"},{"type":"DiskPressure","status":"False","lastHeartbeatTime":"2026-11-23T19:00:01Z","lastTransitionTime":"2026-11-23T19:00:00Z","reason":"KubeletHasNoDiskPressure","message":"kubelet has no disk pressure"},{"type":"PIDPressure","status":"False","lastHeartbeatTime":"2026-11-23T19:00:01Z","lastTransitionTime":"2026-11-23T19:00:00Z","reason":"KubeletHasSufficientPID","message":"kubelet has sufficient PID available"},{"type":"NetworkUnavailable","status":"False","lastHeartbeatTime":"2026-11-23T19:00:01Z","lastTransitionTime":"2026-11-23T19:00:00Z","reason":"RouteCreated","message":"RouteController created a route"}],"addresses":[{"type":"InternalIP","address":"192.0.2.{IDX}"},{"type":"InternalIP","address":"2001:db8::{IDX}"}],"daemonEndpoints":{"kubeletEndpoint":{"Port":0}},"nodeInfo":{"machineID":"","systemUUID":"","bootID":"","kernelVersion":"kwok-v0.1.0","osImage":"","containerRuntimeVersion":"kwok-v0.1.0","kubeletVersion":"kwok-v0.1.0","kubeProxyVersion":"kwok-v0.1.0","operatingSystem":"linux","architecture":"amd64"},"phase":"Running"}})", index);
}

std::string lease_json(int index) {
    return fmt(R"({"kind":"Lease","apiVersion":"coordination.k8s.io/v1","metadata":{"name":"node-000{IDX}","namespace":"kube-node-lease","uid":"1a2b3c4d-5e6f-7a8b-9c0d-{IDX}","resourceVersion":"3{IDX}","creationTimestamp":"2026-11-23T19:00:00Z","ownerReferences":[{"apiVersion":"v1","kind":"Node","name":"node-000{IDX}","uid":"7d3c2b1a-0f9e-8d7c-6b5a-{IDX}"}]},"spec":{"holderIdentity":"host-ghostlet","leaseDurationSeconds":40,"renewTime":"2026-11-23T19:00:10.123456Z","leaseTransitions":0}})", index);
}

std::string watch_line(const std::string& type, const std::string& object) {
    return R"({"type":")" + type + R"(","object":)" + object + "}\n";
}

}  // namespace ghost::bench

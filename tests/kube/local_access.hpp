#pragma once
// Cluster access to a loopback test server (plain HTTP), for the kube tests.

#include "kube/kubeconfig.hpp"

#include "ghost_testing/loopback_http_server.hpp"

#include <string>

namespace ghost::kube::test_support {

inline cluster_access local_access(const ghost::testing::loopback_http_server& s,
                                   std::string bearer_token = {}) {
    cluster_access a;
    a.ep = {"127.0.0.1", s.port(), false};
    a.bearer_token = std::move(bearer_token);
    return a;
}

}  // namespace ghost::kube::test_support

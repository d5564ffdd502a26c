#include "apps/ghostctl/pki.hpp"

#include "engine/tls_certs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ghost::ghostctl {

std::vector<std::string> apiserver_sans() {
    return {"IP:127.0.0.1",          "IP:::1",
            "IP:10.96.0.1",          "DNS:localhost",
            "DNS:kubernetes",        "DNS:kubernetes.default",
            "DNS:kubernetes.default.svc", "DNS:kubernetes.default.svc.cluster.local"};
}

cluster_pki generate_pki() {
    using engine::issue_certificate;
    cluster_pki out;
    // Only the CA gets a slow RSA key; leaves and the service-account key are ECDSA P-256.
    out.ca = issue_certificate({"ghost-ca", {}, true, {}, {}, engine::key_type::rsa_2048});
    out.apiserver = issue_certificate({"kube-apiserver", {}, false, {"serverAuth"}, apiserver_sans()},
                                      &out.ca);
    out.admin = issue_certificate({admin_user, {admin_group}, false, {"clientAuth"}, {}},
                                  &out.ca);
    out.front_proxy = issue_certificate({"front-proxy-client", {}, false, {"clientAuth"}, {}},
                                        &out.ca);
    auto sa = engine::generate_key_pair();
    out.sa_key_pem = sa.private_pem;
    out.sa_pub_pem = sa.public_pem;
    return out;
}

void write_file(const std::filesystem::path& path, const std::string& text, unsigned mode) {
    auto tmp = path;
    tmp += ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        throw std::runtime_error("cannot write " + tmp.string() + ": " + std::strerror(errno));
    }
    ::fchmod(fd, mode);
    std::size_t off = 0;
    while (off < text.size()) {
        ssize_t n = ::write(fd, text.data() + off, text.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            ::close(fd);
            throw std::runtime_error("cannot write " + tmp.string() + ": " + std::strerror(e));
        }
        off += static_cast<std::size_t>(n);
    }
    ::close(fd);
    std::filesystem::rename(tmp, path);
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::ostringstream os;
    os << in.rdbuf();
    return os.str();
}

void write_pki(const cluster_pki& p, const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    write_file(dir / "ca.crt", p.ca.cert_pem);
    write_file(dir / "ca.key", p.ca.key_pem, 0600);
    write_file(dir / "apiserver.crt", p.apiserver.cert_pem);
    write_file(dir / "apiserver.key", p.apiserver.key_pem, 0600);
    write_file(dir / "admin.crt", p.admin.cert_pem);
    write_file(dir / "admin.key", p.admin.key_pem, 0600);
    write_file(dir / "front-proxy-client.crt", p.front_proxy.cert_pem);
    write_file(dir / "front-proxy-client.key", p.front_proxy.key_pem, 0600);
    write_file(dir / "sa.key", p.sa_key_pem, 0600);
    write_file(dir / "sa.pub", p.sa_pub_pem);
}

cluster_pki read_pki(const std::filesystem::path& dir) {
    cluster_pki p;
    p.ca = {read_file(dir / "ca.crt"), read_file(dir / "ca.key")};
    p.apiserver = {read_file(dir / "apiserver.crt"), read_file(dir / "apiserver.key")};
    p.admin = {read_file(dir / "admin.crt"), read_file(dir / "admin.key")};
    p.front_proxy = {read_file(dir / "front-proxy-client.crt"),
                     read_file(dir / "front-proxy-client.key")};
    p.sa_key_pem = read_file(dir / "sa.key");
    p.sa_pub_pem = read_file(dir / "sa.pub");
    // Cheap sanity check so a truncated file is reported here, not by a component later.
    try {
        engine::check_certificate_pem(p.ca.cert_pem);
        engine::check_private_key_pem(p.ca.key_pem);
    } catch (const std::exception& e) {
        throw std::runtime_error((dir / "ca.crt").string() + " / ca.key: " + e.what());
    }
    return p;
}

}  // namespace ghost::ghostctl

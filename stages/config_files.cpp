#include "stages/config_files.hpp"

#include "lang/yaml_documents.hpp"
#include "stages/stage.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

namespace ghost::stages {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
        throw stage_error(p.string() + ": cannot open config file: " + std::strerror(errno));
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) throw stage_error(p.string() + ": cannot read config file");
    return ss.str();
}

bool is_yaml(const fs::path& p) { return p.extension() == ".yaml" || p.extension() == ".yml"; }

bool is_remote(const std::string& r) {
    return r.find("://") != std::string::npos || r.rfind("github.com/", 0) == 0 ||
           r.rfind("git@", 0) == 0;
}

void read_any(const fs::path& p, std::vector<config_source>& out, std::set<fs::path>& seen);

fs::path kustomization_of(const fs::path& dir) {
    for (const char* name : {"kustomization.yaml", "kustomization.yml", "Kustomization"}) {
        std::error_code ec;
        if (fs::is_regular_file(dir / name, ec)) return dir / name;
    }
    return {};
}

void read_kustomization(const fs::path& file, std::vector<config_source>& out,
                        std::set<fs::path>& seen) {
    YAML::Node doc;
    try {
        doc = YAML::Load(read_file(file));
    } catch (const YAML::Exception& e) {
        throw stage_error(file.string() + ": invalid YAML: " + e.what());
    }
    if (!doc.IsMap()) throw stage_error(file.string() + ": expected a Kustomization mapping");
    for (auto it = doc.begin(); it != doc.end(); ++it) {
        auto key_text = lang::map_key(it->first);
        if (!key_text) throw stage_error(file.string() + ": expected string keys");
        std::string key = std::move(*key_text);
        if (key != "apiVersion" && key != "kind" && key != "resources" && key != "bases" &&
            key != "metadata") {
            throw stage_error(file.string() + ": " + key +
                              ": not supported (ghostlet reads only the resources list of a "
                              "Kustomization)");
        }
    }
    for (const char* field : {"resources", "bases"}) {
        auto list = doc[field];
        if (!list || list.IsNull()) continue;
        if (!list.IsSequence()) {
            throw stage_error(file.string() + ": " + field + ": expected a list of paths");
        }
        for (std::size_t i = 0; i < list.size(); ++i) {
            std::string where = file.string() + ": " + field + "[" + std::to_string(i) + "]";
            if (!list[i].IsScalar()) throw stage_error(where + ": expected a path");
            auto r = list[i].Scalar();
            if (is_remote(r)) {
                throw stage_error(where + ": remote resource \"" + r +
                                  "\" is not supported (only local files and directories)");
            }
            auto p = file.parent_path() / r;
            std::error_code ec;
            if (!fs::exists(p, ec)) {
                throw stage_error(where + ": \"" + r + "\": no such file or directory (" +
                                  p.string() + ")");
            }
            read_any(p, out, seen);
        }
    }
}

void read_directory(const fs::path& dir, std::vector<config_source>& out,
                    std::set<fs::path>& seen) {
    if (auto k = kustomization_of(dir); !k.empty()) {
        read_kustomization(k, out, seen);
        return;
    }
    std::vector<fs::path> files;
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) {
        throw stage_error(dir.string() + ": cannot read config directory: " + ec.message());
    }
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        if (ec) break;
        std::error_code fec;
        if (is_yaml(it->path()) && fs::is_regular_file(it->path(), fec)) {
            files.push_back(it->path());
        }
    }
    if (ec) throw stage_error(dir.string() + ": cannot read config directory: " + ec.message());
    if (files.empty()) {
        throw stage_error(dir.string() +
                          ": config directory has no *.yaml or *.yml files and no "
                          "kustomization.yaml");
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) out.push_back({f.string(), read_file(f)});
}

void read_any(const fs::path& p, std::vector<config_source>& out, std::set<fs::path>& seen) {
    std::error_code ec;
    auto status = fs::status(p, ec);
    if (ec || !fs::exists(status)) {
        throw stage_error(p.string() + ": cannot open config path: no such file or directory");
    }
    if (fs::is_directory(status)) {
        auto canonical = fs::weakly_canonical(p, ec);
        if (!seen.insert(ec ? p : canonical).second) {
            throw stage_error(p.string() + ": kustomization resources form a cycle");
        }
        read_directory(p, out, seen);
        return;
    }
    out.push_back({p.string(), read_file(p)});
}

}  // namespace

std::string expand_home(const std::string& path) {
    if (path.empty() || path[0] != '~' || (path.size() > 1 && path[1] != '/')) return path;
    const char* home = std::getenv("HOME");
    if (!home || !*home) return path;
    return std::string(home) + path.substr(1);
}

std::vector<config_source> read_config_path(const std::string& path, std::istream& in) {
    if (path.empty()) throw stage_error("--config: empty path");
    if (path == "-") {
        std::ostringstream ss;
        ss << in.rdbuf();
        return {{"<stdin>", ss.str()}};
    }
    std::vector<config_source> out;
    std::set<fs::path> seen;
    read_any(expand_home(path), out, seen);
    return out;
}

std::vector<config_source> read_config_path(const std::string& path) {
    return read_config_path(path, std::cin);
}

}  // namespace ghost::stages

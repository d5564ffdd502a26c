#pragma once
// What one --config path stands for, as kwok's `-c/--config`: "-" is stdin, a file is read as
// is, a directory contributes either the resources its kustomization.yaml lists (files and
// subdirectories, recursively) or, without one, its *.yaml / *.yml files in name order.
// Only `resources` (and the deprecated `bases`) of a Kustomization are read; remote resources
// and transformations (patches, namePrefix, ...) are refused rather than ignored.

#include <iosfwd>
#include <string>
#include <vector>

namespace ghost::stages {

/// One file's text and the name messages use for it.
struct config_source {
    std::string name;
    std::string text;
};

/// "~" or "~/..." -> $HOME/...; other paths unchanged.
std::string expand_home(const std::string& path);

/// The files one --config path stands for, in load order. Throws stage_error with one line
/// naming the path: missing, unreadable, a directory without YAML files, a remote or missing
/// kustomize resource, an unsupported Kustomization field.
std::vector<config_source> read_config_path(const std::string& path, std::istream& stdin_stream);
std::vector<config_source> read_config_path(const std::string& path);

}  // namespace ghost::stages

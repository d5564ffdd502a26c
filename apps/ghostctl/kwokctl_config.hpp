#pragma once
// `ghostctl create cluster -c FILE`: kwokctl's configuration documents (paths read as ghostlet's
// --config, stages/config_files). KwokctlConfiguration `options` become ghostctl's create flags
// (a flag given on the command line wins), `componentsPatches` the components' extra args and
// environment; KwokctlResource documents are read for scale; KwokConfiguration, Stage, Metric,
// ... go to the cluster's ghostlet in one --config file, with the default stages the flags
// imply (the node heartbeat stretched by the heartbeat factor, as kwokctl writes its kwok.yaml).

#include "apps/ghostctl/components.hpp"
#include "apps/ghostctl/options.hpp"
#include "apps/ghostctl/scale_template.hpp"

#include <boost/json/value.hpp>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace ghost::ghostctl {

// Bad input in a -c document: one line naming the file, the document and the field.
struct config_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A KwokctlResource (config.kwok.x-k8s.io/v1alpha1): what `scale <name>` makes.
struct kwokctl_resource {
    std::string name;        ///< metadata.name: the word after `scale`
    std::string where;       ///< "file (document N)", for messages
    boost::json::value parameters = boost::json::object();  ///< `.` of the template
    std::shared_ptr<const scale_template> tpl;               ///< compiled at load
    std::string yaml;        ///< the document as read, for the cluster's ghostlet.yaml
};

struct kwokctl_documents {
    struct option {
        std::string where;  ///< "cfg.yaml (document 1): options.heartbeatFactor"
        std::string flag;   ///< ghostctl flag it sets
        std::string value;  ///< as the flag would take it
    };
    std::vector<option> options;             ///< in the order they are applied
    std::vector<component_patch> patches;
    std::vector<std::string> ghostlet_documents;  ///< KwokConfiguration, Stage, Metric, ... (YAML)
    std::vector<std::string> ghostlet_kinds;      ///< the kind of each of those
    std::vector<kwokctl_resource> resources;      ///< in the order read (a later one wins)
    bool node_stages = false;                     ///< a Stage for v1 Node was given
    bool pod_stages = false;
    bool metric = false;
    bool cluster_resource_usage = false;
    std::vector<std::string> warnings;            ///< options ghostctl does not use, by name
};

// Reads the -c paths (files, directories, "-"). Throws config_error.
kwokctl_documents read_kwokctl_documents(const std::vector<std::string>& paths);

// kwokctl's default configuration file: `default_path` (ghostctl: <workdir>/ghost.yaml) goes
// first when it exists and is not among `paths` already; named in `paths` but missing, it is
// dropped (kwokctl's loadConfig).
std::vector<std::string> with_default_config(const std::vector<std::string>& paths,
                                             const std::filesystem::path& default_path);

// The last KwokctlResource named `name` (so -c beats ghost.yaml), or nullptr.
const kwokctl_resource* find_resource(const std::vector<kwokctl_resource>& resources,
                                      const std::string& name);

// Applies the documents' options to cmd.create, skipping flags in cmd.changed_flags, and
// appends their componentsPatches. Throws config_error naming the option.
void apply_kwokctl_options(command& cmd, const kwokctl_documents& docs);

// ghostlet's --config file: the user's documents, then for Node and Pod without a Stage of the
// user's the default stages (node-heartbeat[-with-lease] delays at least the node status
// update frequency, jitter at least 1.1x, as kwokctl's getDefaultNodeStages), the metrics
// defaults with metrics-server, and the effective KwokctlConfiguration plus KwokctlResources
// (ghostlet skips those kinds). `o` has the heartbeat factor applied already.
// Documents of a kind served as a custom resource (--enable-crds) are left out, as kwokctl
// leaves them out of kwok.yaml; each is named in `warnings` when given.
std::string ghostlet_config_text(const create_options& o, const kwokctl_documents& docs,
                                 bool metrics_server,
                                 std::vector<std::string>* warnings = nullptr);

// kwokctl's componentsPatches on one component: extraArgs appended as --key=value, or with
// override replacing the last --key=... (a warning into `warnings` when there is none);
// extraEnvs added to its environment.
void apply_component_patch(component& c, const component_patch& p,
                           std::vector<std::string>& warnings);

// Go's time.Duration.String for a whole number of milliseconds: 12.5s, 1m40s, 500ms
// (kwokctl prints kube-controller-manager's node monitor periods this way).
std::string go_duration_string(std::int64_t ms);

// The node heartbeat stage's (duration, jitter) in milliseconds for a default and an update
// frequency, kwokctl's rule.
std::pair<std::int64_t, std::int64_t> stretched_heartbeat(std::int64_t duration_ms,
                                                          std::int64_t jitter_ms,
                                                          std::int64_t update_frequency_ms);

}  // namespace ghost::ghostctl

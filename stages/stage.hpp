#pragma once
// Stage documents (kwok.x-k8s.io/v1alpha1 Stage): parsed, validated and compiled at load time.
// Validation problems throw stage_error with a one-line message naming the file, the stage,
// the field path and what was expected.

#include "lang/cel.hpp"
#include "kube/patch.hpp"
#include "lang/gotpl.hpp"
#include "lang/jq.hpp"

#include <boost/json/value.hpp>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ghost::stages {

class stage_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// ExpressionFrom: `cel.expression`, `jq.expression` or the legacy `expressionFrom` (jq). kwok
// evaluates CEL when both are given.
struct expression_from {
    std::optional<lang::jq_program> jq;
    std::optional<lang::cel::program> cel;
};

// One requirement: a jq key with an operator, or a CEL expression that must yield a bool.
struct match_expression {
    enum class operator_kind { in, not_in, exists, does_not_exist };
    std::string key;  // the jq text, or the CEL expression
    lang::jq_program program;
    std::optional<lang::cel::program> cel;
    operator_kind op = operator_kind::in;
    std::vector<std::string> values;
};

struct stage_selector {
    std::optional<std::map<std::string, std::string>> match_labels;
    std::optional<std::map<std::string, std::string>> match_annotations;
    std::vector<match_expression> match_expressions;
};

struct stage_delay {
    std::optional<std::int64_t> duration_ms;
    std::optional<expression_from> duration_from;
    std::optional<std::int64_t> jitter_ms;
    std::optional<expression_from> jitter_from;
};

struct stage_event {
    std::string type;
    std::string reason;
    std::string message;
};

struct stage_finalizers {
    std::vector<std::string> add;
    std::vector<std::string> remove;
    bool empty = false;
};

// The patch types are kube's (json, merge, strategic, apply).
using kube::patch_type;

// A template as written and as compiled at load (kwok trims the text before parsing).
struct stage_template {
    std::string text;
    std::shared_ptr<const lang::compiled_template> compiled;
};

struct stage_patch {
    std::string subresource;
    std::string root;
    stage_template templ;
    std::optional<patch_type> type;  // nullopt: the kind's default (see play_options)
    std::optional<std::string> impersonation;  // username
};

// StageApply (v0.8+): template renders a full object, applied (SSA by default).
struct stage_apply {
    std::string subresource;
    stage_template templ;
    patch_type type = patch_type::apply;
    std::optional<std::string> impersonation;
};

struct stage_step {
    std::optional<stage_event> event;
    std::optional<stage_finalizers> finalizers;
    bool delete_object = false;
    std::optional<stage_patch> patch;
    std::optional<stage_apply> apply;
};

struct stage {
    std::string name;
    std::string api_group = "v1";
    std::string kind;
    std::optional<stage_selector> selector;  // nullopt: the stage never matches
    std::int64_t weight = 0;
    std::optional<expression_from> weight_from;
    std::optional<stage_delay> delay;
    std::vector<stage_step> steps;  // legacy `next` already converted
    bool immediate_next_stage = false;
    std::string source;  // file it came from (for messages)
    std::vector<std::string> warnings;  // accepted but without effect (the loader logs them)
};

// A yaml-cpp node as JSON with go-yaml v2 scalar rules (plain scalars resolved, quoted ones are
// strings); e.g. for the KwokConfiguration documents below.
boost::json::value yaml_node_to_json(const YAML::Node& node);

// One Stage document. `source` names the file in messages.
stage parse_stage(const YAML::Node& doc, std::string_view source = "<stage>");

// The result of loading a multi-document configuration file.
struct config_documents {
    std::vector<stage> stages;
    std::vector<YAML::Node> kwok_configurations;        // kind KwokConfiguration
    std::vector<YAML::Node> others;                     // other known kwok kinds, untouched
    std::vector<std::string> warnings;                  // "file: document N: unknown kind X"
};

// Splits a multi-document YAML text into Stage docs and the rest; throws stage_error on a bad
// Stage or malformed YAML.
config_documents load_config_text(std::string_view text, std::string_view source = "<config>");
// One --config path (a file, a directory or "-", see stages/config_files.hpp), all its files.
config_documents load_config_file(const std::string& path);

// All Stage documents of a set of files (other kinds are ignored).
std::vector<stage> load_stage_files(const std::vector<std::string>& paths);

}  // namespace ghost::stages

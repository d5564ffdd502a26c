#include "stages/stage.hpp"

#include "lang/gotpl.hpp"
#include "lang/yaml_documents.hpp"
#include "lang/yaml_json.hpp"
#include "stages/cel_funcs.hpp"
#include "stages/config_files.hpp"
#include "stages/template_funcs.hpp"

#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>
#include <unordered_set>
#include <utility>

namespace ghost::stages {

namespace {

using lang::jq_program;
// Names a position inside one Stage document for error messages.
struct context {
    std::string_view source;
    std::string name;

    [[noreturn]] void fail(const std::string& path, const std::string& what) const {
        std::string msg(source);
        msg += ": stage \"";
        msg += name.empty() ? "<unnamed>" : name;
        msg += "\": ";
        msg += path;
        msg += ": ";
        msg += what;
        throw stage_error(msg);
    }
};

std::string quoted_scalar(const YAML::Node& n) {
    if (n.IsScalar()) return "\"" + n.Scalar() + "\"";
    if (n.IsMap()) return "a mapping";
    if (n.IsSequence()) return "a list";
    return "null";
}

bool present(const YAML::Node& n) { return n && !n.IsNull(); }

std::string get_string(const context& cx, const YAML::Node& n, const std::string& path) {
    if (!present(n)) return {};
    if (!n.IsScalar()) cx.fail(path, "expected a string, got " + quoted_scalar(n));
    return n.Scalar();
}

bool get_bool(const context& cx, const YAML::Node& n, const std::string& path) {
    if (!present(n)) return false;
    bool b = false;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, b))
        cx.fail(path, "expected true or false, got " + quoted_scalar(n));
    return b;
}

std::int64_t get_int(const context& cx, const YAML::Node& n, const std::string& path,
                     bool non_negative = true) {
    std::int64_t v = 0;
    if (!n.IsScalar() || !YAML::convert<std::int64_t>::decode(n, v))
        cx.fail(path, "expected an integer, got " + quoted_scalar(n));
    if (non_negative && v < 0) cx.fail(path, "expected an integer >= 0, got " + n.Scalar());
    return v;
}

void expect_map(const context& cx, const YAML::Node& n, const std::string& path) {
    if (!n.IsMap()) cx.fail(path, "expected a mapping, got " + quoted_scalar(n));
}

void check_fields(const context& cx, const YAML::Node& n, const std::string& path,
                  std::initializer_list<std::string_view> allowed) {
    for (auto it = n.begin(); it != n.end(); ++it) {
        auto key_text = lang::map_key(it->first);
        if (!key_text) cx.fail(path, "expected string keys, got a list or mapping as a key");
        const std::string& key = *key_text;
        bool ok = false;
        for (auto a : allowed) ok = ok || a == key;
        if (!ok) {
            std::string list;
            for (auto a : allowed) {
                if (!list.empty()) list += ", ";
                list += a;
            }
            cx.fail(path.empty() ? key : path + "." + key, "unknown field (expected one of " + list + ")");
        }
    }
}

std::map<std::string, std::string> get_string_map(const context& cx, const YAML::Node& n,
                                                  const std::string& path) {
    expect_map(cx, n, path);
    std::map<std::string, std::string> out;
    for (auto it = n.begin(); it != n.end(); ++it) {
        auto key_text = lang::map_key(it->first);
        if (!key_text) cx.fail(path, "expected string keys, got a list or mapping as a key");
        std::string key = std::move(*key_text);
        out[key] = get_string(cx, it->second, path + "." + key);
    }
    return out;
}

jq_program compile_jq(const context& cx, const std::string& text, const std::string& path) {
    if (text.empty()) cx.fail(path, "expected a jq expression, got an empty string");
    std::string error;
    auto p = jq_program::try_parse(text, &error);
    if (!p) cx.fail(path, error);
    return std::move(*p);
}

// `path` names the expression field; the message adds the column inside the expression.
lang::cel::program compile_cel(const context& cx, const YAML::Node& n, const std::string& path) {
    expect_map(cx, n, path);
    check_fields(cx, n, path, {"expression"});
    std::string text = get_string(cx, n["expression"], path + ".expression");
    if (text.empty()) cx.fail(path + ".expression", "expected a CEL expression, got an empty string");
    std::string error;
    auto p = lang::cel::program::compile(text, stage_cel_environment(), &error);
    if (!p) cx.fail(path + ".expression", "CEL " + error + " in `" + text + "`");
    return std::move(*p);
}

expression_from parse_expression_from(const context& cx, const YAML::Node& n,
                                      const std::string& path) {
    expect_map(cx, n, path);
    check_fields(cx, n, path, {"jq", "cel", "expressionFrom"});
    expression_from out;
    if (present(n["cel"])) out.cel = compile_cel(cx, n["cel"], path + ".cel");
    if (present(n["jq"])) {
        auto jq = n["jq"];
        expect_map(cx, jq, path + ".jq");
        check_fields(cx, jq, path + ".jq", {"expression"});
        out.jq = compile_jq(cx, get_string(cx, jq["expression"], path + ".jq.expression"),
                            path + ".jq.expression");
    } else if (present(n["expressionFrom"])) {
        out.jq = compile_jq(cx, get_string(cx, n["expressionFrom"], path + ".expressionFrom"),
                            path + ".expressionFrom");
    }
    if (!out.cel && !out.jq) cx.fail(path, "expected cel.expression, jq.expression or expressionFrom");
    return out;
}

match_expression parse_requirement(const context& cx, const YAML::Node& n,
                                   const std::string& path) {
    match_expression out;
    out.key = get_string(cx, n["key"], path + ".key");
    out.program = compile_jq(cx, out.key, path + ".key");
    std::string op = get_string(cx, n["operator"], path + ".operator");
    using k = match_expression::operator_kind;
    if (op == "In") {
        out.op = k::in;
    } else if (op == "NotIn") {
        out.op = k::not_in;
    } else if (op == "Exists") {
        out.op = k::exists;
    } else if (op == "DoesNotExist") {
        out.op = k::does_not_exist;
    } else {
        cx.fail(path + ".operator",
                "expected one of In, NotIn, Exists, DoesNotExist, got \"" + op + "\"");
    }
    if (present(n["values"])) {
        if (!n["values"].IsSequence())
            cx.fail(path + ".values", "expected a list of strings, got " + quoted_scalar(n["values"]));
        for (std::size_t i = 0; i < n["values"].size(); ++i)
            out.values.push_back(
                get_string(cx, n["values"][i], path + ".values[" + std::to_string(i) + "]"));
    }
    bool needs_values = out.op == k::in || out.op == k::not_in;
    if (needs_values && out.values.empty())
        cx.fail(path + ".values", "expected a non-empty list for operator " + op);
    if (!needs_values && !out.values.empty())
        cx.fail(path + ".values", "expected no values for operator " + op);
    return out;
}

stage_selector parse_selector(const context& cx, const YAML::Node& n, const std::string& path) {
    expect_map(cx, n, path);
    check_fields(cx, n, path, {"matchLabels", "matchAnnotations", "matchExpressions"});
    stage_selector out;
    if (present(n["matchLabels"]))
        out.match_labels = get_string_map(cx, n["matchLabels"], path + ".matchLabels");
    if (present(n["matchAnnotations"]))
        out.match_annotations =
            get_string_map(cx, n["matchAnnotations"], path + ".matchAnnotations");
    if (present(n["matchExpressions"])) {
        auto list = n["matchExpressions"];
        std::string lpath = path + ".matchExpressions";
        if (!list.IsSequence()) cx.fail(lpath, "expected a list, got " + quoted_scalar(list));
        for (std::size_t i = 0; i < list.size(); ++i) {
            std::string ipath = lpath + "[" + std::to_string(i) + "]";
            auto item = list[i];
            expect_map(cx, item, ipath);
            check_fields(cx, item, ipath, {"key", "operator", "values", "jq", "cel", "expression"});
            if (present(item["cel"])) {
                match_expression cel;
                cel.cel = compile_cel(cx, item["cel"], ipath + ".cel");
                cel.key = get_string(cx, item["cel"]["expression"], ipath + ".cel.expression");
                out.match_expressions.push_back(std::move(cel));
            } else if (present(item["expression"])) {
                cx.fail(ipath + ".expression", "expected cel.expression or jq.key");
            } else if (present(item["jq"])) {
                expect_map(cx, item["jq"], ipath + ".jq");
                check_fields(cx, item["jq"], ipath + ".jq", {"key", "operator", "values"});
                out.match_expressions.push_back(parse_requirement(cx, item["jq"], ipath + ".jq"));
            } else {
                out.match_expressions.push_back(parse_requirement(cx, item, ipath));
            }
        }
    }
    return out;
}

stage_delay parse_delay(const context& cx, const YAML::Node& n, const std::string& path,
                        std::vector<std::string>& warnings) {
    expect_map(cx, n, path);
    check_fields(cx, n, path, {"durationMilliseconds", "durationFrom",
                               "jitterDurationMilliseconds", "jitterDurationFrom"});
    stage_delay out;
    if (present(n["durationMilliseconds"]))
        out.duration_ms = get_int(cx, n["durationMilliseconds"], path + ".durationMilliseconds");
    if (present(n["durationFrom"]))
        out.duration_from = parse_expression_from(cx, n["durationFrom"], path + ".durationFrom");
    if (present(n["jitterDurationMilliseconds"]))
        out.jitter_ms =
            get_int(cx, n["jitterDurationMilliseconds"], path + ".jitterDurationMilliseconds");
    if (present(n["jitterDurationFrom"])) {
        out.jitter_from =
            parse_expression_from(cx, n["jitterDurationFrom"], path + ".jitterDurationFrom");
        // kwok's quirk (spec §2.4): a jitter given only as CEL is not used.
        if (!out.jitter_from->jq) {
            warnings.push_back(std::string(cx.source) + ": stage \"" + cx.name + "\": " + path +
                               ".jitterDurationFrom.cel: ignored, as kwok ignores a CEL-only jitter");
            out.jitter_from.reset();
        }
    }
    return out;
}

stage_event parse_event(const context& cx, const YAML::Node& n, const std::string& path) {
    expect_map(cx, n, path);
    check_fields(cx, n, path, {"type", "reason", "message"});
    return {get_string(cx, n["type"], path + ".type"),
            get_string(cx, n["reason"], path + ".reason"),
            get_string(cx, n["message"], path + ".message")};
}

std::vector<std::string> parse_finalizer_items(const context& cx, const YAML::Node& n,
                                               const std::string& path) {
    std::vector<std::string> out;
    if (!present(n)) return out;
    if (!n.IsSequence()) cx.fail(path, "expected a list of {value}, got " + quoted_scalar(n));
    for (std::size_t i = 0; i < n.size(); ++i) {
        std::string ipath = path + "[" + std::to_string(i) + "]";
        expect_map(cx, n[i], ipath);
        check_fields(cx, n[i], ipath, {"value"});
        out.push_back(get_string(cx, n[i]["value"], ipath + ".value"));
    }
    return out;
}

stage_finalizers parse_finalizers(const context& cx, const YAML::Node& n, const std::string& path) {
    expect_map(cx, n, path);
    check_fields(cx, n, path, {"add", "remove", "empty"});
    stage_finalizers out;
    out.add = parse_finalizer_items(cx, n["add"], path + ".add");
    out.remove = parse_finalizer_items(cx, n["remove"], path + ".remove");
    out.empty = get_bool(cx, n["empty"], path + ".empty");
    return out;
}

std::optional<std::string> parse_impersonation(const context& cx, const YAML::Node& n,
                                               const std::string& path) {
    if (!present(n)) return std::nullopt;
    expect_map(cx, n, path);
    check_fields(cx, n, path, {"username"});
    std::string user = get_string(cx, n["username"], path + ".username");
    if (user.empty()) cx.fail(path + ".username", "expected a user name");
    return user;
}

// Parsed once here and kept in the stage; calls to functions kwok does not define fail now,
// as Go's parser would, not when some object first plays the stage.
stage_template compile_template(const context& cx, std::string text, const std::string& path) {
    std::string error;
    auto parsed = lang::compiled_template::parse(lang::trim_space(text), &error);
    if (!parsed)
        cx.fail(path, "template does not parse: " +
                          (error.empty() ? parsed.error().message() : error));
    error = (*parsed)->check_functions(&is_kwok_template_function);
    if (!error.empty()) cx.fail(path, "template does not parse: " + error);
    return {std::move(text), std::move(*parsed)};
}

// A patch/apply `type`: one of `allowed` (kwok's names), else a stage_error listing them.
patch_type parse_patch_type(const context& cx, const std::string& type, const std::string& path,
                            std::initializer_list<std::pair<std::string_view, patch_type>> allowed) {
    std::string names;
    for (const auto& [name, t] : allowed) {
        if (type == name) return t;
        names += names.empty() ? "" : ", ";
        names += name;
    }
    cx.fail(path, "expected one of " + names + ", got \"" + type + "\"");
}

stage_patch parse_patch(const context& cx, const YAML::Node& n, const std::string& path) {
    expect_map(cx, n, path);
    check_fields(cx, n, path, {"subresource", "root", "template", "type", "impersonation"});
    stage_patch out;
    out.subresource = get_string(cx, n["subresource"], path + ".subresource");
    out.root = get_string(cx, n["root"], path + ".root");
    out.templ = compile_template(cx, get_string(cx, n["template"], path + ".template"),
                                 path + ".template");
    std::string type = get_string(cx, n["type"], path + ".type");
    if (!type.empty()) {
        out.type = parse_patch_type(cx, type, path + ".type",
                                    {{"json", patch_type::json},
                                     {"merge", patch_type::merge},
                                     {"strategic", patch_type::strategic}});
    }
    out.impersonation = parse_impersonation(cx, n["impersonation"], path + ".impersonation");
    return out;
}

stage_apply parse_apply(const context& cx, const YAML::Node& n, const std::string& path) {
    expect_map(cx, n, path);
    check_fields(cx, n, path, {"subresource", "template", "type", "impersonation"});
    stage_apply out;
    out.subresource = get_string(cx, n["subresource"], path + ".subresource");
    std::string text = get_string(cx, n["template"], path + ".template");
    if (text.empty()) cx.fail(path + ".template", "expected a template");
    out.templ = compile_template(cx, std::move(text), path + ".template");
    std::string type = get_string(cx, n["type"], path + ".type");
    out.type = type.empty() ? patch_type::apply
                            : parse_patch_type(cx, type, path + ".type",
                                               {{"apply", patch_type::apply},
                                                {"merge", patch_type::merge},
                                                {"strategic", patch_type::strategic}});
    out.impersonation = parse_impersonation(cx, n["impersonation"], path + ".impersonation");
    return out;
}

stage_step parse_step(const context& cx, const YAML::Node& n, const std::string& path) {
    expect_map(cx, n, path);
    check_fields(cx, n, path, {"event", "finalizers", "delete", "patch", "apply"});
    stage_step out;
    if (present(n["event"])) out.event = parse_event(cx, n["event"], path + ".event");
    if (present(n["finalizers"]))
        out.finalizers = parse_finalizers(cx, n["finalizers"], path + ".finalizers");
    out.delete_object = get_bool(cx, n["delete"], path + ".delete");
    if (present(n["patch"])) out.patch = parse_patch(cx, n["patch"], path + ".patch");
    if (present(n["apply"])) out.apply = parse_apply(cx, n["apply"], path + ".apply");
    return out;
}

// Legacy `next` -> steps (spec §2.1): event; finalizers; patches (or the statusTemplate patch);
// delete.
std::vector<stage_step> convert_next(const context& cx, const YAML::Node& n,
                                     const std::string& path) {
    expect_map(cx, n, path);
    check_fields(cx, n, path, {"event", "finalizers", "delete", "patches", "statusTemplate",
                               "statusSubresource", "statusPatchAs"});
    std::vector<stage_step> steps;
    if (present(n["event"])) {
        stage_step s;
        s.event = parse_event(cx, n["event"], path + ".event");
        steps.push_back(std::move(s));
    }
    if (present(n["finalizers"])) {
        stage_step s;
        s.finalizers = parse_finalizers(cx, n["finalizers"], path + ".finalizers");
        steps.push_back(std::move(s));
    }
    bool has_patches = false;
    if (present(n["patches"])) {
        auto list = n["patches"];
        if (!list.IsSequence())
            cx.fail(path + ".patches", "expected a list, got " + quoted_scalar(list));
        for (std::size_t i = 0; i < list.size(); ++i) {
            stage_step s;
            s.patch = parse_patch(cx, list[i], path + ".patches[" + std::to_string(i) + "]");
            steps.push_back(std::move(s));
            has_patches = true;
        }
    }
    std::string status_template = get_string(cx, n["statusTemplate"], path + ".statusTemplate");
    if (!has_patches && !status_template.empty()) {
        stage_step s;
        stage_patch p;
        p.subresource = get_string(cx, n["statusSubresource"], path + ".statusSubresource");
        if (p.subresource.empty()) p.subresource = "status";
        p.root = "status";
        p.templ = compile_template(cx, std::move(status_template), path + ".statusTemplate");
        p.impersonation = parse_impersonation(cx, n["statusPatchAs"], path + ".statusPatchAs");
        s.patch = std::move(p);
        steps.push_back(std::move(s));
    }
    if (get_bool(cx, n["delete"], path + ".delete")) {
        stage_step s;
        s.delete_object = true;
        steps.push_back(std::move(s));
    }
    return steps;
}

const std::set<std::string, std::less<>>& known_kinds() {
    static const std::set<std::string, std::less<>> kinds = {
        "KwokConfiguration", "KwokctlConfiguration", "Stage", "Attach", "ClusterAttach", "Exec",
        "ClusterExec", "Logs", "ClusterLogs", "PortForward", "ClusterPortForward", "Metric",
        "ResourceUsage", "ClusterResourceUsage", "KwokctlResource",
    };
    return kinds;
}

}  // namespace

namespace {

// yaml-cpp shares an anchored node with its aliases, so walking the tree expands them: the
// walk counts values met again (same position in the text) and applies go-yaml's alias rule.
class node_to_json {
public:
    boost::json::value convert(const YAML::Node& node, bool via_alias = false) {
        if (!node || node.IsNull()) return count(node, via_alias), nullptr;
        const bool alias = count(node, via_alias);
        if (node.IsScalar()) {
            // yaml-cpp tags plain scalars "?" and quoted ones "!".
            if (node.Tag() == "!") return boost::json::value(node.Scalar());
            return lang::resolve_plain_scalar(node.Scalar());
        }
        if (node.IsSequence()) {
            boost::json::array arr;
            for (const auto& item : node) arr.push_back(convert(item, alias));
            return arr;
        }
        boost::json::object obj;
        for (auto it = node.begin(); it != node.end(); ++it) {
            auto key = lang::map_key(it->first);
            if (!key)
                throw stage_error("line " + std::to_string(it->first.Mark().line + 1) +
                                  ": expected string keys, got a list or mapping as a key");
            obj[*key] = convert(it->second, alias);
        }
        return obj;
    }

private:
    // True when this value is (inside) an alias' copy.
    bool count(const YAML::Node& node, bool via_alias) {
        const auto mark = node ? node.Mark() : YAML::Mark::null_mark();
        const bool again = via_alias || (!mark.is_null() && node.IsDefined() && !node.IsScalar() &&
                                         !seen_.insert(mark.pos).second);
        ++decoded_;
        if (again) ++from_aliases_;
        if (again && lang::excessive_aliasing(decoded_, from_aliases_)) {
            throw stage_error("line " + std::to_string(mark.line + 1) +
                              ": document contains excessive aliasing (aliases expand to more than " +
                              std::to_string(from_aliases_) + " of " + std::to_string(decoded_) +
                              " values)");
        }
        return again;
    }

    std::unordered_set<int> seen_;
    std::uint64_t decoded_ = 0, from_aliases_ = 0;
};

}  // namespace

boost::json::value yaml_node_to_json(const YAML::Node& node) { return node_to_json().convert(node); }

stage parse_stage(const YAML::Node& doc, std::string_view source) {
    context cx{source, {}};
    if (!doc.IsMap()) cx.fail("<document>", "expected a mapping");
    if (present(doc["metadata"]) && doc["metadata"].IsMap())
        cx.name = get_string(cx, doc["metadata"]["name"], "metadata.name");
    stage out;
    out.source = std::string(source);
    out.name = cx.name;
    if (out.name.empty()) cx.fail("metadata.name", "expected a non-empty name");
    std::string api_version = get_string(cx, doc["apiVersion"], "apiVersion");
    if (api_version != "kwok.x-k8s.io/v1alpha1")
        cx.fail("apiVersion", "expected kwok.x-k8s.io/v1alpha1, got \"" + api_version + "\"");
    std::string kind = get_string(cx, doc["kind"], "kind");
    if (kind != "Stage") cx.fail("kind", "expected Stage, got \"" + kind + "\"");

    auto spec = doc["spec"];
    if (!present(spec)) cx.fail("spec", "expected a mapping");
    expect_map(cx, spec, "spec");
    check_fields(cx, spec, "spec", {"resourceRef", "selector", "weight", "weightFrom", "delay",
                                    "next", "steps", "immediateNextStage"});

    auto ref = spec["resourceRef"];
    if (!present(ref)) cx.fail("spec.resourceRef", "expected a mapping with kind");
    expect_map(cx, ref, "spec.resourceRef");
    check_fields(cx, ref, "spec.resourceRef", {"apiGroup", "kind"});
    out.api_group = get_string(cx, ref["apiGroup"], "spec.resourceRef.apiGroup");
    if (out.api_group.empty()) out.api_group = "v1";
    out.kind = get_string(cx, ref["kind"], "spec.resourceRef.kind");
    if (out.kind.empty()) cx.fail("spec.resourceRef.kind", "expected a kind");

    // A key that is present but null (`selector:`) counts as nil, like Go's omitempty pointer.
    if (present(spec["selector"])) out.selector = parse_selector(cx, spec["selector"], "spec.selector");
    if (present(spec["weight"])) out.weight = get_int(cx, spec["weight"], "spec.weight");
    if (present(spec["weightFrom"]))
        out.weight_from = parse_expression_from(cx, spec["weightFrom"], "spec.weightFrom");
    if (present(spec["delay"]))
        out.delay = parse_delay(cx, spec["delay"], "spec.delay", out.warnings);
    out.immediate_next_stage = get_bool(cx, spec["immediateNextStage"], "spec.immediateNextStage");

    if (present(spec["steps"])) {
        auto list = spec["steps"];
        if (!list.IsSequence()) cx.fail("spec.steps", "expected a list, got " + quoted_scalar(list));
        for (std::size_t i = 0; i < list.size(); ++i)
            out.steps.push_back(parse_step(cx, list[i], "spec.steps[" + std::to_string(i) + "]"));
    }
    if (out.steps.empty() && present(spec["next"]))
        out.steps = convert_next(cx, spec["next"], "spec.next");
    return out;
}

config_documents load_config_text(std::string_view text, std::string_view source) {
    std::vector<YAML::Node> docs;
    try {
        docs = lang::load_all_yaml(std::string(text));
    } catch (const YAML::Exception& e) {
        throw stage_error(std::string(source) + ": invalid YAML: " + e.what());
    }
    config_documents out;
    for (std::size_t i = 0; i < docs.size(); ++i) {
        const auto& doc = docs[i];
        if (!doc || doc.IsNull()) continue;
        std::string where = std::string(source) + ": document " + std::to_string(i + 1);
        if (!doc.IsMap()) throw stage_error(where + ": expected a mapping");
        std::string kind = doc["kind"] && doc["kind"].IsScalar() ? doc["kind"].Scalar() : "";
        if (kind == "Stage") {
            try {
                out.stages.push_back(parse_stage(doc, source));
            } catch (const YAML::Exception& e) {  // a shape the checks above missed
                throw stage_error(where + ": " + e.what());
            }
        } else if (kind == "KwokConfiguration") {
            out.kwok_configurations.push_back(doc);
        } else if (known_kinds().count(kind)) {
            out.others.push_back(doc);
        } else {
            out.warnings.push_back(where + ": unknown kind \"" + kind + "\"");
        }
    }
    return out;
}

config_documents load_config_file(const std::string& path) {
    config_documents out;
    for (auto& src : read_config_path(path)) {
        auto docs = load_config_text(src.text, src.name);
        for (auto& s : docs.stages) out.stages.push_back(std::move(s));
        for (auto& d : docs.kwok_configurations) out.kwok_configurations.push_back(d);
        for (auto& d : docs.others) out.others.push_back(d);
        for (auto& w : docs.warnings) out.warnings.push_back(std::move(w));
    }
    return out;
}

std::vector<stage> load_stage_files(const std::vector<std::string>& paths) {
    std::vector<stage> out;
    for (auto& p : paths) {
        auto docs = load_config_file(p);
        for (auto& s : docs.stages) out.push_back(std::move(s));
    }
    return out;
}

}  // namespace ghost::stages

// CEL conformance: runs the cel-spec simple tests (read in place from GHOST_SHARED_DIR/cel-spec)
// that do not need protobuf messages. Fails on any in-scope failure not listed below.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "lang/cel.hpp"
#include "tests/lang/textproto.hpp"

#ifndef GHOST_SHARED_DIR
#error "GHOST_SHARED_DIR must name the shared folder (with cel-spec/ in it)"
#endif

namespace {

namespace cel = ghost::lang::cel;
namespace tp = ghost::tests::textproto;

// In-scope tests known to fail, with the reason. Keep empty if possible.
const std::map<std::string, std::string> known_failures = {
};

struct skip : std::runtime_error {
    using std::runtime_error::runtime_error;
};

bool contains_text(const tp::field& f, std::string_view needle) {
    if (f.name.find(needle) != std::string::npos || f.scalar.find(needle) != std::string::npos) {
        return true;
    }
    return std::any_of(f.children.begin(), f.children.end(),
                       [&](const tp::field& c) { return contains_text(c, needle); });
}

// Why a test is out of scope (README: protobuf messages), or empty.
std::string out_of_scope(const tp::field& t) {
    if (t.get("container")) return "container";
    if (contains_text(t, "object_value")) return "object_value";
    if (contains_text(t, "message_type")) return "protobuf message type in type_env";
    if (contains_text(t, "cel.expr.conformance.")) return "cel.expr.conformance type";
    if (contains_text(t, "google.protobuf.")) return "google.protobuf type";
    if (t.get("unknown") || t.get("any_unknowns")) return "unknown sets";
    if (t.get("any_eval_errors")) return "any_eval_errors";
    if (t.get("check_only")) return "check_only";
    return {};
}

double parse_double(const std::string& s) {
    std::string l = s;
    std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
    if (l == "inf" || l == "infinity") return INFINITY;
    if (l == "-inf" || l == "-infinity") return -INFINITY;
    if (l == "nan") return NAN;
    return std::stod(s);
}

cel::value to_value(const tp::field& v) {
    if (v.children.empty()) throw skip("empty Value");
    const tp::field& f = v.children.front();
    const std::string& n = f.name;
    if (n == "null_value") return cel::value::null();
    if (n == "bool_value") return cel::value::boolean(f.scalar == "true");
    if (n == "int64_value") return cel::value::integer(std::stoll(f.scalar));
    if (n == "uint64_value") return cel::value::uinteger(std::stoull(f.scalar));
    if (n == "double_value") return cel::value::real(parse_double(f.scalar));
    if (n == "string_value") return cel::value::string(f.scalar);
    if (n == "bytes_value") return cel::value::bytes(f.scalar);
    if (n == "type_value") return cel::value::type_named(f.scalar);
    if (n == "enum_value") return cel::value::integer(std::stoll(f.get("value")->scalar));
    if (n == "list_value") {
        std::vector<cel::value> items;
        for (const auto* e : f.all("values")) items.push_back(to_value(*e));
        return cel::value::list(std::move(items));
    }
    if (n == "map_value") {
        std::vector<std::pair<cel::value, cel::value>> entries;
        for (const auto* e : f.all("entries")) {
            entries.emplace_back(to_value(*e->get("key")), to_value(*e->get("value")));
        }
        return cel::value::map(std::move(entries));
    }
    throw skip("unsupported Value field " + n);
}

// Same kinds all the way down (1 and 1u differ here, unlike CEL ==); NaN matches NaN.
bool same(const cel::value& a, const cel::value& b) {
    if (a.get_kind() != b.get_kind()) return false;
    switch (a.get_kind()) {
    case cel::kind::double_:
        if (std::isnan(a.as_double()) && std::isnan(b.as_double())) return true;
        return a.as_double() == b.as_double() &&
               std::signbit(a.as_double()) == std::signbit(b.as_double());
    case cel::kind::list:
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (!same(a.list_at(i), b.list_at(i))) return false;
        }
        return true;
    case cel::kind::map:
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i) {
            auto other = b.map_find(a.map_key_at(i));
            if (!other || !same(a.map_value_at(i), *other)) return false;
        }
        return true;
    default: return cel::equal(a, b);
    }
}

cel::type_spec to_type(const tp::field& t) {
    if (const auto* p = t.get("primitive")) {
        static const std::map<std::string, cel::kind> prims = {
            {"BOOL", cel::kind::bool_},     {"INT64", cel::kind::int_},
            {"UINT64", cel::kind::uint_},   {"DOUBLE", cel::kind::double_},
            {"STRING", cel::kind::string_}, {"BYTES", cel::kind::bytes_}};
        auto it = prims.find(p->scalar);
        if (it == prims.end()) throw skip("primitive " + p->scalar);
        return cel::type_spec::of(it->second);
    }
    if (t.get("map_type")) return cel::type_spec::of(cel::kind::map);
    if (t.get("list_type")) return cel::type_spec::of(cel::kind::list);
    if (t.get("dyn")) return cel::type_spec::dyn();
    if (t.get("null")) return cel::type_spec::of(cel::kind::null_);
    throw skip("type_env type");
}

struct outcome {
    bool pass = false;
    std::string detail;
    bool at_compile_time = false;  // an expected error reported by compile()
};

outcome run_test(const tp::field& t) {
    const tp::field* expr = t.get("expr");
    if (!expr) throw skip("no expr");
    cel::environment env;
    if (const auto* d = t.get("disable_check"); d && d->scalar == "true") {
        env.set_type_checks(false);
    }
    for (const auto* decl : t.all("type_env")) {
        const tp::field* ident = decl->get("ident");
        if (!ident) throw skip("function declaration in type_env");
        env.declare_variable(decl->get("name")->scalar, to_type(*ident->get("type")));
    }
    cel::activation vars;
    for (const auto* b : t.all("bindings")) {
        const std::string& name = b->get("key")->scalar;
        const tp::field* ev = b->get("value");
        const tp::field* v = ev ? ev->get("value") : nullptr;
        if (!v) throw skip("binding without a value");
        if (!env.find_variable(name)) env.declare_variable(name);
        vars.bind(name, to_value(*v));
    }
    std::string error;
    auto prog = cel::program::compile(expr->scalar, env, &error);
    const bool want_error = t.get("eval_error") != nullptr;
    if (!prog) {
        if (want_error) return {true, "compile error: " + error, true};
        return {false, "compile error: " + error};
    }
    const cel::value got = prog->evaluate(vars);
    if (want_error) {
        if (got.is_error()) return {true, {}};
        return {false, "expected an error, got " + got.debug_string()};
    }
    const tp::field* want = t.get("value");
    if (!want) {
        if (const auto* tr = t.get("typed_result")) want = tr->get("result");
    }
    if (!want) {
        // No matcher: the spec's default is `true`.
        if (got.is(cel::kind::bool_) && got.as_bool()) return {true, {}};
        return {false, "expected true, got " + got.debug_string()};
    }
    const cel::value expected = to_value(*want);
    if (same(got, expected)) return {true, {}};
    return {false, "expected " + expected.debug_string() + ", got " + got.debug_string()};
}

TEST(cel_conformance, simple_tests) {
    const std::filesystem::path dir = std::filesystem::path(GHOST_SHARED_DIR) / "cel-spec";
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        if (e.path().extension() == ".textproto") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    ASSERT_FALSE(files.empty()) << "no conformance files in " << dir;

    int ran = 0, passed = 0, skipped = 0, known = 0, compile_errors = 0;
    int extra_ran = 0, extra_passed = 0;  // out of scope, tried anyway for information
    std::map<std::string, int> skip_reasons;
    std::vector<std::string> failures;
    std::vector<std::string> fixed;
    for (const auto& path : files) {
        std::ifstream in(path);
        std::stringstream ss;
        ss << in.rdbuf();
        tp::field root;
        std::string error;
        ASSERT_TRUE(tp::parse(ss.str(), root, error)) << path << ": " << error;
        const std::string file = root.get("name") ? root.get("name")->scalar : path.stem().string();
        for (const auto* section : root.all("section")) {
            const std::string sname = section->get("name") ? section->get("name")->scalar : "";
            for (const auto* t : section->all("test")) {
                const std::string name = file + "/" + sname + "/" + t->get("name")->scalar;
                if (std::string why = out_of_scope(*t); !why.empty()) {
                    ++skipped;
                    ++skip_reasons[why];
                    if (why == "google.protobuf type") {
                        try {
                            ++extra_ran;
                            extra_passed += run_test(*t).pass;
                        } catch (const std::exception&) {
                        }
                    }
                    continue;
                }
                outcome o;
                try {
                    o = run_test(*t);
                } catch (const skip& s) {
                    ++skipped;
                    ++skip_reasons[s.what()];
                    continue;
                } catch (const std::exception& e) {
                    o = {false, std::string("harness exception: ") + e.what()};
                }
                ++ran;
                const bool is_known = known_failures.count(name) > 0;
                if (o.pass) {
                    ++passed;
                    compile_errors += o.at_compile_time;
                    if (is_known) fixed.push_back(name);
                } else if (is_known) {
                    ++known;
                } else {
                    failures.push_back(name + ": " + o.detail + "  [expr: " +
                                       t->get("expr")->scalar + "]");
                }
            }
        }
    }
    std::cout << "CEL conformance: ran " << ran << ", passed " << passed << ", skipped "
              << skipped << ", known failures " << known << "\n";
    std::cout << "  (" << compile_errors << " expected errors were reported by compile())\n";
    for (const auto& [why, n] : skip_reasons) std::cout << "  skipped " << n << ": " << why << "\n";
    std::cout << "  out of scope but tried (google.protobuf types): " << extra_passed << " of "
              << extra_ran << " pass\n";
    for (const auto& f : failures) std::cout << "  FAIL " << f << "\n";
    for (const auto& f : fixed) {
        std::cout << "  now passing (remove from known_failures): " << f << "\n";
    }
    EXPECT_TRUE(failures.empty()) << failures.size() << " in-scope conformance failures";
}

}  // namespace

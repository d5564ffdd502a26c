// Unit tests of the CEL interpreter for what the conformance suite covers thinly: JSON views,
// host extensions (functions, methods, opaque types with operators), compile errors with columns,
// error absorption, nesting limits, and allocation-free evaluation.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "lang/cel.hpp"
#include "ghost_testing/allocation_counter.hpp"


namespace {

namespace cel = ghost::lang::cel;

cel::value eval(const std::string& text, const cel::activation& vars = {},
                cel::environment env = {}) {
    for (const char* name : {"self", "x", "y"}) {
        if (!env.find_variable(name)) env.declare_variable(name);
    }
    std::string error;
    auto p = cel::program::compile(text, env, &error);
    if (!p) return cel::value::error("compile: " + error);
    return p->evaluate(vars);
}

std::string compile_error(const std::string& text, cel::environment env = {}) {
    env.declare_variable("self");
    std::string error;
    auto p = cel::program::compile(text, env, &error);
    return p ? std::string("(compiled)") : error;
}

bool is_true(const cel::value& v) { return v.is(cel::kind::bool_) && v.as_bool(); }

const boost::json::value& doc() {
    static const boost::json::value v = boost::json::parse(R"({
        "metadata": {"name": "p", "labels": {"app": "web", "tier": "fe"}},
        "spec": {"replicas": 3, "ratio": 1.5, "big": 18446744073709551615,
                 "items": [1, "two", 3.0, null, true, {"k": "v"}], "empty": {}},
        "status": {"phase": "Running", "conditions": [
            {"type": "Ready", "status": "True"}, {"type": "Scheduled", "status": "False"}]}
    })");
    return v;
}

cel::activation doc_vars() {
    cel::activation a;
    a.bind_json("self", doc());
    return a;
}

TEST(cel_json, scalars_maps_and_lists) {
    const auto vars = doc_vars();
    EXPECT_TRUE(is_true(eval("self.metadata.name == 'p'", vars)));
    EXPECT_TRUE(is_true(eval("self.spec.replicas == 3 && self.spec.replicas == 3u", vars)));
    EXPECT_TRUE(is_true(eval("self.spec.replicas == 3.0", vars)));
    EXPECT_TRUE(is_true(eval("self.spec.ratio == 1.5 && type(self.spec.ratio) == double", vars)));
    EXPECT_TRUE(is_true(eval("self.spec.big == 18446744073709551615u", vars)));
    EXPECT_TRUE(is_true(eval("type(self.spec.big) == uint", vars)));
    EXPECT_TRUE(is_true(eval("size(self.spec.items) == 6 && self.spec.items[1] == 'two'", vars)));
    EXPECT_TRUE(is_true(eval("self.spec.items[3] == null && self.spec.items[4]", vars)));
    EXPECT_TRUE(is_true(eval("self.spec.items[5].k == 'v'", vars)));
    EXPECT_TRUE(is_true(eval("'app' in self.metadata.labels && !('x' in self.metadata.labels)",
                             vars)));
    EXPECT_TRUE(is_true(eval("self.metadata.labels['tier'] == 'fe'", vars)));
    EXPECT_TRUE(is_true(eval("self.metadata.labels.all(k, k in ['app', 'tier'])", vars)));
    EXPECT_TRUE(is_true(eval("self.metadata.labels == {'tier': 'fe', 'app': 'web'}", vars)));
    EXPECT_TRUE(is_true(eval("self.spec.empty == {} && size(self.spec.empty) == 0", vars)));
    EXPECT_TRUE(is_true(eval("3.0 in self.spec.items && 'two' in self.spec.items", vars)));
    EXPECT_TRUE(is_true(eval(
        "self.status.conditions.filter(c, c.status == 'True').map(c, c.type) == ['Ready']", vars)));
    EXPECT_TRUE(is_true(eval("has(self.metadata.labels.app) && !has(self.metadata.uid)", vars)));
    EXPECT_TRUE(is_true(eval("type(self) == map && type(self.spec.items) == list", vars)));
}

TEST(cel_json, results_view_the_document) {
    const auto vars = doc_vars();
    const cel::value v = eval("self.metadata.name", vars);
    ASSERT_TRUE(v.is(cel::kind::string_));
    EXPECT_EQ(v.as_string().data(), doc().at("metadata").at("name").get_string().data());
    const cel::value labels = eval("self.metadata.labels", vars);
    ASSERT_TRUE(labels.is(cel::kind::map));
    EXPECT_EQ(labels.size(), 2u);
    EXPECT_EQ(labels.map_find_string("app")->as_string(), "web");
}

TEST(cel_json, missing_keys_are_error_values) {
    const auto vars = doc_vars();
    const cel::value v = eval("self.spec.claimRef.name", vars);
    ASSERT_TRUE(v.is_error());
    EXPECT_EQ(v.as_string(), "no such key: claimRef");
    EXPECT_TRUE(eval("has(self.spec.claimRef.name)", vars).is_error());
    EXPECT_TRUE(eval("self.spec.items[6]", vars).is_error());
    EXPECT_TRUE(eval("self.metadata.labels['nope']", vars).is_error());
    EXPECT_TRUE(eval("self.spec.replicas.x", vars).is_error());
}

TEST(cel_json, scalar_evaluation_does_not_allocate) {
    cel::environment env;
    env.declare_variable("self");
    const char* exprs[] = {
        "self.status.phase != 'Bound'",
        "has(self.spec.claimRef) || has(self.metadata.labels.app)",
        "!(self.status.phase in ['Bound', 'Failed'])",
        "self.status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')",
        "size(self.spec.items) + self.spec.replicas * 2 > 3 ? 'big' : 'small'",
        "self.metadata.labels.app.startsWith('we') && self.metadata.name.matches('^p$')",
    };
    const auto vars = doc_vars();
    for (const char* text : exprs) {
        std::string error;
        auto p = cel::program::compile(text, env, &error);
        ASSERT_TRUE(p) << error;
        (void)p->evaluate(vars);
        const std::size_t before = ghost::testing::allocations_so_far();
        for (int i = 0; i < 100; ++i) {
            const cel::value v = p->evaluate(vars);
            ASSERT_FALSE(v.is_error()) << text;
        }
        EXPECT_EQ(ghost::testing::allocations_so_far() - before, 0u) << text;
    }
}

TEST(cel_eval, error_absorption_is_commutative) {
    EXPECT_TRUE(is_true(eval("!(false && 1 / 0 == 1)")));
    EXPECT_TRUE(is_true(eval("!(1 / 0 == 1 && false)")));
    EXPECT_TRUE(is_true(eval("true || 1 / 0 == 1")));
    EXPECT_TRUE(is_true(eval("1 / 0 == 1 || true")));
    EXPECT_TRUE(eval("1 / 0 == 1 && true").is_error());
    EXPECT_TRUE(eval("false || 1 / 0 == 1").is_error());
    EXPECT_TRUE(is_true(eval("true ? true : 1 / 0 == 1")));
    EXPECT_TRUE(is_true(eval("[0, 1].exists(i, 1 / i == 1)")));
    EXPECT_TRUE(eval("[0, 2].exists(i, 1 / i == 1)").is_error());
    EXPECT_TRUE(is_true(eval("![0, 1].all(i, 1 / i == 0)")));
}

TEST(cel_eval, runtime_error_messages) {
    EXPECT_EQ(eval("1 / 0").as_string(), "division by zero");
    EXPECT_EQ(eval("1 % 0").as_string(), "modulus by zero");
    EXPECT_EQ(eval("9223372036854775807 + 1").as_string(), "integer overflow");
    EXPECT_EQ(eval("0u - 1u").as_string(), "integer overflow");
    cel::activation vars;
    vars.bind("x", cel::value::integer(1));
    vars.bind("y", cel::value::string("a"));
    EXPECT_EQ(eval("x + y", vars).as_string(),
              "no matching overload for '_+_' applied to (int, string)");
}

TEST(cel_eval, strings_and_time) {
    EXPECT_TRUE(is_true(eval("size('héllo') == 5 && size(b'h\\xc3\\xa9') == 3")));
    EXPECT_TRUE(is_true(eval("'\\u00e9' == 'é' && r'\\n' == '\\\\n' && '''a\nb''' == 'a\\nb'")));
    EXPECT_TRUE(is_true(eval("'abc' + 'def' == 'abcdef' && [1] + [2] == [1, 2]")));
    EXPECT_TRUE(is_true(eval("'kwok-node-1'.matches('^kwok-node-[0-9]+$')")));
    EXPECT_TRUE(is_true(eval("timestamp('2024-05-01T10:00:00Z').getHours('+05:30') == 15")));
    EXPECT_TRUE(is_true(eval("timestamp('2024-05-01T10:00:00Z').getMinutes('+05:30') == 30")));
    // IANA zones from the system tzdata, daylight saving time included
    EXPECT_TRUE(is_true(
        eval("timestamp('2024-07-01T10:00:00Z').getHours('America/New_York') == 6")));
    EXPECT_TRUE(is_true(
        eval("timestamp('2024-01-01T10:00:00Z').getHours('America/New_York') == 5")));
    EXPECT_TRUE(eval("timestamp('2024-01-01T10:00:00Z').getHours('Nowhere/Special')").is_error());
    EXPECT_TRUE(is_true(eval("timestamp('2024-05-01T10:00:00Z') + duration('1h30m') == "
                             "timestamp('2024-05-01T11:30:00Z')")));
    EXPECT_TRUE(is_true(eval("timestamp('2024-05-01T10:00:00Z') - timestamp('2024-05-01T09:00:00Z')"
                             " == duration('3600s')")));
    EXPECT_TRUE(is_true(eval("string(duration('1m1.5s')) == '61.5s'")));
}

TEST(cel_compile, errors_carry_columns) {
    EXPECT_EQ(compile_error("1 + 'a'"),
              "column 3: found no matching overload for '_+_' applied to '(int, string)'");
    EXPECT_EQ(compile_error("'a' - 'b'"),
              "column 5: found no matching overload for '_-_' applied to '(string, string)'");
    EXPECT_EQ(compile_error("size(1)"),
              "column 1: found no matching overload for 'size' applied to '(int)'");
    EXPECT_EQ(compile_error("self.a && nope(1)"), "column 11: undeclared reference to 'nope'");
    EXPECT_EQ(compile_error("size('a', 'b')"),
              "column 1: found no matching overload for 'size' applied to '(string, string)'");
    EXPECT_EQ(compile_error("unknown_var == 1"),
              "column 1: undeclared reference to 'unknown_var'");
    EXPECT_EQ(compile_error("self.a +"), "column 9: unexpected end of expression");
    EXPECT_EQ(compile_error("(1 + 2"), "column 7: expected ')'");
    EXPECT_EQ(compile_error("'é' + 1 = 2"), "column 9: unexpected '=' (did you mean '=='?)");
    EXPECT_EQ(
        compile_error("self.x.matches('[')").rfind("column 16: invalid regular expression", 0),
        0u);
    EXPECT_EQ(compile_error("[1].all(1, true)"),
              "column 9: argument of all() must be a simple name");
    // dyn defers to run time
    EXPECT_EQ(compile_error("self.x + 'a'"), "(compiled)");
    EXPECT_EQ(compile_error("size(self)"), "(compiled)");
}

TEST(cel_compile, deep_nesting_is_rejected_not_fatal) {
    for (int n : {100, 1000, 100000}) {
        const std::string parens = std::string(static_cast<std::size_t>(n), '(') + "1" +
                                   std::string(static_cast<std::size_t>(n), ')');
        const std::string nots = std::string(static_cast<std::size_t>(n), '!') + "true";
        const std::string lists = std::string(static_cast<std::size_t>(n), '[') +
                                  std::string(static_cast<std::size_t>(n), ']');
        std::string sum = "1";
        std::string select = "self";
        for (int i = 0; i < n; ++i) {
            sum += " + 1";
            select += ".a";
        }
        for (const std::string* text :
             std::initializer_list<const std::string*>{&parens, &nots, &lists, &sum, &select}) {
            cel::environment env;
            env.declare_variable("self");
            std::string error;
            auto p = cel::program::compile(*text, env, &error);
            if (n == 100) {
                EXPECT_TRUE(p) << error;
            } else {
                EXPECT_FALSE(p);
                EXPECT_NE(error.find("column"), std::string::npos) << error;
            }
        }
    }
}

// --- host extensions ---

// A toy Kubernetes-like quantity in milli-units.
class quantity final : public cel::opaque {
public:
    explicit quantity(std::int64_t milli) : milli_(milli) {}
    std::string_view type_name() const noexcept override { return "Quantity"; }
    bool equals(const cel::opaque& o) const noexcept override {
        return static_cast<const quantity&>(o).milli_ == milli_;
    }
    std::string debug_string() const override { return std::to_string(milli_) + "m"; }
    std::int64_t milli() const { return milli_; }

private:
    std::int64_t milli_;
};

std::int64_t milli(const cel::value& v) {
    return static_cast<const quantity*>(v.as_opaque())->milli();
}

cel::environment quantity_env() {
    cel::environment env;
    const auto q = cel::type_spec::opaque_type("Quantity");
    const auto s = cel::type_spec::of(cel::kind::string_);
    const auto i = cel::type_spec::of(cel::kind::int_);
    const auto b = cel::type_spec::of(cel::kind::bool_);
    env.add_function(
        "Quantity",
        {{{s}, q,
          [](std::span<const cel::value> a) {
              std::string_view t = a[0].as_string();
              const bool m = t.ends_with('m');
              if (m) t.remove_suffix(1);
              std::int64_t n = 0;
              for (char c : t) {
                  if (c < '0' || c > '9') return cel::value::error("bad quantity");
                  n = n * 10 + (c - '0');
              }
              return cel::value::make_opaque<quantity>(m ? n : n * 1000);
          }}},
        {.global = true, .member = true});
    env.add_function("_+_", {{{q, q}, q, [](std::span<const cel::value> a) {
                                  return cel::value::make_opaque<quantity>(milli(a[0]) +
                                                                           milli(a[1]));
                              }}});
    env.add_function("_*_", {{{q, i}, q, [](std::span<const cel::value> a) {
                                  return cel::value::make_opaque<quantity>(milli(a[0]) *
                                                                           a[1].as_int());
                              }}});
    env.add_function("_<_", {{{q, q}, b, [](std::span<const cel::value> a) {
                                  return cel::value::boolean(milli(a[0]) < milli(a[1]));
                              }}});
    env.add_function("milli", {{{q}, i, [](std::span<const cel::value> a) {
                                    return cel::value::integer(milli(a[0]));
                                }}},
                     {.global = false, .member = true});
    return env;
}

TEST(cel_extension, opaque_type_with_operators) {
    const cel::environment env = quantity_env();
    cel::activation none;
    EXPECT_TRUE(
        is_true(eval("Quantity('100m') + Quantity('200m') == Quantity('300m')", none, env)));
    EXPECT_TRUE(is_true(eval("Quantity('100m') < Quantity('1')", none, env)));
    EXPECT_TRUE(is_true(eval("!(Quantity('2') < Quantity('1'))", none, env)));
    EXPECT_TRUE(is_true(eval("Quantity('250m') * 4 == Quantity('1')", none, env)));
    EXPECT_TRUE(is_true(eval("Quantity('1') in [Quantity('1000m')]", none, env)));
    EXPECT_TRUE(is_true(eval("type(Quantity('1')) == type(Quantity('2'))", none, env)));
    // standard overloads still win for standard types
    EXPECT_TRUE(is_true(eval("1 + 2 == 3 && 1 < 2", none, env)));
    // definite type errors on the opaque type are compile errors
    EXPECT_NE(compile_error("Quantity('1') + 1", env).find("column 15: found no matching"),
              std::string::npos);
    EXPECT_NE(compile_error("Quantity(1)", env).find("column 1:"), std::string::npos);
    // with dyn arguments they are run-time errors
    cel::activation vars;
    vars.bind("x", cel::value::integer(1));
    EXPECT_EQ(eval("Quantity('1') + x", vars, env).as_string(),
              "no matching overload for '_+_' applied to (Quantity, int)");
}

TEST(cel_extension, method_style_calls) {
    const cel::environment env = quantity_env();
    cel::activation vars;
    vars.bind_json("self", doc());
    EXPECT_TRUE(is_true(eval("'1500m'.Quantity() == Quantity('1500m')", vars, env)));
    EXPECT_TRUE(is_true(eval("Quantity('2').milli() == 2000", vars, env)));
    EXPECT_TRUE(is_true(eval("self.metadata.labels.app.size() == 3", vars, env)));
    EXPECT_NE(compile_error("milli(Quantity('1'))", env).find("only be called as a method"),
              std::string::npos);
    EXPECT_NE(compile_error("1.0.int()", env).find("cannot be called as a method"),
              std::string::npos);
}

TEST(cel_extension, functions_added_later_do_not_change_compiled_programs) {
    cel::environment env;
    env.add_function("Now", {{{}, cel::type_spec::of(cel::kind::int_),
                              [](std::span<const cel::value>) { return cel::value::integer(1); }}});
    std::string error;
    auto p = cel::program::compile("Now() + 1", env, &error);
    ASSERT_TRUE(p) << error;
    env.add_function("Now", {{{cel::type_spec::of(cel::kind::int_)},
                              cel::type_spec::of(cel::kind::int_),
                              [](std::span<const cel::value> a) { return a[0]; }}});
    EXPECT_EQ(p->evaluate({}).as_int(), 2);
}

TEST(cel_extension, throwing_functions_become_errors) {
    cel::environment env;
    env.add_function("boom", {{{}, cel::type_spec::dyn(), [](std::span<const cel::value>) {
                                   throw std::runtime_error("bang");
                                   return cel::value::null();
                               }}});
    const cel::value v = eval("boom()", {}, env);
    ASSERT_TRUE(v.is_error());
    EXPECT_EQ(v.as_string(), "boom: bang");
}

TEST(cel_program, concurrent_evaluation) {
    cel::environment env;
    env.declare_variable("self");
    auto p = cel::program::compile(
        "self.status.conditions.exists(c, c.type == 'Ready') && "
        "self.metadata.labels.map(k, k + '!').size() == 2 && ['a', 'b'][1] == 'b'", env);
    ASSERT_TRUE(p);
    std::atomic<int> good{0};
    auto work = [&] {
        const auto vars = doc_vars();
        for (int i = 0; i < 20000; ++i) good += is_true(p->evaluate(vars));
    };
    std::thread t1(work), t2(work);
    t1.join();
    t2.join();
    EXPECT_EQ(good.load(), 40000);
}

}  // namespace

namespace {

// cel-go reserves words such as `namespace` as identifiers only: a field selection may use them
// (kwok's shipped Metric reads pod.metadata.namespace).
TEST(cel_parse, reserved_words_are_fields_after_a_dot_but_not_identifiers) {
    cel::activation vars;
    auto obj = boost::json::parse(R"({"metadata": {"namespace": "ns1", "package": 2}})");
    vars.bind_json("self", obj);
    auto v = eval("self.metadata.namespace + string(self.metadata.package)", vars);
    ASSERT_TRUE(v.is(cel::kind::string_)) << v.debug_string();
    EXPECT_EQ(v.as_string(), "ns12");
    EXPECT_EQ(compile_error("namespace"), "column 1: reserved identifier 'namespace'");
    EXPECT_EQ(compile_error("self. namespace + package"), "column 19: reserved identifier 'package'");
}

}  // namespace

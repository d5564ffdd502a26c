// engine::flag_set: pflag's syntax and messages.
#include "engine/flags.hpp"

#include <gtest/gtest.h>

using ghost::engine::flag_error;
using ghost::engine::flag_set;
using ghost::engine::split_csv;

namespace {

struct fixture {
    std::string name;
    std::string config_single;
    bool all = false;
    bool quiet = false;
    int port = 0;
    std::vector<std::string> configs{"~/.kwok/kwok.yaml"};
    std::vector<std::string> extra;
    flag_set set{"prog"};

    fixture() {
        set.string("name", &name, "a name", 'n')
            .boolean("all", &all, "all of them", 'a')
            .boolean("quiet", &quiet, "say less", 'q')
            .integer("port", &port, 0, 65535, "a port")
            .string_slice("config", &configs, "config files", 'c')
            .string_array("extra", &extra, "extra words");
    }
};

std::string error_of(fixture& f, const std::vector<std::string>& args) {
    try {
        f.set.parse(args);
    } catch (const flag_error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(flags, long_forms_with_equals_and_separate_value) {
    fixture f;
    auto r = f.set.parse({"--name=x", "--port", "80", "pos", "--all"});
    EXPECT_EQ(f.name, "x");
    EXPECT_EQ(f.port, 80);
    EXPECT_TRUE(f.all);
    EXPECT_EQ(r.positionals, std::vector<std::string>{"pos"});
    EXPECT_TRUE(f.set.changed("name"));
    EXPECT_FALSE(f.set.changed("quiet"));
    EXPECT_EQ(f.set.changed_flags(), (std::vector<std::string>{"name", "port", "all"}));
}

TEST(flags, bools_take_an_optional_inline_value_only) {
    fixture f;
    auto r = f.set.parse({"--all=false", "--quiet", "true"});
    EXPECT_FALSE(f.all);
    EXPECT_TRUE(f.quiet);
    EXPECT_EQ(r.positionals, std::vector<std::string>{"true"});  // not consumed, as pflag
    fixture g;
    EXPECT_NE(error_of(g, {"--all=maybe"}).find("--all: expected true or false"),
              std::string::npos);
}

TEST(flags, shorthands) {
    fixture f;
    f.set.parse({"-aq", "-nfoo", "-c=a.yaml", "-c", "b.yaml,c.yaml"});
    EXPECT_TRUE(f.all);
    EXPECT_TRUE(f.quiet);
    EXPECT_EQ(f.name, "foo");
    EXPECT_EQ(f.configs, (std::vector<std::string>{"a.yaml", "b.yaml", "c.yaml"}));
    fixture g;
    g.set.parse({"-qn", "bar"});
    EXPECT_EQ(g.name, "bar");
    EXPECT_TRUE(g.quiet);
}

TEST(flags, string_slice_replaces_the_default_then_appends) {
    fixture f;
    f.set.parse({"--config=a,b", "--config", "c"});
    EXPECT_EQ(f.configs, (std::vector<std::string>{"a", "b", "c"}));
    fixture g;
    g.set.parse({"--extra=a,b", "--extra", "c"});
    EXPECT_EQ(g.extra, (std::vector<std::string>{"a,b", "c"}));
    fixture h;
    h.set.parse({"--config="});
    EXPECT_TRUE(h.configs.empty());
}

TEST(flags, csv_as_pflag) {
    EXPECT_EQ(split_csv("a,b"), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(split_csv("\"a,b\",c"), (std::vector<std::string>{"a,b", "c"}));
    EXPECT_EQ(split_csv("a,"), (std::vector<std::string>{"a", ""}));
    EXPECT_TRUE(split_csv("").empty());
    EXPECT_THROW(split_csv("\"a"), ghost::engine::invalid_value);
}

TEST(flags, double_dash_ends_flags) {
    fixture f;
    auto r = f.set.parse({"x", "--", "--all", "-q"});
    EXPECT_FALSE(f.all);
    EXPECT_EQ(r.positionals, (std::vector<std::string>{"x", "--all", "-q"}));
    fixture g;
    auto s = g.set.parse({"-", "--all"});  // a lone dash is a word (stdin)
    EXPECT_EQ(s.positionals, std::vector<std::string>{"-"});
}

TEST(flags, stop_leaves_the_rest_unparsed) {
    fixture f;
    auto r = f.set.parse({"--name", "n", "kubectl", "get", "--name", "-o"},
                         [](const auto& words) { return words.back() == "kubectl"; });
    EXPECT_EQ(f.name, "n");
    EXPECT_EQ(r.positionals, std::vector<std::string>{"kubectl"});
    EXPECT_EQ(r.rest, (std::vector<std::string>{"get", "--name", "-o"}));
}

TEST(flags, errors_use_pflag_wording) {
    fixture f;
    EXPECT_EQ(error_of(f, {"--nope"}), "unknown flag: --nope");
    EXPECT_EQ(error_of(f, {"--nope=1"}), "unknown flag: --nope");
    EXPECT_EQ(error_of(f, {"-z"}), "unknown shorthand flag: 'z' in -z");
    EXPECT_EQ(error_of(f, {"--name"}), "flag needs an argument: --name");
    EXPECT_EQ(error_of(f, {"-n"}), "flag needs an argument: 'n' in -n");
    EXPECT_EQ(error_of(f, {"--port=x"}),
              "--port: expected an integer from 0 to 65535, got \"x\"");
    EXPECT_EQ(error_of(f, {"--port=70000"}),
              "--port: expected an integer from 0 to 65535, got \"70000\"");
}

TEST(flags, usage_lists_flags_aligned) {
    fixture f;
    auto u = f.set.usage();
    EXPECT_NE(u.find("  -n, --name string"), std::string::npos) << u;
    EXPECT_NE(u.find("      --port int"), std::string::npos) << u;
    EXPECT_NE(u.find("  -c, --config strings"), std::string::npos) << u;
    auto only = f.set.usage({"all"});
    EXPECT_NE(only.find("--all"), std::string::npos);
    EXPECT_EQ(only.find("--name"), std::string::npos);
}

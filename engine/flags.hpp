#pragma once
// One command-line parser for every program (ghostlet, ghostctl, the bench mains), with the
// syntax of spf13/pflag as cobra programs such as kwok and kwokctl use it:
//   --name=value, --name value, -n value, -nvalue, -n=value
//   bool flags: --flag, --flag=true|false (never consumes the next word), -abc for shorthand bools
//   string slices: comma-separated as CSV (pflag's StringSlice); the first use replaces the
//   default, later uses append; string arrays repeat without splitting
//   "--" ends the flags; other words are positional and may come between flags (interspersed)
// Errors are flag_error with pflag's wording ("unknown flag: --x", "flag needs an argument:
// --x") or "--x: expected ..., got \"v\"" for a bad value.

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ghost::engine {

/// A bad command line; the message is one line naming the flag.
struct flag_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Thrown by value converters and setters: what was expected, without the flag's name (the
/// caller prefixes "--flag: " or "file: options.key: ").
struct invalid_value : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Go's strconv.ParseBool: 1 t T TRUE true True / 0 f F FALSE false False. Throws invalid_value.
bool parse_bool(std::string_view text);

/// A decimal integer in [lo, hi]. Throws invalid_value("expected an integer from lo to hi, ...").
std::int64_t parse_int(std::string_view text, std::int64_t lo, std::int64_t hi);

/// A StringSlice value as pflag reads it (one CSV record): "a,b" -> {a, b}; "" -> {};
/// double quotes protect commas ("\"a,b\",c" -> {a,b, c}). Throws invalid_value on a bad quote.
std::vector<std::string> split_csv(std::string_view text);

class flag_set {
public:
    using setter = std::function<void(const std::string& value)>;

    /// `program` heads the usage text ("Usage: <program> ...").
    explicit flag_set(std::string program = {});

    /// The general form. A `boolean` flag needs no value (bare use passes "true"). `value_name`
    /// is shown in help ("--cidr string"). Setters throw invalid_value for a bad value.
    flag_set& add(std::string name, char shorthand, bool boolean, std::string value_name,
                  std::string help, setter set);

    flag_set& string(std::string name, std::string* target, std::string help, char shorthand = 0);
    flag_set& boolean(std::string name, bool* target, std::string help, char shorthand = 0);
    template <class Int>
    flag_set& integer(std::string name, Int* target, std::int64_t lo, std::int64_t hi,
                      std::string help, char shorthand = 0) {
        return add(std::move(name), shorthand, false, "int", std::move(help) + default_of(*target),
                   [target, lo, hi](const std::string& v) {
                       *target = static_cast<Int>(parse_int(v, lo, hi));
                   });
    }
    /// StringSlice: CSV-split; the first use replaces the target's content, later uses append.
    flag_set& string_slice(std::string name, std::vector<std::string>* target, std::string help,
                           char shorthand = 0);
    /// StringArray: each use appends the value as given (no splitting).
    flag_set& string_array(std::string name, std::vector<std::string>* target, std::string help,
                           char shorthand = 0);
    /// Hides a flag from usage() (still parsed).
    flag_set& hidden(std::string_view name);

    struct parse_result {
        std::vector<std::string> positionals;  ///< non-flag words, in order
        std::vector<std::string> rest;         ///< words left unparsed by `stop` (see parse)
    };
    /// Parses and applies the flags. `stop`, if given, is asked after each positional word
    /// (with all positionals so far); when it returns true the remaining words are returned
    /// unparsed in `rest` (e.g. "ghostctl kubectl ..."). Throws flag_error.
    parse_result parse(const std::vector<std::string>& args,
                       const std::function<bool(const std::vector<std::string>&)>& stop = {});

    /// Applies one value to a flag as if given on the command line (configuration files);
    /// throws invalid_value from the setter, std::out_of_range for an unknown name.
    void set(std::string_view name, const std::string& value);

    bool has(std::string_view name) const;
    bool is_boolean(std::string_view name) const;
    /// True when the flag appeared on the command line (pflag's Changed).
    bool changed(std::string_view name) const;
    /// Long names of the flags that appeared, in first-appearance order.
    const std::vector<std::string>& changed_flags() const { return changed_; }

    /// "Flags:" help block (pflag's FlagUsages layout), optionally only the named flags.
    std::string usage() const;
    std::string usage(const std::vector<std::string>& only) const;
    const std::string& program() const { return program_; }

private:
    struct flag {
        std::string name;
        char shorthand = 0;
        bool boolean = false;
        bool hidden = false;
        std::string value_name;
        std::string help;
        setter set;
        int uses = 0;
    };
    flag* find(std::string_view name);
    const flag* find(std::string_view name) const;
    flag* find_short(char c);
    void apply(flag& f, const std::string& value, std::string_view shown);
    static std::string default_of(std::int64_t v) {
        return v == 0 ? std::string() : " (default " + std::to_string(v) + ")";
    }

    std::string program_;
    std::vector<flag> flags_;
    std::vector<std::string> changed_;
};

}  // namespace ghost::engine

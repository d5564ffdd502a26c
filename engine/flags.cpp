#include "engine/flags.hpp"

#include <algorithm>
#include <charconv>
#include <memory>
#include <sstream>

namespace ghost::engine {

bool parse_bool(std::string_view t) {
    if (t == "1" || t == "t" || t == "T" || t == "true" || t == "TRUE" || t == "True") return true;
    if (t == "0" || t == "f" || t == "F" || t == "false" || t == "FALSE" || t == "False") {
        return false;
    }
    throw invalid_value("expected true or false, got \"" + std::string(t) + "\"");
}

std::int64_t parse_int(std::string_view text, std::int64_t lo, std::int64_t hi) {
    std::int64_t value = 0;
    const char* begin = text.data();
    const char* end = text.data() + text.size();
    if (begin != end && *begin == '+') ++begin;  // Go's ParseInt takes a sign
    auto [ptr, ec] = std::from_chars(begin, end, value);
    if (text.empty() || ec != std::errc() || ptr != end || value < lo || value > hi) {
        throw invalid_value("expected an integer from " + std::to_string(lo) + " to " +
                            std::to_string(hi) + ", got \"" + std::string(text) + "\"");
    }
    return value;
}

std::vector<std::string> split_csv(std::string_view text) {
    // encoding/csv reading one record, as pflag's readAsCSV: fields split on commas, a field
    // that starts with a quote runs to the closing quote ("" inside is one quote).
    std::vector<std::string> out;
    if (text.empty()) return out;
    std::size_t i = 0;
    while (true) {
        std::string field;
        if (i < text.size() && text[i] == '"') {
            ++i;
            while (true) {
                if (i >= text.size()) {
                    throw invalid_value("unterminated quote in \"" + std::string(text) + "\"");
                }
                if (text[i] == '"') {
                    if (i + 1 < text.size() && text[i + 1] == '"') {
                        field += '"';
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                field += text[i++];
            }
            if (i < text.size() && text[i] != ',') {
                throw invalid_value("extraneous text after a quoted field in \"" +
                                    std::string(text) + "\"");
            }
        } else {
            auto comma = text.find(',', i);
            auto piece = text.substr(i, comma == std::string_view::npos ? std::string_view::npos
                                                                        : comma - i);
            if (piece.find('"') != std::string_view::npos) {
                throw invalid_value("bare quote in a field of \"" + std::string(text) + "\"");
            }
            field = std::string(piece);
            i += piece.size();
        }
        out.push_back(std::move(field));
        if (i >= text.size()) break;
        ++i;  // the comma
        if (i == text.size()) {
            out.emplace_back();
            break;
        }
    }
    return out;
}

flag_set::flag_set(std::string program) : program_(std::move(program)) {}

flag_set& flag_set::add(std::string name, char shorthand, bool boolean, std::string value_name,
                        std::string help, setter set) {
    flags_.push_back({std::move(name), shorthand, boolean, false, std::move(value_name),
                      std::move(help), std::move(set), 0});
    return *this;
}

flag_set& flag_set::string(std::string name, std::string* target, std::string help,
                           char shorthand) {
    if (!target->empty()) help += " (default \"" + *target + "\")";
    return add(std::move(name), shorthand, false, "string", std::move(help),
               [target](const std::string& v) { *target = v; });
}

flag_set& flag_set::boolean(std::string name, bool* target, std::string help, char shorthand) {
    if (*target) help += " (default true)";
    return add(std::move(name), shorthand, true, "", std::move(help),
               [target](const std::string& v) { *target = parse_bool(v); });
}

flag_set& flag_set::string_slice(std::string name, std::vector<std::string>* target,
                                 std::string help, char shorthand) {
    auto first = std::make_shared<bool>(true);
    return add(std::move(name), shorthand, false, "strings", std::move(help),
               [target, first](const std::string& v) {
                   auto items = split_csv(v);
                   if (*first) target->clear();
                   *first = false;
                   target->insert(target->end(), items.begin(), items.end());
               });
}

flag_set& flag_set::string_array(std::string name, std::vector<std::string>* target,
                                 std::string help, char shorthand) {
    auto first = std::make_shared<bool>(true);
    return add(std::move(name), shorthand, false, "stringArray", std::move(help),
               [target, first](const std::string& v) {
                   if (*first) target->clear();
                   *first = false;
                   target->push_back(v);
               });
}

flag_set& flag_set::hidden(std::string_view name) {
    if (auto* f = find(name)) f->hidden = true;
    return *this;
}

flag_set::flag* flag_set::find(std::string_view name) {
    for (auto& f : flags_) {
        if (f.name == name) return &f;
    }
    return nullptr;
}

const flag_set::flag* flag_set::find(std::string_view name) const {
    return const_cast<flag_set*>(this)->find(name);
}

flag_set::flag* flag_set::find_short(char c) {
    for (auto& f : flags_) {
        if (f.shorthand == c) return &f;
    }
    return nullptr;
}

bool flag_set::has(std::string_view name) const { return find(name) != nullptr; }

bool flag_set::is_boolean(std::string_view name) const {
    const auto* f = find(name);
    return f && f->boolean;
}

bool flag_set::changed(std::string_view name) const {
    return std::find(changed_.begin(), changed_.end(), name) != changed_.end();
}

void flag_set::set(std::string_view name, const std::string& value) {
    auto* f = find(name);
    if (!f) throw std::out_of_range("no flag --" + std::string(name));
    f->set(value);
}

void flag_set::apply(flag& f, const std::string& value, std::string_view shown) {
    try {
        f.set(value);
    } catch (const invalid_value& e) {
        throw flag_error(std::string(shown) + ": " + e.what());
    }
    ++f.uses;
    if (!changed(f.name)) changed_.push_back(f.name);
}

flag_set::parse_result flag_set::parse(
    const std::vector<std::string>& args,
    const std::function<bool(const std::vector<std::string>&)>& stop) {
    parse_result out;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--") {
            out.positionals.insert(out.positionals.end(), args.begin() + i + 1, args.end());
            break;
        }
        if (arg.size() < 2 || arg[0] != '-') {
            out.positionals.push_back(arg);
            if (stop && stop(out.positionals)) {
                out.rest.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
                break;
            }
            continue;
        }
        if (arg[1] == '-') {
            auto eq = arg.find('=');
            std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
            if (name.empty() || name[0] == '-' || name[0] == '=') {
                throw flag_error("bad flag syntax: " + arg);
            }
            flag* f = find(name);
            if (!f) throw flag_error("unknown flag: --" + name);
            if (eq != std::string::npos) {
                apply(*f, arg.substr(eq + 1), "--" + name);
            } else if (f->boolean) {
                apply(*f, "true", "--" + name);
            } else if (i + 1 < args.size()) {
                apply(*f, args[++i], "--" + name);
            } else {
                throw flag_error("flag needs an argument: --" + name);
            }
            continue;
        }
        // Shorthands: -abc (bools), -cvalue, -c=value, -c value.
        for (std::size_t j = 1; j < arg.size(); ++j) {
            char c = arg[j];
            flag* f = find_short(c);
            if (!f) {
                throw flag_error(std::string("unknown shorthand flag: '") + c + "' in " + arg);
            }
            std::string shown = "-" + std::string(1, c);
            if (j + 1 < arg.size() && arg[j + 1] == '=') {
                apply(*f, arg.substr(j + 2), shown);
                break;
            }
            if (f->boolean) {
                apply(*f, "true", shown);
                continue;
            }
            if (j + 1 < arg.size()) {
                apply(*f, arg.substr(j + 1), shown);
            } else if (i + 1 < args.size()) {
                apply(*f, args[++i], shown);
            } else {
                throw flag_error(std::string("flag needs an argument: '") + c + "' in " + arg);
            }
            break;
        }
    }
    return out;
}

std::string flag_set::usage() const { return usage({}); }

std::string flag_set::usage(const std::vector<std::string>& only) const {
    // pflag's FlagUsages: "  -c, --config strings   help", help texts aligned in one column.
    std::vector<std::pair<std::string, const flag*>> rows;
    std::size_t width = 0;
    for (const auto& f : flags_) {
        if (f.hidden) continue;
        if (!only.empty() && std::find(only.begin(), only.end(), f.name) == only.end()) continue;
        std::string left = f.shorthand ? std::string("  -") + f.shorthand + ", --" + f.name
                                       : "      --" + f.name;
        if (!f.value_name.empty()) left += " " + f.value_name;
        width = std::max(width, left.size());
        rows.emplace_back(std::move(left), &f);
    }
    std::ostringstream out;
    for (const auto& [left, f] : rows) {
        out << left << std::string(width - left.size() + 3, ' ') << f->help << '\n';
    }
    return out.str();
}

}  // namespace ghost::engine

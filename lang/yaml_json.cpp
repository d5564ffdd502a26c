#include "lang/yaml_json.hpp"

#include "engine/error.hpp"
#include "lang/gotpl_format.hpp"
#include "lang/yaml_line.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <istream>
#include <limits>
#include <streambuf>
#include <unordered_map>
#include <vector>

namespace ghost::lang {

namespace json = boost::json;

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// strconv.ParseInt/ParseUint with base 0 (sign, 0x/0o/0b prefixes, leading-0 octal).
bool parse_go_int(std::string_view s, json::value& out) {
    bool neg = false;
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        s.remove_prefix(1);
    }
    int base = 10;
    if (s.size() >= 2 && s[0] == '0') {
        char p = s[1];
        if (p == 'x' || p == 'X') {
            base = 16;
            s.remove_prefix(2);
        } else if (p == 'o' || p == 'O') {
            base = 8;
            s.remove_prefix(2);
        } else if (p == 'b' || p == 'B') {
            base = 2;
            s.remove_prefix(2);
        } else {
            base = 8;
            s.remove_prefix(1);
        }
    }
    if (s.empty()) return false;
    std::uint64_t mag = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), mag, base);
    if (ec != std::errc() || ptr != s.data() + s.size()) return false;
    return gotpl_format::integer_value(neg, mag, out);
}

// go-yaml's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool yaml_style_float(std::string_view s) {
    std::size_t i = 0, n = s.size();
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (i < n && s[i] == '.') {
        ++i;
        std::size_t d = i;
        while (i < n && is_digit(s[i])) ++i;
        if (i == d) return false;
    } else {
        std::size_t d = i;
        while (i < n && is_digit(s[i])) ++i;
        if (i == d) return false;
        if (i < n && s[i] == '.') {
            ++i;
            while (i < n && is_digit(s[i])) ++i;
        }
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
        std::size_t d = i;
        while (i < n && is_digit(s[i])) ++i;
        if (i == d) return false;
    }
    return i == n;
}

bool parse_float(std::string_view s, double& out) {
    bool neg = false;
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        s.remove_prefix(1);
    }
    if (s.empty()) return false;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc() || ptr != s.data() + s.size()) return false;
    if (neg) out = -out;
    return true;
}

struct view_buf : std::streambuf {
    explicit view_buf(std::string_view s) {
        char* p = const_cast<char*>(s.data());
        setg(p, p, p + s.size());
    }
};

// Builds a json::value from yaml-cpp parse events (cheaper than materialising YAML::Node).
class json_builder : public YAML::EventHandler {
public:
    json::value root;
    bool done = false;

    void OnDocumentStart(const YAML::Mark&) override {}
    void OnDocumentEnd() override { done = true; }

    void OnNull(const YAML::Mark&, YAML::anchor_t anchor) override {
        add(json::value(), anchor, true, "");
    }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        auto it = anchors_.find(anchor);
        if (it == anchors_.end()) return add(json::value(), 0, false, "");
        check_aliasing(mark, it->second.count);
        add(it->second.value, 0, false, "", it->second.count);
    }
    void OnScalar(const YAML::Mark&, const std::string& tag, YAML::anchor_t anchor,
                  const std::string& value) override {
        bool plain = tag == "?";
        json::value v;
        if (plain || tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" ||
            tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:null") {
            v = resolve_plain_scalar(value);
        } else {
            v = json::string(value);
        }
        add(std::move(v), anchor, plain, value);
    }
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override {
        stack_.push_back(frame{json::array(), anchor, {}, false, false});
    }
    void OnSequenceEnd() override { close(); }
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value) override {
        stack_.push_back(frame{json::object(), anchor, {}, false, false});
    }
    void OnMapEnd() override { close(); }

private:
    struct frame {
        json::value container;
        YAML::anchor_t anchor;
        std::string key;
        bool have_key;
        bool merge;  // the pending key is a plain `<<`
        std::uint64_t count = 1;  // values in this container, itself included
    };
    struct anchored {
        json::value value;
        std::uint64_t count;
    };

    // Checked before the copy is made.
    void check_aliasing(const YAML::Mark& mark, std::uint64_t expansion) {
        std::uint64_t decoded = decoded_ + expansion, from_aliases = from_aliases_ + expansion;
        if (excessive_aliasing(decoded, from_aliases))
            throw YAML::ParserException(
                mark, "document contains excessive aliasing (aliases would expand to " +
                          std::to_string(from_aliases) + " of " + std::to_string(decoded) +
                          " values)");
        from_aliases_ = from_aliases;
    }

    void close() {
        frame f = std::move(stack_.back());
        stack_.pop_back();
        decoded_ -= f.count - 1;  // the children are counted; add() counts them again
        add(std::move(f.container), f.anchor, false, "", f.count);
    }

    static std::string key_text(const json::value& v, bool plain_null, std::string_view raw) {
        switch (v.kind()) {
        case json::kind::string: return std::string(v.get_string());
        case json::kind::bool_: return v.get_bool() ? "true" : "false";
        case json::kind::int64:
        case json::kind::uint64:
        case json::kind::double_: return gotpl_format::number_text(v);
        case json::kind::null: return plain_null ? "null" : std::string(raw);
        default: return json::serialize(v);
        }
    }

    static void merge_into(json::object& dst, const json::value& src) {
        if (src.is_object()) {
            for (auto const& kv : src.get_object()) {
                if (!dst.contains(kv.key())) dst.emplace(kv.key(), kv.value());
            }
        } else if (src.is_array()) {
            for (auto const& item : src.get_array()) merge_into(dst, item);
        }
    }

    void add(json::value v, YAML::anchor_t anchor, bool plain, std::string_view raw,
             std::uint64_t count = 1) {
        decoded_ += count;
        if (anchor != 0) anchors_[anchor] = anchored{v, count};
        if (stack_.empty()) {
            root = std::move(v);
            return;
        }
        frame& top = stack_.back();
        top.count += count;
        if (top.container.is_array()) {
            top.container.get_array().emplace_back(std::move(v));
        } else if (!top.have_key) {
            top.key = key_text(v, plain, raw);
            top.merge = plain && raw == "<<";
            top.have_key = true;
        } else {
            auto& obj = top.container.get_object();
            if (top.merge) {
                merge_into(obj, v);
            } else {
                obj[top.key] = std::move(v);
            }
            top.have_key = false;
        }
    }

    std::vector<frame> stack_;
    std::unordered_map<YAML::anchor_t, anchored> anchors_;
    std::uint64_t decoded_ = 0, from_aliases_ = 0;
};

}  // namespace

bool excessive_aliasing(std::uint64_t decoded, std::uint64_t from_aliases) {
    constexpr double low = 400'000, high = 4'000'000;
    const double d = static_cast<double>(decoded);
    const double allowed =
        d <= low ? 0.99 : d >= high ? 0.10 : 0.99 - 0.89 * (d - low) / (high - low);
    return from_aliases > 100 && decoded > 1000 && static_cast<double>(from_aliases) / d > allowed;
}

json::value resolve_plain_scalar(std::string_view in) {
    return resolve_plain_scalar(in, {});
}

json::value resolve_plain_scalar(std::string_view in, json::storage_ptr sp) {
    if (in.empty()) return nullptr;
    char c = in[0];
    switch (c) {
    case 'y': case 'Y': case 'n': case 'N': case 't': case 'T': case 'f': case 'F':
    case 'o': case 'O': case '~': {
        static const std::unordered_map<std::string_view, json::value> words = [] {
            std::unordered_map<std::string_view, json::value> m;
            for (auto w : {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})
                m.emplace(w, true);
            for (auto w : {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off",
                           "OFF"})
                m.emplace(w, false);
            for (auto w : {"~", "null", "Null", "NULL"}) m.emplace(w, nullptr);
            return m;
        }();
        if (in.size() <= 5) {
            auto it = words.find(in);
            if (it != words.end()) return json::value(it->second, sp);
        }
        return json::string(in, sp);
    }
    case '.': {
        if (in == ".nan" || in == ".NaN" || in == ".NAN")
            return std::numeric_limits<double>::quiet_NaN();
        if (in == ".inf" || in == ".Inf" || in == ".INF")
            return std::numeric_limits<double>::infinity();
        double d;
        if (yaml_style_float(in) && parse_float(in, d)) return d;
        return json::string(in, sp);
    }
    case '+': case '-':
        if (in == "+.inf" || in == "+.Inf" || in == "+.INF")
            return std::numeric_limits<double>::infinity();
        if (in == "-.inf" || in == "-.Inf" || in == "-.INF")
            return -std::numeric_limits<double>::infinity();
        [[fallthrough]];
    default: {
        if (!(is_digit(c) || c == '+' || c == '-')) return json::string(in, sp);
        std::string plain;
        plain.reserve(in.size());
        for (char ch : in)
            if (ch != '_') plain.push_back(ch);
        json::value out;
        if (parse_go_int(plain, out)) return out;
        double d;
        if (yaml_style_float(plain) && parse_float(plain, d)) return d;
        return json::string(in, sp);
    }
    }
}

namespace {

// Fast path for the plain block-style YAML that stage templates render: block mappings and
// sequences, single-line plain/quoted scalars, `[]`/`{}`, comments. Anything else (anchors, tags,
// block or multi-line scalars, flow collections, document markers, tabs, errors) makes it give
// up, and the document goes through yaml-cpp instead. Both paths must agree; the tests check
// that on every stage output.
class block_parser {
public:
    explicit block_parser(std::string_view text, json::storage_ptr sp = {}) : sp_(std::move(sp)) {
        // Tabs, CR and other control characters have subtle YAML rules: leave them to yaml-cpp.
        for (char c : text) {
            if ((static_cast<unsigned char>(c) < 0x20 && c != '\n') || c == 0x7f) {
                ok_ = false;
                return;
            }
        }
        std::size_t start = 0;
        while (start <= text.size()) {
            auto nl = text.find('\n', start);
            std::string_view raw = text.substr(start, nl == std::string_view::npos
                                                          ? std::string_view::npos
                                                          : nl - start);
            std::size_t indent = 0;
            while (indent < raw.size() && raw[indent] == ' ') ++indent;
            std::string_view content = raw.substr(indent);
            if (!content.empty() && content[0] != '#') {
                if (indent == 0 && (content.starts_with("---") || content.starts_with("...") ||
                                    content[0] == '%'))
                    ok_ = false;
                lines_.push_back({indent, content});
            }
            if (nl == std::string_view::npos) break;
            start = nl + 1;
        }
    }

    // False: not handled here, use yaml-cpp.
    bool parse(json::value& out) {
        if (!ok_) return false;
        if (lines_.empty()) {
            out = nullptr;
            return true;
        }
        if (!node(lines_[0].indent, out)) return false;
        return ok_ && i_ == lines_.size();
    }

private:
    struct line {
        std::size_t indent;
        std::string_view content;
    };

    static bool is_dash(std::string_view c) { return yaml_line::is_dash(c); }
    static std::size_t key_colon(std::string_view c) { return yaml_line::key_colon(c); }
    static bool blank_or_comment(std::string_view r) { return yaml_line::blank_or_comment(r); }

    bool fail() { return ok_ = false; }

    bool node(std::size_t indent, json::value& out) {
        const line& l = lines_[i_];
        if (is_dash(l.content)) return sequence(indent, out);
        if (key_colon(l.content) != std::string_view::npos) return mapping(indent, out);
        // A lone scalar: only when nothing more indented follows (no multi-line plain scalars).
        if (!scalar(l.content, out)) return false;
        ++i_;
        if (i_ < lines_.size() && lines_[i_].indent > parent_indent_) return fail();
        return true;
    }

    // The value of `key:` / `-` with nothing after it on the line.
    bool nested(std::size_t indent, bool allow_same_indent_seq, json::value& out) {
        if (i_ < lines_.size()) {
            const line& n = lines_[i_];
            if (n.indent > indent) {
                std::size_t saved = parent_indent_;
                parent_indent_ = indent;
                bool ok = node(n.indent, out);
                parent_indent_ = saved;
                return ok;
            }
            if (allow_same_indent_seq && n.indent == indent && is_dash(n.content))
                return sequence(indent, out);
        }
        out = nullptr;
        return true;
    }

    bool mapping(std::size_t indent, json::value& out) {
        json::object obj(sp_);
        while (i_ < lines_.size()) {
            line& l = lines_[i_];
            if (l.indent < indent) break;
            if (l.indent > indent) return fail();
            std::size_t colon = key_colon(l.content);
            if (colon == std::string_view::npos) return fail();
            std::string_view key_src = l.content.substr(0, colon);
            while (!key_src.empty() && key_src.back() == ' ') key_src.remove_suffix(1);
            if (key_src.empty()) return fail();
            std::string key_text;
            std::string_view key;
            if (!yaml_line::key_text(key_src, sp_, key_text, key)) return fail();
            std::string_view rest = l.content.substr(colon + 1);
            ++i_;
            json::value v(sp_);
            if (blank_or_comment(rest)) {
                if (!nested(indent, true, v)) return false;
            } else {
                while (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
                if (!scalar(rest, v)) return false;
                if (i_ < lines_.size() && lines_[i_].indent > indent) return fail();
            }
            obj.insert_or_assign(key, std::move(v));
        }
        out = std::move(obj);
        return true;
    }

    bool sequence(std::size_t indent, json::value& out) {
        json::array arr(sp_);
        while (i_ < lines_.size()) {
            line& l = lines_[i_];
            if (l.indent < indent) break;
            if (l.indent > indent) return fail();
            if (!is_dash(l.content)) break;  // the caller decides whether that is valid
            std::string_view rest = l.content.substr(1);
            std::size_t skip = 1;
            while (skip - 1 < rest.size() && rest[skip - 1] == ' ') ++skip;
            rest = l.content.substr(skip);
            json::value v(sp_);
            if (rest.empty() || rest[0] == '#') {
                ++i_;
                if (!nested(indent, false, v)) return false;
            } else if (is_dash(rest)) {
                return fail();
            } else if (key_colon(rest) != std::string_view::npos) {
                // "- key: value": a mapping whose keys line up with `key`.
                l.indent = indent + skip;
                l.content = rest;
                if (!mapping(l.indent, v)) return false;
            } else {
                ++i_;
                if (!scalar(rest, v)) return false;
                if (i_ < lines_.size() && lines_[i_].indent > indent) return fail();
            }
            arr.push_back(std::move(v));
        }
        out = std::move(arr);
        return true;
    }

    // A single-line scalar value followed by nothing but an optional comment.
    bool scalar(std::string_view s, json::value& out) {
        return yaml_line::scalar(s, out) || fail();
    }

    json::storage_ptr sp_;  // every value is made here (callers pass an arena)
    std::vector<line> lines_;
    std::size_t i_ = 0;
    std::size_t parent_indent_ = 0;
    bool ok_ = true;
};

boost::system::result<json::value> yaml_cpp_to_json(std::string_view yaml,
                                                    std::string* error_message) {
    try {
        view_buf buf(yaml);
        std::istream in(&buf);
        YAML::Parser parser(in);
        json_builder builder;
        if (!parser.HandleNextDocument(builder)) return json::value();
        return std::move(builder.root);
    } catch (const std::exception& e) {  // YAML::Exception, and anything else yaml-cpp throws
        if (error_message) *error_message = std::string("yaml: ") + e.what();
        return engine::make_error_code(engine::errc::parse_error);
    }
}

}  // namespace

boost::system::result<json::value> yaml_to_json(std::string_view yaml,
                                                std::string* error_message) {
    return yaml_to_json(yaml, {}, error_message);
}

boost::system::result<json::value> yaml_to_json(std::string_view yaml, json::storage_ptr sp,
                                                std::string* error_message) {
    json::value out(sp);
    if (block_parser(yaml, sp).parse(out)) return out;
    auto slow = yaml_cpp_to_json(yaml, error_message);
    if (!slow) return slow.error();
    return json::value(std::move(*slow), std::move(sp));
}

namespace detail_testing {
boost::system::result<json::value> yaml_to_json_slow(std::string_view yaml, std::string* err) {
    return yaml_cpp_to_json(yaml, err);
}
bool yaml_to_json_fast(std::string_view yaml, json::value& out) {
    return block_parser(yaml).parse(out);
}
}  // namespace detail_testing

// ---------------------------------------------------------------------------------------------
// Marshalling

namespace {

// A YAML 1.1 date (2006-1-2): read back as a string, but go-yaml v2 quotes it (kwok's files
// do), and YAML 1.1 readers such as PyYAML would take it for a date.
bool looks_like_date(std::string_view s) {
    auto digits = [&](std::size_t& i, std::size_t lo, std::size_t hi) {
        std::size_t n = 0;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && n < hi) ++i, ++n;
        return n >= lo;
    };
    std::size_t i = 0;
    if (!digits(i, 4, 4) || i >= s.size() || s[i++] != '-') return false;
    if (!digits(i, 1, 2) || i >= s.size() || s[i++] != '-') return false;
    return digits(i, 1, 2) && i == s.size();
}

bool needs_quotes(std::string_view s) {
    if (s.empty()) return true;
    if (!resolve_plain_scalar(s).is_string() || looks_like_date(s)) return true;
    unsigned char first = static_cast<unsigned char>(s[0]);
    if (!(std::isalnum(first) || first == '/' || first == '.' || first == '_' || first >= 0x80))
        return true;
    if (s.back() == ' ') return true;
    for (unsigned char ch : s) {
        if (std::isalnum(ch) || ch >= 0x80) continue;
        switch (ch) {
        case '.': case '_': case '-': case '/': case ' ': case '+': case '=': case '(': case ')':
        case '<': case '>': case '@': case '$': case '^': case ';': case ',':
            continue;
        default:
            return true;
        }
    }
    return false;
}

void write_string(std::string& out, std::string_view s) {
    if (!needs_quotes(s)) {
        out.append(s);
        return;
    }
    gotpl_format::append_json_string(out, s);
}

void write_scalar(std::string& out, const json::value& v) {
    switch (v.kind()) {
    case json::kind::null: out.append("null"); break;
    case json::kind::bool_: out.append(v.get_bool() ? "true" : "false"); break;
    case json::kind::string: write_string(out, v.get_string()); break;
    case json::kind::double_: {
        double d = v.get_double();
        if (std::isnan(d)) out.append(".nan");
        else if (std::isinf(d)) out.append(d > 0 ? ".inf" : "-.inf");
        else out.append(gotpl_format::number_text(v));
        break;
    }
    default: out.append(gotpl_format::number_text(v)); break;
    }
}

bool is_empty_container(const json::value& v) {
    return (v.is_array() && v.get_array().empty()) || (v.is_object() && v.get_object().empty());
}

void write_block(std::string& out, const json::value& v, int indent);

// Writes the value that follows "key:" or "- ".
void write_after_key(std::string& out, const json::value& v, int indent) {
    if (v.is_object() && !v.get_object().empty()) {
        out.push_back('\n');
        write_block(out, v, indent + 2);
    } else if (v.is_array() && !v.get_array().empty()) {
        out.push_back('\n');
        // go-yaml v2 does not indent a sequence under a mapping key.
        write_block(out, v, indent);
    } else {
        out.push_back(' ');
        if (is_empty_container(v)) out.append(v.is_array() ? "[]" : "{}");
        else write_scalar(out, v);
        out.push_back('\n');
    }
}

void write_block(std::string& out, const json::value& v, int indent) {
    if (v.is_object()) {
        const auto& obj = v.get_object();
        std::vector<const json::key_value_pair*> items;
        items.reserve(obj.size());
        for (auto const& kv : obj) items.push_back(&kv);
        std::sort(items.begin(), items.end(),
                  [](auto* a, auto* b) { return a->key() < b->key(); });
        for (auto* kv : items) {
            out.append(std::size_t(indent), ' ');
            write_string(out, kv->key());
            out.push_back(':');
            write_after_key(out, kv->value(), indent);
        }
    } else if (v.is_array()) {
        for (auto const& item : v.get_array()) {
            out.append(std::size_t(indent), ' ');
            out.append("- ");
            if (item.is_object() && !item.get_object().empty()) {
                // First key on the dash line, the rest aligned under it.
                std::string nested;
                write_block(nested, item, indent + 2);
                out.append(nested, std::size_t(indent + 2), std::string::npos);
            } else if (item.is_array() && !item.get_array().empty()) {
                std::string nested;
                write_block(nested, item, indent + 2);
                out.append(nested, std::size_t(indent + 2), std::string::npos);
            } else {
                if (is_empty_container(item)) out.append(item.is_array() ? "[]" : "{}");
                else write_scalar(out, item);
                out.push_back('\n');
            }
        }
    } else {
        out.append(std::size_t(indent), ' ');
        write_scalar(out, v);
        out.push_back('\n');
    }
}

}  // namespace

std::string json_to_yaml(const json::value& value, int indent_levels) {
    std::string data;
    if (is_empty_container(value)) {
        data = value.is_array() ? "[]\n" : "{}\n";
    } else {
        write_block(data, value, 0);
    }
    if (indent_levels <= 0) return data;
    std::string pad(std::size_t(indent_levels) * 2, ' ');
    std::string out;
    out.reserve(data.size() * 2 + pad.size());
    out.push_back('\n');
    out.append(pad);
    for (char c : data) {
        out.push_back(c);
        if (c == '\n') out.append(pad);
    }
    return out;
}

}  // namespace ghost::lang

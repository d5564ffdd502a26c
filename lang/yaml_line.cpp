#include "lang/yaml_line.hpp"

#include "lang/gotpl_format.hpp"
#include "lang/yaml_json.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace ghost::lang::yaml_line {

namespace json = boost::json;

std::size_t key_colon(std::string_view c) {
    if (c.empty()) return std::string_view::npos;
    std::size_t i = 0;
    if (c[0] == '"' || c[0] == '\'') {
        char q = c[0];
        for (i = 1; i < c.size(); ++i) {
            if (q == '"' && c[i] == '\\') {
                ++i;
                continue;
            }
            if (c[i] == q) {
                if (q == '\'' && i + 1 < c.size() && c[i + 1] == '\'') {
                    ++i;
                    continue;
                }
                break;
            }
        }
        if (i >= c.size()) return std::string_view::npos;
        std::size_t j = i + 1;
        while (j < c.size() && c[j] == ' ') ++j;
        if (j < c.size() && c[j] == ':' && (j + 1 == c.size() || c[j + 1] == ' ')) return j;
        return std::string_view::npos;
    }
    for (i = 0; i < c.size(); ++i) {
        if (c[i] == ':' && (i + 1 == c.size() || c[i + 1] == ' ')) return i;
        if (c[i] == '#' && i > 0 && c[i - 1] == ' ') return std::string_view::npos;
    }
    return std::string_view::npos;
}

bool blank_or_comment(std::string_view rest) {
    std::size_t k = 0;
    while (k < rest.size() && rest[k] == ' ') ++k;
    return k == rest.size() || rest[k] == '#';
}

bool plain_ok(std::string_view s) {
    if (s.empty()) return false;
    switch (s[0]) {
    case '[': case ']': case '{': case '}': case ',': case '#': case '&': case '*':
    case '!': case '|': case '>': case '\'': case '"': case '%': case '@': case '`':
        return false;
    case '-': case '?': case ':':
        if (s.size() == 1 || s[1] == ' ') return false;
        break;
    default: break;
    }
    return s.find(": ") == std::string_view::npos && s.back() != ':';
}

namespace {

bool double_quoted(std::string_view s, json::value& out) {
    json::string& v = out.emplace_string();
    // Most quoted scalars have no escapes: take them whole.
    std::size_t stop = 1;  // (find_first_of is a memchr per character here)
    while (stop < s.size() && s[stop] != '"' && s[stop] != '\\') ++stop;
    if (stop < s.size() && s[stop] == '"') {
        if (!blank_or_comment(s.substr(stop + 1))) return false;
        v.assign(s.substr(1, stop - 1));
        return true;
    }
    std::size_t i = 1;
    for (;; ++i) {
        if (i >= s.size()) return false;
        char c = s[i];
        if (c == '"') break;
        if (c != '\\') {
            v.push_back(c);
            continue;
        }
        if (++i >= s.size()) return false;
        switch (s[i]) {
        case '0': v.push_back('\0'); break;
        case 'a': v.push_back('\a'); break;
        case 'b': v.push_back('\b'); break;
        case 't': v.push_back('\t'); break;
        case 'n': v.push_back('\n'); break;
        case 'v': v.push_back('\v'); break;
        case 'f': v.push_back('\f'); break;
        case 'r': v.push_back('\r'); break;
        case 'e': v.push_back('\x1b'); break;
        case ' ': v.push_back(' '); break;
        case '"': v.push_back('"'); break;
        case '\\': v.push_back('\\'); break;
        case 'x':
        case 'u':
        case 'U': {
            std::size_t n = s[i] == 'x' ? 2 : s[i] == 'u' ? 4 : 8;
            if (i + n >= s.size()) return false;
            std::uint32_t cp = 0;
            auto r = std::from_chars(s.data() + i + 1, s.data() + i + 1 + n, cp, 16);
            if (r.ec != std::errc() || r.ptr != s.data() + i + 1 + n) return false;
            if (cp >= 0xD800 && cp <= 0xDFFF) return false;  // surrogates: yaml-cpp
            std::string utf8;
            gotpl_format::append_utf8(utf8, cp);
            v.append(utf8);
            i += n;
            break;
        }
        default: return false;
        }
    }
    return blank_or_comment(s.substr(i + 1));
}

bool single_quoted(std::string_view s, json::value& out) {
    json::string& v = out.emplace_string();
    std::size_t i = 1;
    for (;; ++i) {
        if (i >= s.size()) return false;
        if (s[i] == '\'') {
            if (i + 1 < s.size() && s[i + 1] == '\'') {
                v.push_back('\'');
                ++i;
                continue;
            }
            break;
        }
        v.push_back(s[i]);
    }
    return blank_or_comment(s.substr(i + 1));
}

}  // namespace

bool scalar(std::string_view s, json::value& out) {
    if (s.empty()) return false;
    if (s[0] == '"') return double_quoted(s, out);
    if (s[0] == '\'') return single_quoted(s, out);
    if (s[0] == '[' || s[0] == '{') {
        char close = s[0] == '[' ? ']' : '}';
        if (s.size() >= 2 && s[1] == close && blank_or_comment(s.substr(2))) {
            if (s[0] == '[') out.emplace_array();
            else out.emplace_object();
            return true;
        }
        return false;
    }
    // Plain: up to a comment, trailing spaces dropped.
    std::size_t end = s.size();
    for (std::size_t i = 1; i < s.size(); ++i) {
        if (s[i] == '#' && s[i - 1] == ' ') {
            end = i;
            break;
        }
    }
    std::string_view p = s.substr(0, end);
    while (!p.empty() && p.back() == ' ') p.remove_suffix(1);
    if (!plain_ok(p)) return false;
    out = resolve_plain_scalar(p, out.storage());
    return true;
}

namespace {

// A plain scalar resolve_plain_scalar keeps as a string, known from its first character (no
// bool/null word, number or .inf/.nan starts with it).
bool plain_is_string(std::string_view s) {
    switch (s[0]) {
    case 'y': case 'Y': case 'n': case 'N': case 't': case 'T': case 'f': case 'F':
    case 'o': case 'O': case '~': case '.': case '+': case '-':
        return false;
    default: return !(s[0] >= '0' && s[0] <= '9');
    }
}

}  // namespace

bool key_text(std::string_view key_src, json::storage_ptr sp, std::string& storage,
              std::string_view& key) {
    while (!key_src.empty() && key_src.back() == ' ') key_src.remove_suffix(1);
    if (key_src.empty()) return false;
    json::value k(sp);
    if (key_src[0] == '"' || key_src[0] == '\'') {
        if (!scalar(key_src, k) || !k.is_string()) return false;
        storage.assign(k.get_string());
        key = storage;
        return true;
    }
    // Most keys are plain words that resolve to themselves: no copy for those.
    if (!plain_ok(key_src) || key_src == "<<") return false;
    if (plain_is_string(key_src)) {
        key = key_src;
        return true;
    }
    k = resolve_plain_scalar(key_src, sp);
    if (k.is_string()) key = key_src;
    else if (k.is_bool()) key = k.get_bool() ? "true" : "false";
    else if (k.is_null()) key = "null";
    else if (k.is_double() && !std::isfinite(k.get_double())) return false;
    else key = storage = gotpl_format::number_text(k);
    return true;
}

bool parse_head(std::string_view content, line_head& head) {
    head.dash = 0;
    head.has_key = false;
    std::string_view rest = content;
    if (is_dash(content)) {
        std::size_t skip = 1;
        while (skip < content.size() && content[skip] == ' ') ++skip;
        rest = content.substr(skip);
        head.dash = skip;
        head.value_at = skip;
        if (rest.empty() || rest[0] == '#') return true;
        if (is_dash(rest)) return false;
    }
    std::size_t colon = key_colon(rest);
    if (colon == std::string_view::npos) return head.dash > 0;  // a lone scalar: not here
    std::string storage;
    std::string_view key;
    if (!key_text(rest.substr(0, colon), {}, storage, key)) return false;
    head.has_key = true;
    head.key.assign(key);
    head.value_at = head.dash + colon + 1;
    return true;
}

// ---------------------------------------------------------------------------------------------

void builder::reset(json::storage_ptr sp) {
    stack_.clear();
    root_.reset();
    sp_ = std::move(sp);
    ok_ = true;
}

void builder::open(bool is_map, std::size_t indent) { stack_.emplace_back(is_map, indent, sp_); }

void builder::store(frame& f, json::value v) {
    if (f.is_map) f.container.get_object().insert_or_assign(f.key, std::move(v));
    else f.container.get_array().push_back(std::move(v));
    f.awaiting = false;
}

void builder::close_pending(frame& f) {
    if (f.awaiting) store(f, json::value(nullptr, sp_));
}

void builder::pop() {
    frame& f = stack_.back();
    close_pending(f);
    json::value done = std::move(f.container);
    stack_.pop_back();
    if (stack_.empty()) {
        root_.emplace(std::move(done));
    } else {
        store(stack_.back(), std::move(done));
    }
}

// The entry of a line at the top frame's indentation (the frame kind already checked).
void builder::entry(std::size_t indent, const line_head& head, std::string_view value) {
    frame* top = &stack_.back();
    if (head.dash > 0 && head.has_key) {
        // "- key: v": an item that is a mapping whose keys line up with `key`.
        top->awaiting = true;
        open(true, indent + head.dash);
        top = &stack_.back();
    }
    if (head.has_key) top->key.assign(head.key);
    if (blank_or_comment(value)) {
        top->awaiting = true;
        return;
    }
    while (!value.empty() && value[0] == ' ') value.remove_prefix(1);
    json::value v(sp_);
    if (!scalar(value, v)) {
        fail();
        return;
    }
    store(*top, std::move(v));
}

void builder::line(std::size_t indent, const line_head& head, std::string_view value) {
    if (!ok_) return;
    const bool is_key_line = head.dash == 0;
    for (;;) {
        if (stack_.empty()) {
            if (root_) {  // content after the top-level node ended
                fail();
                return;
            }
            open(is_key_line, indent);
        }
        frame& top = stack_.back();
        if (indent < top.indent) {
            pop();
            continue;
        }
        if (indent > top.indent) {
            if (!top.awaiting) {
                fail();
                return;
            }
            open(is_key_line, indent);
            continue;
        }
        if (top.is_map == is_key_line) {
            close_pending(top);
            entry(indent, head, value);
            return;
        }
        if (top.is_map) {  // a dash under "key:" at the key's own indentation
            if (!top.awaiting) {
                fail();
                return;
            }
            open(false, indent);
            continue;
        }
        pop();  // a key after a same-indentation sequence: the mapping goes on
        if (stack_.empty() || !stack_.back().is_map || stack_.back().indent != indent) {
            fail();
            return;
        }
    }
}

bool builder::finish(json::value& out) {
    if (!ok_) return false;
    while (!stack_.empty()) pop();
    if (!root_) out = nullptr;
    else out = std::move(*root_);
    root_.reset();
    return true;
}

}  // namespace ghost::lang::yaml_line

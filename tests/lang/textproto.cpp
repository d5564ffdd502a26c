#include "tests/lang/textproto.hpp"

#include <cctype>

namespace ghost::tests::textproto {

const field* field::get(std::string_view child) const noexcept {
    for (const auto& c : children) {
        if (c.name == child) return &c;
    }
    return nullptr;
}

std::vector<const field*> field::all(std::string_view child) const {
    std::vector<const field*> out;
    for (const auto& c : children) {
        if (c.name == child) out.push_back(&c);
    }
    return out;
}

namespace {

class reader {
public:
    explicit reader(std::string_view s) : s_(s) {}

    bool message(field& into, char close) {
        for (;;) {
            skip();
            if (p_ >= s_.size()) {
                if (close == '\0') return true;
                return fail("unexpected end of file");
            }
            if (s_[p_] == close) {
                ++p_;
                return true;
            }
            field f;
            if (!name(f.name)) return false;
            skip();
            bool colon = false;
            if (p_ < s_.size() && s_[p_] == ':') {
                ++p_;
                colon = true;
                skip();
            }
            if (p_ < s_.size() && (s_[p_] == '{' || s_[p_] == '<')) {
                const char end = s_[p_] == '{' ? '}' : '>';
                ++p_;
                f.is_message = true;
                if (!message(f, end)) return false;
            } else if (!colon) {
                return fail("expected ':' after " + f.name);
            } else if (!scalar(f)) {
                return false;
            }
            into.children.push_back(std::move(f));
            skip();
            if (p_ < s_.size() && (s_[p_] == ',' || s_[p_] == ';')) ++p_;
        }
    }

    std::string error;

private:
    bool fail(std::string what) {
        std::size_t line = 1;
        for (std::size_t i = 0; i < p_ && i < s_.size(); ++i) line += s_[i] == '\n';
        error = "line " + std::to_string(line) + ": " + what;
        return false;
    }

    void skip() {
        while (p_ < s_.size()) {
            const char c = s_[p_];
            if (c == '#') {
                while (p_ < s_.size() && s_[p_] != '\n') ++p_;
            } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                ++p_;
            } else {
                break;
            }
        }
    }

    bool name(std::string& out) {
        if (s_[p_] == '[') {
            const auto e = s_.find(']', p_);
            if (e == std::string_view::npos) return fail("unterminated extension name");
            out = std::string(s_.substr(p_, e + 1 - p_));
            p_ = e + 1;
            return true;
        }
        const std::size_t b = p_;
        while (p_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[p_])) ||
                                  s_[p_] == '_' || s_[p_] == '.')) {
            ++p_;
        }
        if (p_ == b) return fail("expected a field name");
        out = std::string(s_.substr(b, p_ - b));
        return true;
    }

    static int hex(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    static void utf8(std::string& out, unsigned cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    bool quoted(std::string& out) {
        const char q = s_[p_++];
        for (;;) {
            if (p_ >= s_.size() || s_[p_] == '\n') return fail("unterminated string");
            const char c = s_[p_++];
            if (c == q) return true;
            if (c != '\\') {
                out += c;
                continue;
            }
            if (p_ >= s_.size()) return fail("bad escape");
            const char e = s_[p_++];
            switch (e) {
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case 'r': out += '\r'; break;
            case 'a': out += '\a'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'v': out += '\v'; break;
            case '\\': out += '\\'; break;
            case '\'': out += '\''; break;
            case '"': out += '"'; break;
            case '?': out += '?'; break;
            case 'x': {
                unsigned v = 0;
                int n = 0;
                while (n < 2 && p_ < s_.size() && hex(s_[p_]) >= 0) {
                    v = v * 16 + static_cast<unsigned>(hex(s_[p_++]));
                    ++n;
                }
                if (n == 0) return fail("bad \\x escape");
                out += static_cast<char>(v);
                break;
            }
            case 'u':
            case 'U': {
                const int len = e == 'u' ? 4 : 8;
                unsigned v = 0;
                for (int i = 0; i < len; ++i) {
                    if (p_ >= s_.size() || hex(s_[p_]) < 0) return fail("bad unicode escape");
                    v = v * 16 + static_cast<unsigned>(hex(s_[p_++]));
                }
                utf8(out, v);
                break;
            }
            default:
                if (e >= '0' && e <= '7') {
                    unsigned v = static_cast<unsigned>(e - '0');
                    for (int i = 0; i < 2 && p_ < s_.size() && s_[p_] >= '0' && s_[p_] <= '7';
                         ++i) {
                        v = v * 8 + static_cast<unsigned>(s_[p_++] - '0');
                    }
                    out += static_cast<char>(v);
                    break;
                }
                return fail(std::string("unknown escape \\") + e);
            }
        }
    }

    bool scalar(field& f) {
        if (p_ < s_.size() && (s_[p_] == '"' || s_[p_] == '\'')) {
            f.is_string = true;
            // adjacent literals concatenate
            while (p_ < s_.size() && (s_[p_] == '"' || s_[p_] == '\'')) {
                if (!quoted(f.scalar)) return false;
                skip();
            }
            return true;
        }
        const std::size_t b = p_;
        while (p_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[p_])) ||
                                  s_[p_] == '_' || s_[p_] == '.' || s_[p_] == '-' ||
                                  s_[p_] == '+')) {
            ++p_;
        }
        if (p_ == b) return fail("expected a value for " + f.name);
        f.scalar = std::string(s_.substr(b, p_ - b));
        return true;
    }

    std::string_view s_;
    std::size_t p_ = 0;
};

}  // namespace

bool parse(std::string_view text, field& root, std::string& error) {
    reader r(text);
    root.is_message = true;
    if (r.message(root, '\0')) return true;
    error = r.error;
    return false;
}

}  // namespace ghost::tests::textproto

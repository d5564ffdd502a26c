#include "kube/label_selector.hpp"

#include <algorithm>
#include <cctype>

namespace ghost::kube {
namespace {

class selector_parser {
public:
    selector_parser(std::string_view text, std::string* error) : text_(text), error_(error) {}

    bool parse(std::vector<label_selector::requirement>& out) {
        skip_space();
        if (at_end()) {
            return true;
        }
        while (true) {
            label_selector::requirement req;
            if (!parse_requirement(req)) {
                return false;
            }
            out.push_back(std::move(req));
            skip_space();
            if (at_end()) {
                return true;
            }
            if (!consume(',')) {
                return fail("expected ',' between requirements");
            }
        }
    }

private:
    bool parse_requirement(label_selector::requirement& req) {
        skip_space();
        if (consume('!')) {
            req.operation = label_selector::op::does_not_exist;
            return parse_key(req.key);
        }
        if (!parse_key(req.key)) {
            return false;
        }
        skip_space();
        if (at_end() || peek() == ',') {
            req.operation = label_selector::op::exists;
            return true;
        }
        if (consume_word("!=")) {
            req.operation = label_selector::op::not_equals;
            return parse_single_value(req.values);
        }
        if (consume_word("==") || consume('=')) {
            req.operation = label_selector::op::equals;
            return parse_single_value(req.values);
        }
        if (consume_keyword("notin")) {
            req.operation = label_selector::op::not_in;
            return parse_value_set(req.values);
        }
        if (consume_keyword("in")) {
            req.operation = label_selector::op::in;
            return parse_value_set(req.values);
        }
        return fail("expected one of '=', '==', '!=', 'in', 'notin', ',' after key '" + req.key +
                    "'");
    }

    static bool key_char(char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
               c == '/';
    }

    bool parse_key(std::string& key) {
        skip_space();
        auto start = pos_;
        while (!at_end() && key_char(peek())) {
            ++pos_;
        }
        if (pos_ == start) {
            return fail("expected a label key");
        }
        key.assign(text_.substr(start, pos_ - start));
        return true;
    }

    bool parse_value(std::string& value) {
        skip_space();
        auto start = pos_;
        while (!at_end() && key_char(peek()) && peek() != '/') {
            ++pos_;
        }
        value.assign(text_.substr(start, pos_ - start));  // empty values are legal
        return true;
    }

    bool parse_single_value(std::vector<std::string>& values) {
        values.emplace_back();
        return parse_value(values.back());
    }

    bool parse_value_set(std::vector<std::string>& values) {
        skip_space();
        if (!consume('(')) {
            return fail("expected '(' to open the value set");
        }
        while (true) {
            values.emplace_back();
            parse_value(values.back());
            skip_space();
            if (consume(')')) {
                return true;
            }
            if (!consume(',')) {
                return fail("expected ',' or ')' in the value set");
            }
        }
    }

    bool consume_keyword(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) {
            return false;
        }
        auto after = pos_ + word.size();
        if (after < text_.size() && key_char(text_[after])) {
            return false;
        }
        pos_ = after;
        return true;
    }
    bool consume_word(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) {
            return false;
        }
        pos_ += word.size();
        return true;
    }
    bool consume(char c) {
        if (!at_end() && peek() == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    void skip_space() {
        while (!at_end() && std::isspace(static_cast<unsigned char>(peek()))) {
            ++pos_;
        }
    }
    bool at_end() const { return pos_ >= text_.size(); }
    char peek() const { return text_[pos_]; }
    bool fail(std::string what) {
        if (error_) {
            *error_ = what + " at position " + std::to_string(pos_ + 1);
        }
        return false;
    }

    std::string_view text_;
    std::string* error_;
    std::size_t pos_ = 0;
};

template <class Lookup>
bool matches_all(const std::vector<label_selector::requirement>& reqs, Lookup&& lookup) {
    using op = label_selector::op;
    for (const auto& req : reqs) {
        std::optional<std::string_view> value = lookup(req.key);
        auto in_values = [&] {
            return value &&
                   std::find(req.values.begin(), req.values.end(), *value) != req.values.end();
        };
        bool ok = false;
        switch (req.operation) {
        case op::equals:
        case op::in: ok = in_values(); break;
        case op::not_equals:
        case op::not_in: ok = !in_values(); break;
        case op::exists: ok = value.has_value(); break;
        case op::does_not_exist: ok = !value.has_value(); break;
        }
        if (!ok) {
            return false;
        }
    }
    return true;
}

}  // namespace

std::optional<label_selector> label_selector::parse(std::string_view text, std::string* error) {
    label_selector sel;
    if (!selector_parser(text, error).parse(sel.requirements_)) {
        return std::nullopt;
    }
    return sel;
}

bool label_selector::matches(const boost::json::object* labels) const {
    return matches_all(requirements_, [&](const std::string& key) -> std::optional<std::string_view> {
        if (!labels) {
            return std::nullopt;
        }
        auto it = labels->find(key);
        if (it == labels->end() || !it->value().is_string()) {
            return std::nullopt;
        }
        return std::string_view(it->value().get_string());
    });
}

bool label_selector::matches(const std::map<std::string, std::string, std::less<>>& labels) const {
    return matches_all(requirements_, [&](const std::string& key) -> std::optional<std::string_view> {
        auto it = labels.find(key);
        if (it == labels.end()) {
            return std::nullopt;
        }
        return std::string_view(it->second);
    });
}

}  // namespace ghost::kube

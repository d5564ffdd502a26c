#include "lang/gotpl_plan.hpp"

namespace ghost::lang::gotpl_detail {

namespace {

bool control_free(std::string_view s) {
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\n') || u == 0x7f) return false;
    }
    return true;
}

bool document_marker(std::string_view content) {
    return content.starts_with("---") || content.starts_with("...") || content.starts_with('%');
}

// The head of a line whose piece holds all of it: its key's colon (or its dash and what follows)
// is in the piece and followed by a space or the piece's end of line.
bool head_of(std::string_view piece, bool line_ends_here, plan_head& out) {
    std::size_t indent = 0;
    while (indent < piece.size() && piece[indent] == ' ') ++indent;
    std::string_view content = piece.substr(indent);
    if (content.empty() || content[0] == '#' || (indent == 0 && document_marker(content)))
        return false;
    if (!yaml_line::parse_head(content, out.head)) return false;
    // "key:" or "-" at the piece's end is only a head when the line ends there too: an action
    // right after it would be part of the key or of a plain scalar.
    std::size_t head_end = out.head.value_at;
    if (head_end == content.size() && !line_ends_here) {
        if (out.head.has_key || content.back() != ' ') return false;
    }
    // A dash with its scalar from an action ("- {{ . }}") is fine: the builder checks it.
    out.indent = indent;
    return true;
}

void compile_list(tree& t, node_list& list) {
    for (auto& nd : list) {
        if (nd.k == node::kind::text) {
            if (!control_free(nd.text)) t.plan_ok = false;
            std::string_view text = nd.text;
            std::size_t start = 0;
            bool starts_line = false;
            for (;;) {
                std::size_t nl = text.find('\n', start);
                std::size_t end = nl == std::string_view::npos ? text.size() : nl;
                text_piece p;
                p.starts_line = starts_line;
                p.begin = std::uint32_t(start);
                p.size = std::uint32_t(end - start);
                plan_head h;
                if (starts_line &&
                    head_of(text.substr(start, end - start), nl != std::string_view::npos, h)) {
                    p.head = std::int32_t(t.heads.size());
                    t.heads.push_back(std::move(h));
                }
                nd.pieces.push_back(p);
                if (nl == std::string_view::npos) break;
                start = nl + 1;
                starts_line = true;
            }
        }
        compile_list(t, nd.list);
        compile_list(t, nd.else_list);
    }
}

}  // namespace

void compile_plan(tree& t) {
    t.plan_ok = true;
    t.heads.clear();
    compile_list(t, t.root);
}

void line_feed::text(const node& nd) {
    for (const auto& p : nd.pieces) {
        std::string_view s(nd.text.data() + p.begin, p.size);
        if (p.starts_line) end_line();
        if (p.head >= 0) {
            head_ = &tree_.heads[std::size_t(p.head)];
            s.remove_prefix(head_->indent);
            s.remove_prefix(head_->head.value_at);
        }
        buf_.append(s);
    }
}

void line_feed::dynamic(std::string_view s) {
    for (;;) {
        std::size_t nl = s.find('\n');
        std::string_view part = s.substr(0, nl);
        if (!control_free(part)) {
            ok_ = false;
            return;
        }
        buf_.append(part);
        if (nl == std::string_view::npos) return;
        end_line();
        s.remove_prefix(nl + 1);
    }
}

void line_feed::line(std::size_t indent, const yaml_line::line_head& head,
                     std::string_view value) {
    if (first_line_) indent = 0;
    first_line_ = false;
    builder_.line(indent, head, value);
}

void line_feed::end_line() {
    if (!ok_) return;
    if (head_) {
        line(head_->indent, head_->head, buf_);
    } else {
        std::string_view raw = buf_;
        std::size_t indent = 0;
        while (indent < raw.size() && raw[indent] == ' ') ++indent;
        std::string_view content = raw.substr(indent);
        if (!content.empty() && content[0] != '#') {
            if ((indent == 0 || first_line_) && document_marker(content)) {
                ok_ = false;
            } else if (!yaml_line::parse_head(content, scratch_)) {
                ok_ = false;
            } else {
                line(indent, scratch_, content.substr(scratch_.value_at));
            }
        }
    }
    head_ = nullptr;
    buf_.clear();
}

bool line_feed::finish(boost::json::value& out) {
    end_line();
    if (!ok()) return false;
    return builder_.finish(out);
}

}  // namespace ghost::lang::gotpl_detail

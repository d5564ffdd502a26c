#include "apps/ghostctl/dry_run.hpp"

#include <algorithm>
#include <cctype>

namespace ghost::ghostctl {

std::string shell_quote(std::string_view w) {
    auto plain = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
               std::string_view("-_./=:,@%+").find(c) != std::string_view::npos;
    };
    if (!w.empty() && std::all_of(w.begin(), w.end(), plain)) return std::string(w);
    std::string out = "'";
    for (char c : w) {
        if (c == '\'') out += "'\\''";
        else out += c;
    }
    return out + "'";
}

std::string shell_command(const std::vector<std::string>& argv,
                          const std::vector<std::pair<std::string, std::string>>& env) {
    std::string out;
    for (const auto& [k, v] : env) out += k + "=" + shell_quote(v) + " ";
    for (std::size_t i = 0; i < argv.size(); ++i) out += (i ? " " : "") + shell_quote(argv[i]);
    return out;
}

std::string shell_write_file(const std::filesystem::path& path, std::string_view text) {
    std::string marker = "EOF";
    auto has_line = [&](const std::string& m) {
        std::size_t pos = 0;
        while ((pos = text.find(m, pos)) != std::string_view::npos) {
            bool starts = pos == 0 || text[pos - 1] == '\n';
            bool ends = pos + m.size() == text.size() || text[pos + m.size()] == '\n';
            if (starts && ends) return true;
            pos += m.size();
        }
        return false;
    };
    while (has_line(marker)) marker += "_";
    std::string out = "cat <<'" + marker + "' >" + shell_quote(path.string()) + "\n";
    out += text;
    if (!text.empty() && text.back() != '\n') out += "\n";
    return out + marker + "\n";
}

std::string shell_start_component(const component& c, const cluster_layout& L) {
    std::vector<std::string> argv{c.binary};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    return "cd " + shell_quote(L.dir.string()) + " && " + shell_command(argv, c.env) + " >>" +
           shell_quote(L.log_of(c.name).string()) + " 2>&1 </dev/null &\necho $! >" +
           shell_quote(L.pid_of(c.name).string()) + "\n";
}

std::string shell_stop_component(const component& c, const cluster_layout& L) {
    return "kill $(cat " + shell_quote(L.pid_of(c.name).string()) + ")\n";
}

}  // namespace ghost::ghostctl

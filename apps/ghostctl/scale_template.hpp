#pragma once
// The template of a KwokctlResource (`ghostctl scale <resource>`): a Go text/template rendered
// once per object with the parameters as `.`, then read as YAML, as kwokctl scale does. Besides
// Sprig and kwok's functions (Quote, YAML, Version, NodeConditions, Now, StartTime) it offers
// kwokctl scale's own: Name and Namespace (of the object being made), Index (its serial) and
// AddCIDR / AddIP (the index-th subnet or address after a given one).

#include "lang/gotpl.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace ghost::ghostctl {

class scale_template {
public:
    /// Parses the text (trimmed, as kwok does) and checks every function it calls exists.
    /// Throws std::invalid_argument with the parser's "template:LINE:COL: ..." line.
    explicit scale_template(std::string_view text);

    /// One object. Throws std::invalid_argument when the template fails or its output is not
    /// a YAML mapping (the message quotes the template's complaint).
    boost::json::object render(const boost::json::value& parameters, const std::string& name,
                               const std::string& ns, std::size_t index) const;

private:
    std::shared_ptr<const lang::compiled_template> tpl_;
};

/// kwok's AddCIDR: "10.0.0.0/24", 3 -> "10.0.3.0/24" (host bits kept). Throws
/// std::invalid_argument naming a malformed CIDR.
std::string add_cidr(std::string_view cidr, std::uint64_t index);
/// kwok's AddIP: "192.0.2.1", 2 -> "192.0.2.3". Throws std::invalid_argument.
std::string add_ip(std::string_view ip, std::uint64_t index);

}  // namespace ghost::ghostctl

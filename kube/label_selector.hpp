#pragma once
// Kubernetes label-selector syntax ("k=v,k!=v,k in (a,b),k notin (a),k,!k"), used for
// --manage-nodes-with-label-selector and the annotation/disregard selectors.

#include <boost/json/object.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ghost::kube {

class label_selector {
public:
    enum class op { equals, not_equals, in, not_in, exists, does_not_exist };
    struct requirement {
        std::string key;
        op operation;
        std::vector<std::string> values;
    };

    /// Parses `text`; an empty text selects everything. Returns std::nullopt and fills `error`
    /// (what was expected, at which position) when the text is malformed.
    static std::optional<label_selector> parse(std::string_view text, std::string* error);

    /// True when every requirement holds for `labels` (a JSON object of string values, or null).
    bool matches(const boost::json::object* labels) const;
    bool matches(const std::map<std::string, std::string, std::less<>>& labels) const;

    bool empty() const { return requirements_.empty(); }
    const std::vector<requirement>& requirements() const { return requirements_; }

private:
    std::vector<requirement> requirements_;
};

}  // namespace ghost::kube

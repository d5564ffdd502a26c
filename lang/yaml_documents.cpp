#include "lang/yaml_documents.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>

#include <optional>
#include <sstream>
#include <string>

namespace ghost::lang {

namespace {

// Every document takes at least its `---` from the input, so a document starting where the
// previous one started means the parser is stuck.
class progress_check : public YAML::EventHandler {
public:
    void OnDocumentStart(const YAML::Mark& mark) override {
        if (last_start_ && last_start_->pos == mark.pos)
            throw YAML::ParserException(
                mark, "',' outside a flow collection ([...] or {...}): no YAML node can start here");
        last_start_ = mark;
    }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}

private:
    std::optional<YAML::Mark> last_start_;
};

}  // namespace

std::optional<std::string> map_key(const YAML::Node& key) {
    if (key.IsScalar()) return key.Scalar();
    if (key.IsNull()) return std::string("null");  // as go-yaml prints a null key
    return std::nullopt;
}

std::vector<YAML::Node> load_all_yaml(std::string_view text) {
    std::string copy(text);
    {
        std::istringstream in(copy);
        YAML::Parser parser(in);
        progress_check check;
        while (parser.HandleNextDocument(check)) {
        }
    }
    return YAML::LoadAll(copy);
}

}  // namespace ghost::lang

#pragma once
// Sans-io decoder of a Kubernetes watch stream: newline-delimited JSON events
// {"type": "...", "object": {...}}. Feed bytes in any split; complete lines become events.
// The envelope fields come from simdjson (on-demand); the object stays raw JSON text.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace ghost::kube {

enum class watch_event_type { added, modified, deleted, bookmark, error };

std::string_view to_string(watch_event_type t) noexcept;

// Views point into the decoder's buffers and are valid only during the callback.
struct watch_event {
    watch_event_type type = watch_event_type::error;
    std::string_view resource_version;   // object.metadata.resourceVersion
    std::string_view name;               // object.metadata.name
    std::string_view namespace_;         // object.metadata.namespace
    std::string_view object;             // raw JSON text of "object"
    // ERROR events: the Status code (410 = gone), reason and message.
    // A line that could not be decoded is an ERROR event with malformed = true, code 0 and a
    // message saying why; the decoder continues with the next line.
    int code = 0;
    std::string_view reason;
    std::string_view message;
    bool malformed = false;
};

class watch_decoder {
public:
    watch_decoder();
    ~watch_decoder();
    watch_decoder(watch_decoder&&) noexcept;
    watch_decoder& operator=(watch_decoder&&) noexcept;

    // Appends bytes; calls on_event(const watch_event&) for every complete line.
    template <class F>
    void feed(std::string_view bytes, F&& on_event) {
        std::size_t start = 0;
        while (start < bytes.size()) {
            std::size_t nl = bytes.find('\n', start);
            if (nl == std::string_view::npos) {
                pending_.append(bytes.substr(start));
                return;
            }
            std::string_view line = bytes.substr(start, nl - start);
            if (!pending_.empty()) {
                pending_.append(line);
                line_done(pending_, on_event);
                pending_.clear();
            } else {
                line_done(line, on_event);
            }
            start = nl + 1;
        }
    }

    // At the end of the stream: decodes a final line that lacked its newline.
    template <class F>
    void finish(F&& on_event) {
        if (pending_.empty()) return;
        std::string line = std::move(pending_);
        pending_.clear();
        line_done(line, on_event);
    }

    // Drops a partial line (e.g. before reusing the decoder for a new stream).
    void reset() noexcept { pending_.clear(); }
    std::size_t buffered() const noexcept { return pending_.size(); }

private:
    template <class F>
    void line_done(std::string_view line, F& on_event) {
        watch_event ev;
        if (decode(line, ev)) on_event(static_cast<const watch_event&>(ev));
    }
    // false for blank lines; otherwise fills ev (a malformed line gives an error event).
    bool decode(std::string_view line, watch_event& ev);

    struct state;
    std::string pending_;
    std::unique_ptr<state> state_;
};

}  // namespace ghost::kube

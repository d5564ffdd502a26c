#pragma once
// The pure parts of `ghostctl snapshot save|restore --format k8s` (kwokctl's YAML snapshot):
// resource filters resolved against discovery, what a saved object keeps, reading and writing
// the multi-document YAML, and the restore order that re-links ownerReferences to new uids.
// No I/O: snapshot.cpp drives these against the API server.

#include "apps/ghostctl/snapshot_record.hpp"
#include "kube/discovery.hpp"

#include <boost/json/object.hpp>

#include <compare>
#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ghost::ghostctl {

/// kwokctl's default --filter: the kinds a snapshot saves and restores, in save order (owners
/// before what they own: deployments, replicasets, then pods).
const std::vector<std::string>& default_snapshot_filters();

/// Resolves one --filter word as kwokctl (kubectl's resource argument rules): "pod" or "pods"
/// (plural, singular or kind), "deployment.apps" (resource.group), "foo.v1alpha1.example.com"
/// (resource.version.group, tried before resource.group), "Deployment.apps" (kind). `served`
/// lists discovery's resources with each group's preferred version first. nullptr: not served.
const kube::api_resource* resolve_filter(std::string_view filter,
                                         const std::vector<kube::api_resource>& served);

/// "v1" for the core group, else "group/version".
std::string api_version_of(const kube::resource_ref& r);

/// A listed item as it is saved: apiVersion and kind set (list items come without them) and
/// metadata.resourceVersion removed, which is all kwokctl strips; the uid stays because restore
/// re-links owner references by it, and the server assigns new uids, timestamps and status of
/// kinds with a status subresource on create anyway.
void prepare_for_snapshot(boost::json::object& item, std::string_view api_version,
                          std::string_view kind);

/// One saved object as a YAML document; every document after the first starts with "---".
std::string snapshot_document(const boost::json::object& object, bool first);

struct snapshot_object {
    boost::json::object object;
    std::size_t line = 0;      ///< 1-based line of its document in the file
};

struct snapshot_patch {
    resource_patch patch;
    std::size_t document = 0;  ///< 1-based number of its document
    std::size_t line = 0;      ///< 1-based line of its document
};

struct snapshot_contents {
    std::vector<snapshot_object> objects;   ///< in file order, List items expanded in place
    std::vector<snapshot_patch> patches;    ///< ResourcePatch documents (a recording), file order
    std::vector<std::string> errors;        ///< one line each: "source:line: document N: ..."
    std::size_t documents = 0;              ///< non-empty documents seen
};

/// Splits multi-document YAML ("---" lines), parses each document (YAML 1.1 as kwok) and keeps
/// the objects that have apiVersion, kind and metadata.name and the ResourcePatch documents; a
/// bad document is one error line ("...: document N: ResourcePatch: method: ...") and reading
/// goes on.
snapshot_contents read_snapshot_text(std::string_view text, std::string_view source);

/// How restore identifies an owner, as kwokctl: apiVersion, kind, name and the uid it had.
struct object_key {
    std::string api_version;
    std::string kind;
    std::string name;
    std::string uid;
    auto operator<=>(const object_key&) const = default;
};
object_key key_of_object(const boost::json::object& object);
object_key key_of_owner(const boost::json::object& owner_reference);
/// "apps/v1 ReplicaSet web-5d4f" (for messages).
std::string describe(const object_key& k);

/// The order restore creates objects in: an object that names owners waits until every one of
/// them has been created, then its ownerReferences get the owners' new uids. Sans-io.
class restore_plan {
public:
    /// An object from the snapshot: ready at once when all its owners are known, else waiting.
    void add(boost::json::object object);
    /// The next object to create (owner references already re-linked), or nullopt.
    std::optional<boost::json::object> next_ready();
    /// The object with snapshot key `key` now exists with `new_uid`: its dependents may become
    /// ready.
    void created(const object_key& key, std::string new_uid);
    /// The uid an object created so far got in place of `old_uid` (nullptr: none).
    const std::string* new_uid(std::string_view old_uid) const;
    /// Objects still waiting and the owners they miss (owners not in the snapshot, or whose
    /// restore failed), in the order they were added.
    std::vector<std::pair<boost::json::object, std::vector<object_key>>> waiting() const;
    std::size_t ready_count() const { return ready_.size(); }

private:
    struct entry {
        boost::json::object object;
        std::size_t missing = 0;  ///< distinct owners not created yet
        bool released = false;
    };
    void release(entry& e);

    std::map<object_key, std::string> new_uids_;
    std::map<std::string, std::string, std::less<>> by_old_uid_;
    std::deque<boost::json::object> ready_;
    std::vector<entry> waiting_;
    std::map<object_key, std::vector<std::size_t>> waiters_;  ///< owner -> indexes in waiting_
};

}  // namespace ghost::ghostctl

#pragma once
// kwok's CustomResourceDefinitions as ghostctl installs them: generated from the kind table
// (stages/kwok_kinds.hpp) with an open schema (ghostlet validates the documents itself and
// reports problems as Events) and a status subresource, under kwok's group, names and scope.

#include "stages/kwok_kinds.hpp"

#include <boost/json/value.hpp>

namespace ghost::ghostctl {

boost::json::value crd_manifest(const stages::kwok_kind& kind);

}  // namespace ghost::ghostctl

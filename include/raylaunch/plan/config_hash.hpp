#pragma once

#include <raylaunch/plan/planner.hpp>

#include <string>

namespace raylaunch {

/// The SHA-256, in hex, of everything in `container` that needs a new
/// container when it changes, on the network named `network` (empty in host
/// mode). It leaves out the replica count, the pull policy, raylaunch's
/// version and every io.raylaunch.* label, so scaling never re-creates an
/// existing replica.
std::string config_hash(const PlannedContainer& container, const std::string& network);

}  // namespace raylaunch

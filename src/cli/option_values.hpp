#pragma once

// The values of the command line's options checked as strictly as the spec's:
// numbers by the spec's one rule, within a range.

#include <CLI/CLI.hpp>

#include <cstdint>

namespace raylaunch::cli {

/// A whole number from `min` to `max`, written in decimal digits (no "+", no
/// hex, no spaces), as every number in a spec.
CLI::Validator whole_number(int64_t min, int64_t max);

/// A number from `min` to `max`, a fraction allowed, by the same rule.
CLI::Validator decimal_number(double min, double max);

/// docker logs' --tail: a whole number of lines, or "all".
CLI::Validator tail_lines();

}  // namespace raylaunch::cli

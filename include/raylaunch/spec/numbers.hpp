#pragma once

// The one rule for reading a number, shared by every number in a spec and on
// the command line, so "0x10", " 8", "+3" and "1e3" are refused everywhere
// alike and a number too large to hold is out of range, not "not a number".

#include <optional>
#include <string_view>

namespace raylaunch {

/// Reads `text` written as an optional "-", then decimal digits, then (only
/// when `fraction`) optionally "." and more digits. Nothing else is a number:
/// no "+", no spaces around it, no hex, no exponent, no "_" between digits.
/// Leading zeros are allowed and mean nothing (007 is 7). nullopt when `text`
/// is not written so; a number too large for a double is plus or minus
/// infinity, which every range refuses.
std::optional<double> read_decimal(std::string_view text, bool fraction);

/// Reads a size as Docker writes one: a number by read_decimal's rule (a
/// fraction allowed), then at once an optional unit b, k, m, g or t (any
/// case, with an optional "b" or "ib" after k to t), all powers of 1024.
/// Returns the bytes, unrounded and maybe negative or infinite (a range
/// refuses those); nullopt when `text` is not written so.
std::optional<double> read_size(std::string_view text);

/// Reads a duration as compose writes one: numbers by read_decimal's rule
/// (fractions allowed, no sign), each followed at once by a unit h, m, s, ms
/// or us, e.g. 10s, 1m30s, 1.5s, 500ms; or a bare 0. Returns seconds;
/// nullopt when `text` is not written so.
std::optional<double> read_duration(std::string_view text);

}  // namespace raylaunch

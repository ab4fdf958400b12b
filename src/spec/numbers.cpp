// Numbers are read in one way everywhere (see numbers.hpp): users learn one
// rule, and a value cannot pass one check and mean another thing to the next.
#include <raylaunch/spec/numbers.hpp>

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

namespace raylaunch {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// How many digits `text` starts with from `at`.
size_t digits_at(std::string_view text, size_t at) {
  size_t end = at;
  while (end < text.size() && is_digit(text[end])) {
    ++end;
  }
  return end - at;
}

// The length of the number `text` starts with by the rule, or 0 when it starts with none.
size_t number_length(std::string_view text, bool fraction) {
  size_t at = !text.empty() && text[0] == '-' ? 1 : 0;
  size_t whole = digits_at(text, at);
  if (whole == 0) {
    return 0;
  }
  at += whole;
  if (fraction && at < text.size() && text[at] == '.') {
    size_t part = digits_at(text, at + 1);
    if (part == 0) {
      return 0;  // "1." is no number
    }
    at += 1 + part;
  }
  return at;
}

double to_double(std::string_view number) {
  double value = 0;
  auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (error == std::errc::result_out_of_range) {
    return number[0] == '-' ? -std::numeric_limits<double>::infinity()
                            : std::numeric_limits<double>::infinity();
  }
  return value;
}

// Docker's size units, all powers of 1024.
std::optional<double> unit_factor(std::string_view unit) {
  std::string lower;
  for (char c : unit) {
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (lower.empty() || lower == "b") {
    return 1.0;
  }
  static const std::pair<char, double> k_units[] = {
      {'k', 0x1p10}, {'m', 0x1p20}, {'g', 0x1p30}, {'t', 0x1p40}};
  for (const auto& [letter, factor] : k_units) {
    std::string_view rest = std::string_view(lower).substr(1);
    if (lower[0] == letter && (rest.empty() || rest == "b" || rest == "ib")) {
      return factor;
    }
  }
  return std::nullopt;
}

// Compose's duration units, longest first so "ms" is not read as "m".
std::optional<std::pair<size_t, double>> duration_unit(std::string_view text) {
  static const std::pair<std::string_view, double> k_units[] = {
      {"ms", 1e-3}, {"us", 1e-6}, {"h", 3600}, {"m", 60}, {"s", 1}};
  for (const auto& [unit, seconds] : k_units) {
    if (text.substr(0, unit.size()) == unit) {
      return std::pair(unit.size(), seconds);
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<double> read_decimal(std::string_view text, bool fraction) {
  if (text.empty() || number_length(text, fraction) != text.size()) {
    return std::nullopt;
  }
  return to_double(text);
}

std::optional<double> read_size(std::string_view text) {
  size_t length = number_length(text, true);
  if (length == 0) {
    return std::nullopt;
  }
  std::optional<double> factor = unit_factor(text.substr(length));
  if (!factor) {
    return std::nullopt;
  }
  return to_double(text.substr(0, length)) * *factor;
}

std::optional<double> read_duration(std::string_view text) {
  if (text.empty() || text == "0") {
    return text.empty() ? std::nullopt : std::optional(0.0);
  }
  double seconds = 0;
  while (!text.empty()) {
    size_t length = text[0] == '-' ? 0 : number_length(text, true);
    std::optional<std::pair<size_t, double>> unit =
        length == 0 ? std::nullopt : duration_unit(text.substr(length));
    if (!unit) {
      return std::nullopt;
    }
    seconds += to_double(text.substr(0, length)) * unit->second;
    text.remove_prefix(length + unit->first);
  }
  return seconds;
}

}  // namespace raylaunch

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

}  // namespace raylaunch

// Options' values checked before any command runs (see option_values.hpp).
#include "option_values.hpp"

#include <fmt/format.h>

#include <raylaunch/spec/numbers.hpp>

#include <string>

namespace raylaunch::cli {

namespace {

CLI::Validator number_in(double min, double max, bool fraction, const std::string& shown) {
  return CLI::Validator(
      [=](std::string& value) {
        std::optional<double> number = read_decimal(value, fraction);
        if (number && *number >= min && *number <= max) {
          return std::string();
        }
        return fmt::format("must be {} from {} to {}, got \"{}\"",
                           fraction ? "a number" : "a whole number", min, max, value);
      },
      shown);
}

}  // namespace

CLI::Validator whole_number(int64_t min, int64_t max) {
  return number_in(static_cast<double>(min), static_cast<double>(max), false,
                   fmt::format("{}-{}", min, max));
}

CLI::Validator decimal_number(double min, double max) {
  return number_in(min, max, true, fmt::format("{}-{}", min, max));
}

CLI::Validator tail_lines() {
  return CLI::Validator(
      [](std::string& value) {
        if (value == "all" || read_decimal(value, false).value_or(-1) >= 0) {
          return std::string();
        }
        return fmt::format("must be a whole number of lines or all, got \"{}\"", value);
      },
      "N|all");
}

}  // namespace raylaunch::cli

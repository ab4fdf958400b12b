#include <gtest/gtest.h>

#include <raylaunch/spec/interpolate.hpp>
#include <raylaunch/spec/numbers.hpp>

#include <limits>
#include <map>
#include <string>

namespace raylaunch {
namespace {

VariableLookup env(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    auto found = values.find(name);
    return found == values.end() ? std::nullopt : std::optional<std::string>(found->second);
  };
}

TEST(Interpolate, ExpandsComposeForms) {
  VariableLookup lookup = env({{"TAG", "2.52.1"}, {"EMPTY", ""}});
  EXPECT_EQ(interpolate("ray:${TAG}", lookup), "ray:2.52.1");
  EXPECT_EQ(interpolate("ray:$TAG-gpu", lookup), "ray:2.52.1-gpu");
  EXPECT_EQ(interpolate("${MISSING:-dflt}", lookup), "dflt");
  EXPECT_EQ(interpolate("${EMPTY:-dflt}", lookup), "dflt");
  EXPECT_EQ(interpolate("${EMPTY-dflt}", lookup), "");
  EXPECT_EQ(interpolate("${MISSING-dflt}", lookup), "dflt");
  EXPECT_EQ(interpolate("${TAG:+set}", lookup), "set");
  EXPECT_EQ(interpolate("${MISSING:+set}", lookup), "");
  EXPECT_EQ(interpolate("${MISSING:-${TAG}}", lookup), "2.52.1");
  EXPECT_EQ(interpolate("cost $$5 and $", lookup), "cost $5 and $");
}

TEST(Interpolate, ReportsUnsetVariables) {
  std::vector<std::string> unset;
  EXPECT_EQ(interpolate("a${NOPE}b", env({}), &unset), "ab");
  EXPECT_EQ(unset, std::vector<std::string>{"NOPE"});
}

TEST(Interpolate, FailsOnRequiredVariableWithItsMessage) {
  try {
    interpolate("x ${IMG:?IMG must be set}", env({}));
    FAIL() << "expected a failure";
  } catch (const InterpolationFailure& failure) {
    EXPECT_EQ(failure.message, "required variable IMG is missing a value: IMG must be set");
    EXPECT_EQ(failure.offset, 2u);
  }
}

TEST(Interpolate, FailsOnUnterminatedBrace) {
  try {
    interpolate("ab${TAG", env({}));
    FAIL() << "expected a failure";
  } catch (const InterpolationFailure& failure) {
    EXPECT_EQ(failure.message, "unterminated \"${\": no closing \"}\"");
    EXPECT_EQ(failure.offset, 2u);
  }
}

TEST(EnvFile, ParsesLinesQuotesAndComments) {
  auto values = parse_env_file("# comment\nTAG=2.52.1\nexport A = 'x y'\nB=\"q\"\nC=v # note\n\n");
  EXPECT_EQ(values, (std::map<std::string, std::string>{
                        {"TAG", "2.52.1"}, {"A", "x y"}, {"B", "q"}, {"C", "v"}}));
}

TEST(Size, ParsesDockerUnits) {
  EXPECT_EQ(read_size("512m"), 512.0 * 1024 * 1024);
  EXPECT_EQ(read_size("8g"), 8.0 * 1024 * 1024 * 1024);
  EXPECT_EQ(read_size("1.5GiB"), 1536.0 * 1024 * 1024);
  EXPECT_EQ(read_size("2GB"), 2.0 * 1024 * 1024 * 1024);
  EXPECT_EQ(read_size("1024"), 1024);
  EXPECT_EQ(read_size("10k"), 10240);
  EXPECT_EQ(read_size("-1g"), -1.0 * 1024 * 1024 * 1024);  // a size, out of every range
  EXPECT_EQ(read_size("lots"), std::nullopt);
  EXPECT_EQ(read_size("5x"), std::nullopt);
  EXPECT_EQ(read_size("1.2.3g"), std::nullopt);
  EXPECT_EQ(read_size(" 8g"), std::nullopt);
  EXPECT_EQ(read_size("8 g"), std::nullopt);
  EXPECT_EQ(read_size("0x10"), std::nullopt);
  EXPECT_EQ(format_size(8LL * 1024 * 1024 * 1024), "8g");
  EXPECT_EQ(format_size(1536LL * 1024 * 1024), "1536m");
  EXPECT_EQ(format_size(1000), "1000b");
}

// Compose's durations, for stop_grace_period: numbers with units, in seconds.
TEST(Duration, ParsesComposeDurations) {
  EXPECT_EQ(read_duration("10s"), 10);
  EXPECT_EQ(read_duration("1m30s"), 90);
  EXPECT_EQ(read_duration("1h"), 3600);
  EXPECT_EQ(read_duration("1.5s"), 1.5);
  EXPECT_EQ(read_duration("500ms"), 0.5);
  EXPECT_EQ(read_duration("2m500ms"), 120.5);
  EXPECT_EQ(read_duration("0"), 0);
  EXPECT_EQ(read_duration("10"), std::nullopt);  // no unit
  EXPECT_EQ(read_duration("-5s"), std::nullopt);
  EXPECT_EQ(read_duration("1m30"), std::nullopt);
  EXPECT_EQ(read_duration("10 s"), std::nullopt);
  EXPECT_EQ(read_duration("1d"), std::nullopt);
  EXPECT_EQ(read_duration(""), std::nullopt);
  EXPECT_EQ(read_duration("s"), std::nullopt);
}

// The one rule for numbers: decimal digits, an optional "-", a fraction only
// where one is allowed, nothing around them.
TEST(Numbers, ReadOnlyDecimalDigits) {
  EXPECT_EQ(read_decimal("42", false), 42);
  EXPECT_EQ(read_decimal("-7", false), -7);
  EXPECT_EQ(read_decimal("007", false), 7);
  EXPECT_EQ(read_decimal("2.5", true), 2.5);
  for (const char* text :
       {"", "-", "+5", " 5", "5 ", "0x10", "1e3", "1_000", "5.", ".5", "inf", "nan", "1,5"}) {
    EXPECT_EQ(read_decimal(text, true), std::nullopt) << text;
  }
  EXPECT_EQ(read_decimal("2.5", false), std::nullopt);
  EXPECT_EQ(read_decimal(std::string(400, '9'), false), std::numeric_limits<double>::infinity());
  EXPECT_EQ(read_decimal("-" + std::string(400, '9'), true),
            -std::numeric_limits<double>::infinity());
}

TEST(EnvFile, SkipsAByteOrderMark) {
  EXPECT_EQ(parse_env_file("\xEF\xBB\xBFTAG=2.52.1\n"),
            (std::map<std::string, std::string>{{"TAG", "2.52.1"}}));
}

}  // namespace
}  // namespace raylaunch

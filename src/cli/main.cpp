// The raylaunch program; everything it does is in raylaunch_core. All it
// prints passes the redactor, and anything that escapes run_cli() is a bug,
// reported as one (exit 70).
#include <raylaunch/base/error.hpp>
#include <raylaunch/base/redact.hpp>
#include <raylaunch/cli/cli.hpp>

#include <iostream>

int main(int argc, char** argv) {
  raylaunch::RedactedOutput redacted;
  return raylaunch::run_guarded([&] { return raylaunch::run_cli(argc, argv); }, std::cerr);
}

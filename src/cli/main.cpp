// The raylaunch program; everything it does is in raylaunch_core.
#include <raylaunch/cli/cli.hpp>

int main(int argc, char** argv) { return raylaunch::run_cli(argc, argv); }

// raylaunch(1), made from the parser's definition at build time (`raylaunch
// __man`), so every command and option the parser knows is in the page with
// its own help text; the sections no parser knows (exit status, environment,
// files, examples) are written here.
#include "tools.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <raylaunch/plan/planner.hpp>

#include <iostream>
#include <string>

namespace raylaunch::cli {

namespace {

// Text as roff reads it: backslashes and dashes escaped, no line starting a request.
std::string roff(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
    if (c == '\n') {
      out += "\\&";
    }
  }
  return (out.starts_with('.') || out.starts_with('\'')) ? "\\&" + out : out;
}

// "-f, --file TEXT" in bold, its value in italics.
std::string option_label(const CLI::Option& option) {
  std::string names;
  for (const std::string& name : option.get_snames()) {
    names += (names.empty() ? "" : ", ") + fmt::format("\\fB\\-{}\\fR", name);
  }
  for (const std::string& name : option.get_lnames()) {
    names += (names.empty() ? "" : ", ") + fmt::format("\\fB\\-\\-{}\\fR", roff(name));
  }
  if (option.get_positional() && names.empty()) {
    return fmt::format("\\fI{}\\fR", roff(option.get_name(true)));
  }
  std::string type = option.get_type_name();
  type = type.substr(0, type.find(':'));
  return option.get_expected_min() == 0 || type.empty() ? names
                                                        : fmt::format("{} \\fI{}\\fR", names, type);
}

// `command`'s options; a command's copies of the global options are left out.
void print_options(const CLI::App& command, const CLI::App* globals) {
  for (const CLI::Option* option : command.get_options()) {
    const std::vector<std::string>& lnames = option->get_lnames();
    bool global = globals != nullptr && !lnames.empty() &&
                  globals->get_option_no_throw("--" + lnames.front()) != nullptr;
    if (!global) {
      std::cout << fmt::format(".TP\n{}\n{}\n", option_label(*option),
                               roff(option->get_description()));
    }
  }
}

void print_commands(const CLI::App& parent, const CLI::App& root, const std::string& prefix) {
  for (const CLI::App* command : parent.get_subcommands([](const CLI::App*) { return true; })) {
    if (command->get_group().empty()) {
      continue;
    }
    std::string name = prefix + command->get_name();
    std::string aliases;
    for (const std::string& alias : command->get_aliases()) {
      aliases += fmt::format(" (or \\fB{}\\fR)", roff(alias));
    }
    std::cout << fmt::format(".SS {}{}\n{}\n", roff(name), aliases,
                             roff(command->get_description()));
    print_options(*command, &root);
    print_commands(*command, root, name + " ");
  }
}

constexpr const char* k_sections = R"(.SH EXIT STATUS
.TP
\fB0\fR
Done: the command succeeded (for \fBstatus\fR, every planned node runs and is alive).
.TP
\fB1\fR
Failed: a docker command, the engine, Ray or a job failed; \fBstatus\fR: a node is missing or dead.
.TP
\fB2\fR
A bad spec or bad usage; nothing was created.
.TP
\fB3\fR
\fBrun\fR only: the cluster did not come up, so no job ran.
.TP
\fB70\fR
An internal error (a bug in raylaunch).
.TP
\fB125\fR, \fB126\fR, \fB127\fR
\fBexec\fR only, whose other codes are the command's own: docker or raylaunch failed before the
command ran (125), the command cannot be run (126), or it was not found (127).
.TP
\fB130\fR, \fB143\fR, \fB129\fR
Interrupted by SIGINT, SIGTERM or SIGHUP (128 + the signal); stderr ends with a line of what is left.
.SH ENVIRONMENT
.TP
\fBRAYLAUNCH_DOCKER\fR
The docker program to run (as \fB\-\-docker\fR).
.TP
\fBRAYLAUNCH_LOG_LEVEL\fR
The log on stderr, as \fB\-\-log\-level\fR: \fBdebug\fR (as \fB\-\-verbose\fR) every docker
command and HTTP request to Ray with its status and time, secrets masked; \fBinfo\fR why \fBup\fR
keeps, creates, re\-creates, starts or removes each container; \fBwarn\fR; \fBoff\fR (the default).
.TP
\fBRAYLAUNCH_ENGINE_TIMEOUT\fR
Seconds (fractions too) raylaunch waits for each quick docker call; past it, the call is killed with its whole process group.
.TP
\fBRAYLAUNCH_SHIP_TIMEOUT\fR
Whole seconds \fBpull: ship\fR waits while no byte of \fBdocker save | docker load\fR moves, before it gives up on that host (default 60).
.TP
\fBRAYLAUNCH_LOCK_DIR\fR
Where the per\-project locks of \fBup\fR and \fBdown\fR are kept (else
\fB$XDG_RUNTIME_DIR/raylaunch\fR, else \fB/tmp/raylaunch\-<uid>\fR): a folder of the user's own
with mode 0700, made so when missing; a symbolic link or a folder others may write is refused.
.TP
\fBDOCKER_HOST\fR, \fBDOCKER_CONTEXT\fR
The Docker engine, as for docker itself; \fB\-\-context\fR overrides them.
.TP
\fBRAY_IMAGE\fR
Not read by raylaunch itself, but the examples and \fBraylaunch init\fR's spec write
\fBimage: ${RAY_IMAGE:\-rayproject/ray:2.52.1}\fR, so it picks the image.
.TP
\fBCI\fR
\fBtrue\fR or \fB1\fR makes \fB\-\-progress auto\fR plain.
.TP
\fBNO_COLOR\fR
Set and not empty: \fB\-\-progress tty\fR prints without colours.
.SH FILES
.TP
\fBraylaunch.yml\fR (or \fBraylaunch.yaml\fR)
The cluster spec in the current folder, used when \fB\-f\fR is not given.
.TP
\fB.env\fR
Variables for \fB${NAME}\fR in the spec, read from the spec's folder.
.SH EXAMPLES
.nf
raylaunch init \-\-workers 3 \-\-gpus 0,2
raylaunch config
raylaunch up \-f cluster.yml \-\-timeout 300
raylaunch status \-\-json
raylaunch logs cpu\-2 \-f \-\-tail 100
raylaunch exec head \-\- ray status
raylaunch submit \-\-working\-dir . \-\- python train.py
raylaunch run \-\-junit report.xml \-\- python smoke.py
raylaunch down \-v
raylaunch schema > raylaunch.schema.json
source <(raylaunch completion bash)
.fi
.SH SEE ALSO
\fBdocker\fR(1), \fBdocker\-compose\fR(1); the spec reference in
/usr/share/doc/raylaunch or docs/spec\-reference.md.
)";

}  // namespace

int run_man(const CLI::App& app) {
  std::cout << fmt::format(".TH RAYLAUNCH 1 \"\" \"raylaunch {}\" \"User Commands\"\n", k_version)
            << ".SH NAME\nraylaunch \\- bring up a Ray cluster in Docker from one YAML spec\n"
            << ".SH SYNOPSIS\n\\fBraylaunch\\fR [\\fIglobal options\\fR] \\fIcommand\\fR "
               "[\\fIoptions\\fR] [\\fIarguments\\fR]\n"
            << ".SH DESCRIPTION\n"
            << roff(app.get_description()) << ".\n"
            << "A spec names the image, the head and groups of workers; each node is a "
               "container whose main process is \\fBray start \\-\\-block\\fR.\n"
            << ".SH GLOBAL OPTIONS\nThey go before or after the command.\n";
  print_options(app, nullptr);
  std::cout << ".SH COMMANDS\n";
  print_commands(app, app, "");
  std::cout << k_sections;
  return 0;
}

}  // namespace raylaunch::cli

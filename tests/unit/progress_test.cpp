// Progress output is read by people (tty), by log files (plain) and by
// programs (json), so each mode is checked as whole text with a fake clock.
#include <gtest/gtest.h>

#include <raylaunch/execute/progress.hpp>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <thread>
#include <vector>

#include "support/ci.hpp"
#include "support/scoped_env.hpp"

namespace raylaunch {
namespace {

using test::ScopedEnv;

// A stream buffer the test may read while the redraw thread writes to it.
class SharedBuffer : public std::streambuf {
 public:
  std::string snapshot() {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_text;
  }

 protected:
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_text.push_back(traits_type::to_char_type(c));
    }
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_text.append(s, static_cast<std::size_t>(n));
    return n;
  }

 private:
  std::mutex m_mutex;
  std::string m_text;
};

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

TEST(ProgressModeFrom, NamesEachModeExplicitly) {
  EXPECT_EQ(progress_mode_from("tty", -1), ProgressMode::tty);
  EXPECT_EQ(progress_mode_from("plain", -1), ProgressMode::plain);
  EXPECT_EQ(progress_mode_from("json", -1), ProgressMode::json);
}

TEST(ProgressModeFrom, AutoIsPlainWhenNotATerminal) {
  EXPECT_EQ(progress_mode_from("auto", -1), ProgressMode::plain);
}

// A pseudo-terminal for isatty(); fd() is -1 when the system offers none.
class PseudoTerminal {
 public:
  PseudoTerminal() : m_master(posix_openpt(O_RDWR | O_NOCTTY)) {
    if (m_master >= 0 && grantpt(m_master) == 0 && unlockpt(m_master) == 0) {
      m_terminal = open(ptsname(m_master), O_RDWR | O_NOCTTY);
    }
  }
  ~PseudoTerminal() {
    for (int fd : {m_terminal, m_master}) {
      if (fd >= 0) {
        close(fd);
      }
    }
  }
  PseudoTerminal(const PseudoTerminal&) = delete;
  PseudoTerminal& operator=(const PseudoTerminal&) = delete;
  int fd() const { return m_terminal; }

 private:
  int m_master;
  int m_terminal = -1;
};

TEST(ProgressModeFrom, AutoIsTtyOnATerminalUnlessTermIsDumb) {
  PseudoTerminal pty;
  if (pty.fd() < 0) {
    RAYLAUNCH_SKIP_OR_FAIL("no pseudo-terminal available");
  }
  int terminal = pty.fd();
  ScopedEnv no_ci("CI", nullptr);
  {
    ScopedEnv term("TERM", "xterm-256color");
    EXPECT_EQ(progress_mode_from("auto", terminal), ProgressMode::tty);
  }
  {
    ScopedEnv term("TERM", "dumb");
    EXPECT_EQ(progress_mode_from("auto", terminal), ProgressMode::plain);
  }
}

TEST(ProgressModeFrom, AutoIsPlainInCiEvenOnATerminal) {
  PseudoTerminal pty;
  if (pty.fd() < 0) {
    RAYLAUNCH_SKIP_OR_FAIL("no pseudo-terminal available");
  }
  int terminal = pty.fd();
  ScopedEnv term("TERM", "xterm-256color");
  for (const char* value : {"true", "1"}) {
    ScopedEnv ci("CI", value);
    EXPECT_EQ(progress_mode_from("auto", terminal), ProgressMode::plain) << "CI=" << value;
    EXPECT_EQ(progress_mode_from("tty", terminal), ProgressMode::tty) << "asked for, it wins";
  }
  {
    ScopedEnv ci("CI", "false");
    EXPECT_EQ(progress_mode_from("auto", terminal), ProgressMode::tty);
  }
}

TEST(ProgressModeFrom, RejectsUnknownName) {
  try {
    progress_mode_from("fancy", -1);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(),
                 "unknown progress mode \"fancy\", expected auto, tty, plain or json");
  }
}

TEST(PlainProgress, PrintsOneLinePerEventWithElapsedWhenFinished) {
  double now = 10.0;
  std::ostringstream out;
  Progress progress(out, ProgressMode::plain, [&now] { return now; });
  progress.event("Network demo_net", "Creating");
  now = 10.2;
  progress.event("Network demo_net", "Created", EventState::done);
  progress.event("Container demo-head", "Creating");
  progress.event("Container demo-worker-0", "Creating");
  now = 10.6;
  progress.event("Container demo-head", "Created", EventState::done);
  now = 11.0;
  progress.event("Container demo-worker-0", "Created", EventState::done);
  progress.event("Container demo-head", "Starting");
  now = 12.3;
  progress.event("Container demo-head", "Started", EventState::done);
  progress.event("Container demo-worker-0", "Starting");
  now = 12.5;
  progress.event("Container demo-worker-0", "Started", EventState::done);
  EXPECT_EQ(out.str(),
            " Network demo_net  Creating\n"
            " Network demo_net  Created  0.2s\n"
            " Container demo-head  Creating\n"
            " Container demo-worker-0  Creating\n"
            " Container demo-head  Created  0.4s\n"
            " Container demo-worker-0  Created  0.8s\n"
            " Container demo-head  Starting\n"
            " Container demo-head  Started  2.1s\n"
            " Container demo-worker-0  Starting\n"
            " Container demo-worker-0  Started  2.3s\n");
}

TEST(PlainProgress, PrintsErrorAndWarningWithText) {
  double now = 0.0;
  std::ostringstream out;
  Progress progress(out, ProgressMode::plain, [&now] { return now; });
  progress.event("Container demo-head", "Creating");
  now = 0.7;
  progress.event("Container demo-head", "Error", EventState::error,
                 "docker run exited 125: no such image ray:2.9");
  progress.event("Volume demo_data", "Exists", EventState::warning, "created outside raylaunch");
  progress.message("raylaunch: warning: 2 GPUs requested, 1 found");
  EXPECT_EQ(out.str(),
            " Container demo-head  Creating\n"
            " Container demo-head  Error  docker run exited 125: no such image ray:2.9  0.7s\n"
            " Volume demo_data  Exists  created outside raylaunch  0.0s\n"
            "raylaunch: warning: 2 GPUs requested, 1 found\n");
}

TEST(PlainProgress, DoesNotDoubleAMessagesNewline) {
  std::ostringstream out;
  Progress progress(out, ProgressMode::plain, [] { return 0.0; });
  progress.message("first\n");
  progress.message("second");
  EXPECT_EQ(out.str(), "first\nsecond\n");
}

// Given 8 threads reporting at once, we expect 400 whole lines: the lock
// covers each event's whole write, so no line is ever split by another.
TEST(PlainProgress, LinesDoNotInterleaveAcrossThreads) {
  std::ostringstream out;
  double now = 0.0;
  // The clock runs under Progress's lock, so a plain counter is safe here.
  Progress progress(out, ProgressMode::plain, [&now] { return now += 0.01; });
  std::vector<std::thread> workers;
  for (int worker = 0; worker < 8; ++worker) {
    workers.emplace_back([&progress, worker] {
      for (int i = 0; i < 50; ++i) {
        std::string id =
            "Container demo-worker-" + std::to_string(worker) + "-" + std::to_string(i / 2);
        if (i % 2 == 0) {
          progress.event(id, "Starting");
        } else {
          progress.event(id, "Started", EventState::done, "ok");
        }
      }
    });
  }
  for (std::thread& worker : workers) {
    worker.join();
  }
  std::istringstream lines(out.str());
  const std::regex format(
      R"( Container demo-worker-[0-7]-[0-9]+  (Starting|Started  ok  [0-9]+\.[0-9]s))");
  std::set<std::string> seen;
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    ++count;
    EXPECT_TRUE(std::regex_match(line, format)) << line;
    std::string key = line.substr(0, line.find("  ok"));  // drop the elapsed time
    EXPECT_TRUE(seen.insert(key).second) << "twice: " << line;
  }
  EXPECT_EQ(count, 400);
  EXPECT_EQ(out.str().back(), '\n');
}

TEST(JsonProgress, PrintsOneObjectPerLine) {
  double now = 5.0;
  std::ostringstream out;
  Progress progress(out, ProgressMode::json, [&now] { return now; });
  progress.event("Container demo-head", "Creating");
  now = 5.44;
  progress.event("Container demo-head", "Started", EventState::done);
  now = 6.0;
  progress.event("Container demo-worker-0", "Error", EventState::error, "exit 125: \"bad\"");
  progress.message("warning: 2 GPUs requested, 1 found");
  EXPECT_EQ(
      out.str(),
      R"({"id":"Container demo-head","status":"Creating","state":"working","text":"","elapsed":0.0})"
      "\n"
      R"({"id":"Container demo-head","status":"Started","state":"done","text":"","elapsed":0.4})"
      "\n"
      R"({"id":"Container demo-worker-0","status":"Error","state":"error","text":"exit 125: \"bad\"","elapsed":0.0})"
      "\n"
      R"({"message":"warning: 2 GPUs requested, 1 found"})"
      "\n");
}

TEST(JsonProgress, KeepsEventsWhoseTextIsNotUtf8) {
  std::ostringstream out;
  Progress progress(out, ProgressMode::json, [] { return 0.0; });
  progress.message("bad \xff byte");
  EXPECT_EQ(out.str(), "{\"message\":\"bad \xef\xbf\xbd byte\"}\n");
}

TEST(TtyProgress, DrawsTheFirstBlockAtOnce) {
  ScopedEnv no_colour("NO_COLOR", "1");
  std::ostringstream out;
  {
    Progress progress(out, ProgressMode::tty, [] { return 0.0; });
    progress.event("Container demo-head", "Creating");
    progress.finish();
  }
  // Redraws between the two draws depend on timing, so only the ends are fixed.
  std::string text = out.str();
  EXPECT_EQ(text.rfind("\x1b[?25l\x1b[2K[+] Running 0/1\n"
                       "\x1b[2K ⠋ Container demo-head  Creating\n",
                       0),
            0u)
      << text;
  EXPECT_TRUE(ends_with(text,
                        "\x1b[?25l\x1b[2A\r"
                        "\x1b[2K[+] Running 0/1\n"
                        "\x1b[2K ⠋ Container demo-head  Creating\n"
                        "\x1b[?25h"))
      << text;
}

TEST(TtyProgress, FinishDrawsTheFinalBlockAndShowsTheCursor) {
  ScopedEnv no_colour("NO_COLOR", "1");
  double now = 0.0;
  std::ostringstream out;
  Progress progress(out, ProgressMode::tty, [&now] { return now; });
  progress.event("Container demo-head", "Creating");
  progress.event("Container demo-worker-0", "Creating");
  now = 0.4;
  progress.event("Container demo-head", "Started", EventState::done);
  now = 0.5;
  progress.event("Container demo-worker-0", "Started", EventState::done);
  progress.finish();
  EXPECT_TRUE(ends_with(out.str(),
                        "\x1b[?25l\x1b[3A\r"
                        "\x1b[2K[+] Running 2/2\n"
                        "\x1b[2K ✔ Container demo-head      Started  0.4s\n"
                        "\x1b[2K ✔ Container demo-worker-0  Started  0.5s\n"
                        "\x1b[?25h"))
      << out.str();
}

TEST(TtyProgress, ColoursFinishedItemsByState) {
  ScopedEnv no_colour("NO_COLOR", nullptr);
  double now = 0.0;
  std::ostringstream out;
  Progress progress(out, ProgressMode::tty, [&now] { return now; });
  progress.event("Container demo-head", "Creating");
  now = 1.0;
  progress.event("Container demo-head", "Started", EventState::done);
  progress.event("Volume demo_data", "Exists", EventState::warning, "not ours");
  progress.event("Container demo-worker-0", "Error", EventState::error, "exit 125");
  progress.finish();
  EXPECT_TRUE(ends_with(out.str(),
                        "\x1b[2K[+] Running 3/3\n"
                        "\x1b[2K \x1b[32m✔\x1b[0m Container demo-head      "
                        "\x1b[32mStarted\x1b[0m           1.0s\n"
                        "\x1b[2K \x1b[33m!\x1b[0m Volume demo_data         "
                        "\x1b[33mExists\x1b[0m  not ours  0.0s\n"
                        "\x1b[2K \x1b[31m✘\x1b[0m Container demo-worker-0  "
                        "\x1b[31mError\x1b[0m  exit 125   0.0s\n"
                        "\x1b[?25h"))
      << out.str();
}

TEST(TtyProgress, PrintsMessagesAboveTheBlock) {
  ScopedEnv no_colour("NO_COLOR", "1");
  std::ostringstream out;
  Progress progress(out, ProgressMode::tty, [] { return 0.0; });
  progress.event("Container demo-head", "Creating");
  progress.message("warning: 2 GPUs requested, 1 found");
  progress.finish();
  std::string text = out.str();
  EXPECT_NE(text.find("\x1b[?25l\x1b[2A\r"
                      "\x1b[2Kwarning: 2 GPUs requested, 1 found\n"
                      "\x1b[2K[+] Running 0/1\n"
                      "\x1b[2K ⠋ Container demo-head  Creating\n"),
            std::string::npos)
      << text;
  // The message scrolled away above, so the block is still two lines tall.
  EXPECT_TRUE(ends_with(text,
                        "\x1b[?25l\x1b[2A\r"
                        "\x1b[2K[+] Running 0/1\n"
                        "\x1b[2K ⠋ Container demo-head  Creating\n"
                        "\x1b[?25h"))
      << text;
}

TEST(TtyProgress, PrintsPlainLinesAfterFinish) {
  ScopedEnv no_colour("NO_COLOR", "1");
  double now = 0.0;
  std::ostringstream out;
  Progress progress(out, ProgressMode::tty, [&now] { return now; });
  progress.event("Container demo-head", "Started", EventState::done);
  progress.finish();
  progress.finish();
  std::string finished = out.str();
  now = 0.3;
  progress.event("Container demo-head", "Removed", EventState::done);
  progress.message("bye");
  EXPECT_EQ(out.str(), finished + " Container demo-head  Removed  0.3s\nbye\n");
  EXPECT_EQ(count_of(out.str(), "\x1b[?25h"), 1u);
}

TEST(TtyProgress, PrintsNothingWithoutEvents) {
  std::ostringstream out;
  { Progress progress(out, ProgressMode::tty); }
  EXPECT_EQ(out.str(), "");
}

// Given a working item and a clock that moves on, we expect the background
// thread to redraw with the next spinner frame without any new event.
TEST(TtyProgress, AnimatesTheSpinnerWhileWorking) {
  ScopedEnv no_colour("NO_COLOR", "1");
  SharedBuffer buffer;
  std::ostream out(&buffer);
  std::atomic<double> now{0.0};
  Progress progress(out, ProgressMode::tty, [&now] { return now.load(); });
  progress.event("Container demo-head", "Waiting");
  now = 0.15;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (buffer.snapshot().find("⠙ Container demo-head  Waiting") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  progress.finish();
  EXPECT_NE(buffer.snapshot().find("\x1b[2K ⠙ Container demo-head  Waiting\n"), std::string::npos);
}

}  // namespace
}  // namespace raylaunch

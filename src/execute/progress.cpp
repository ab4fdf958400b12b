// Bringing up a cluster runs many Docker commands at once; this file shows
// how each resource is getting on, like `docker compose up`, as a redrawn
// block on a terminal or as plain or JSON lines when the output is logged.
#include <raylaunch/execute/progress.hpp>

#include <raylaunch/base/redact.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string_view>

namespace raylaunch {

namespace {

using nlohmann::ordered_json;

constexpr std::array<std::string_view, 10> k_spinner = {"⠋", "⠙", "⠹", "⠸", "⠼",
                                                        "⠴", "⠦", "⠧", "⠇", "⠏"};
constexpr std::string_view k_green = "\x1b[32m";
constexpr std::string_view k_yellow = "\x1b[33m";
constexpr std::string_view k_red = "\x1b[31m";
constexpr std::string_view k_reset = "\x1b[0m";
constexpr std::string_view k_clear_line = "\x1b[2K";
constexpr std::string_view k_hide_cursor = "\x1b[?25l";
constexpr std::string_view k_show_cursor = "\x1b[?25h";
constexpr std::chrono::milliseconds k_redraw_interval{100};

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

const char* state_name(EventState state) {
  switch (state) {
    case EventState::working:
      return "working";
    case EventState::done:
      return "done";
    case EventState::warning:
      return "warning";
    case EventState::error:
      return "error";
  }
  return "working";
}

// Counts code points, not bytes, so the spinner and ticks take one column.
std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++width;
    }
  }
  return width;
}

std::string pad_to(std::string_view text, std::size_t width) {
  std::size_t have = display_width(text);
  return std::string(text) + std::string(have < width ? width - have : 0, ' ');
}

std::string with_text(const std::string& status, const std::string& text) {
  return text.empty() ? status : status + "  " + text;
}

// Message lines without the final newline, so each can be cleared and drawn alone.
std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t newline = text.find('\n', start);
    if (newline == std::string::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, newline - start));
    start = newline + 1;
  }
  if (lines.empty()) {
    lines.emplace_back();
  }
  return lines;
}

std::string plain_line(const std::string& id, const std::string& status, EventState state,
                       const std::string& text, double elapsed) {
  std::string elapsed_part = state == EventState::working ? "" : fmt::format("  {:.1f}s", elapsed);
  return fmt::format(" {}  {}{}{}\n", id, status, text.empty() ? "" : "  " + text, elapsed_part);
}

std::string plain_message(const std::string& text) {
  if (!text.empty() && text.back() == '\n') {
    return text;
  }
  return text + "\n";
}

// What a step of `up --dry-run` would do, from the word it began with
// (`working`) or, for a step without one, the word it ended with.
std::string would(const std::string& working, const std::string& done) {
  static const std::map<std::string, std::string> k_would = {
      {"Creating", "Would create"}, {"Created", "Would create"},   {"Starting", "Would start"},
      {"Started", "Would start"},   {"Recreate", "Would recreate"}, {"Recreated", "Would recreate"},
      {"Removing", "Would remove"}, {"Removed", "Would remove"},   {"Pulling", "Would pull"},
      {"Pulled", "Would pull"},     {"Shipping", "Would ship"},    {"Shipped", "Would ship"}};
  auto found = k_would.find(working.empty() ? done : working);
  return found == k_would.end() ? done : found->second;
}

std::string json_line(const ordered_json& document) {
  // Docker's messages may hold bytes that are not UTF-8; printing them badly
  // beats throwing away the event.
  return document.dump(-1, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace

ProgressMode progress_mode_from(const std::string& name, int fd) {
  if (name == "tty") {
    return ProgressMode::tty;
  }
  if (name == "plain") {
    return ProgressMode::plain;
  }
  if (name == "json") {
    return ProgressMode::json;
  }
  if (name == "auto") {
    // A CI log is no terminal even when the runner gives the job a pty.
    const char* term = std::getenv("TERM");
    const char* ci = std::getenv("CI");
    bool dumb = term != nullptr && std::string_view(term) == "dumb";
    bool in_ci = ci != nullptr && (std::string_view(ci) == "true" || std::string_view(ci) == "1");
    return isatty(fd) == 1 && !dumb && !in_ci ? ProgressMode::tty : ProgressMode::plain;
  }
  throw std::invalid_argument(
      fmt::format("unknown progress mode \"{}\", expected auto, tty, plain or json", name));
}

Progress::Progress(std::ostream& out, ProgressMode mode, std::function<double()> clock)
    : m_out(out), m_mode(mode), m_clock(clock ? std::move(clock) : steady_seconds) {
  // https://no-color.org: present and not empty turns colours off.
  const char* no_colour = std::getenv("NO_COLOR");
  m_colour = no_colour == nullptr || *no_colour == '\0';
  if (m_mode == ProgressMode::tty) {
    m_thread = std::thread([this] { redraw_loop(); });
  }
}

Progress::~Progress() { finish(); }

void Progress::event(const std::string& id, const std::string& status, EventState state,
                     const std::string& raw_text) {
  // Details come from Docker; a secret must not reach the screen through them.
  const std::string text = redact(raw_text);
  std::lock_guard<std::mutex> lock(m_mutex);
  double now = m_clock();
  auto known = m_index.find(id);
  std::string began = known == m_index.end() || m_items[known->second].state != EventState::working
                          ? std::string()
                          : m_items[known->second].status;
  const Item& item = update_item(id, m_dry_run && state == EventState::done ? would(began, status)
                                                                           : status,
                                 state, text, now);
  if (m_dry_run && state == EventState::working) {
    return;  // nothing is under way under --dry-run
  }
  double elapsed = std::max(0.0, now - item.first_seen);
  if (m_mode == ProgressMode::json) {
    ordered_json document = {{"id", id},
                             {"status", item.status},
                             {"state", state_name(state)},
                             {"text", text},
                             {"elapsed", std::round(elapsed * 10) / 10}};
    write(json_line(document));
  } else if (drawing()) {
    m_dirty = true;
    draw_block("");
  } else {
    write(plain_line(id, item.status, state, text, elapsed));
  }
}

void Progress::message(const std::string& raw_text) {
  const std::string text = redact(raw_text);
  std::lock_guard<std::mutex> lock(m_mutex);
  if (m_mode == ProgressMode::json) {
    write(json_line(ordered_json{{"message", text}}));
  } else if (drawing()) {
    std::string above;
    for (const std::string& line : split_lines(text)) {
      above += fmt::format("{}{}\n", k_clear_line, line);
    }
    draw_block(above);
  } else {
    write(plain_message(text));
  }
}

void Progress::finish() {
  std::lock_guard<std::mutex> finish_lock(m_finish_mutex);
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_finished) {
      return;
    }
    m_stop = true;
  }
  m_wake.notify_all();
  if (m_thread.joinable()) {
    m_thread.join();
  }
  std::lock_guard<std::mutex> lock(m_mutex);
  if (m_mode == ProgressMode::tty && !m_items.empty()) {
    draw_block("");
  }
  if (m_cursor_hidden) {
    write(std::string(k_show_cursor));
    m_cursor_hidden = false;
  }
  m_finished = true;
}

void Progress::set_dry_run(bool dry_run) {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_dry_run = dry_run;
}

std::size_t Progress::count_done(const std::string& prefix,
                                 const std::vector<std::string>& statuses) {
  std::lock_guard<std::mutex> lock(m_mutex);
  return static_cast<std::size_t>(std::count_if(m_items.begin(), m_items.end(), [&](const Item& item) {
    return item.state == EventState::done && item.id.starts_with(prefix) &&
           std::find(statuses.begin(), statuses.end(), item.status) != statuses.end();
  }));
}

Progress::Item& Progress::update_item(const std::string& id, const std::string& status,
                                      EventState state, const std::string& text, double now) {
  auto [found, inserted] = m_index.try_emplace(id, m_items.size());
  if (inserted) {
    m_items.push_back(Item{id, "", "", EventState::working, now, now});
  }
  Item& item = m_items[found->second];
  item.status = status;
  item.text = text;
  item.state = state;
  if (state != EventState::working) {
    item.finished_at = now;
  }
  return item;
}

bool Progress::drawing() const { return m_mode == ProgressMode::tty && !m_finished; }

std::vector<std::string> Progress::render_block(double now) const {
  std::vector<std::string> lines;
  if (m_items.empty()) {
    return lines;
  }
  std::size_t finished = 0;
  std::size_t id_width = 0;
  std::size_t body_width = 0;
  for (const Item& item : m_items) {
    if (item.state != EventState::working) {
      ++finished;
    }
    id_width = std::max(id_width, display_width(item.id));
    body_width = std::max(body_width, display_width(with_text(item.status, item.text)));
  }
  lines.push_back(fmt::format("[+] Running {}/{}", finished, m_items.size()));

  // The frame follows the clock, not a counter, so every redraw in one
  // 100 ms slice shows the same frame and a fake clock makes it predictable.
  long long tick = std::max(0LL, static_cast<long long>(std::floor(now * 10)));
  std::string_view spinner = k_spinner[static_cast<std::size_t>(tick) % k_spinner.size()];
  for (const Item& item : m_items) {
    std::string_view glyph = spinner;
    std::string_view colour;
    switch (item.state) {
      case EventState::working:
        break;
      case EventState::done:
        glyph = "✔";
        colour = k_green;
        break;
      case EventState::warning:
        glyph = "!";
        colour = k_yellow;
        break;
      case EventState::error:
        glyph = "✘";
        colour = k_red;
        break;
    }
    auto paint = [&](std::string_view text) {
      if (!m_colour || colour.empty()) {
        return std::string(text);
      }
      return fmt::format("{}{}{}", colour, text, k_reset);
    };
    std::string line =
        fmt::format(" {} {}  {}", paint(glyph), pad_to(item.id, id_width), paint(item.status));
    if (!item.text.empty()) {
      line += "  " + item.text;
    }
    if (item.state != EventState::working) {
      std::size_t body = display_width(with_text(item.status, item.text));
      line += fmt::format("{}  {:.1f}s", std::string(body_width - body, ' '),
                          std::max(0.0, item.finished_at - item.first_seen));
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string Progress::move_to_block_start() const {
  if (m_lines_drawn == 0) {
    return "";
  }
  return fmt::format("\x1b[{}A\r", m_lines_drawn);
}

// Draws `above` (already cleared, newline-ended lines) over the old block,
// then the block itself, so the block always stays at the bottom.
void Progress::draw_block(const std::string& above) {
  std::vector<std::string> lines = render_block(m_clock());
  std::string out;
  if (!lines.empty()) {
    out += k_hide_cursor;
    m_cursor_hidden = true;
  }
  out += move_to_block_start();
  out += above;
  for (const std::string& line : lines) {
    out += fmt::format("{}{}\n", k_clear_line, line);
  }
  write(out);
  m_lines_drawn = lines.size();
  m_dirty = false;
}

void Progress::redraw_loop() {
  std::unique_lock<std::mutex> lock(m_mutex);
  while (!m_stop) {
    m_wake.wait_for(lock, k_redraw_interval, [this] { return m_stop; });
    if (m_stop) {
      break;
    }
    bool spinning = std::any_of(m_items.begin(), m_items.end(),
                                [](const Item& item) { return item.state == EventState::working; });
    if (m_dirty || spinning) {
      draw_block("");
    }
  }
}

void Progress::write(const std::string& text) {
  m_out.write(text.data(), static_cast<std::streamsize>(text.size()));
  m_out.flush();
}

}  // namespace raylaunch

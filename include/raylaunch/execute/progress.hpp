#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace raylaunch {

/// How progress is shown: a redrawn block like `docker compose up` (`tty`),
/// one line per event (`plain`), or one JSON object per event (`json`).
enum class ProgressMode { tty, plain, json };

/// Where work on one resource stands. Every state except `working` ends it.
enum class EventState { working, done, warning, error };

/// Picks the mode for `--progress=<name>`, where `name` is auto, tty, plain or json.
/// `auto` means tty when `fd` is a terminal and TERM is not "dumb", else plain.
/// Throws std::invalid_argument for any other `name`; the command line should
/// only offer the four names, so this is a bug, not a user error.
ProgressMode progress_mode_from(const std::string& name, int fd);

/// Reports what happens to each resource (container, network, volume) while a
/// command runs. event() and message() may be called from several threads at
/// once; each call's output is written in one piece and never interleaves.
class Progress {
 public:
  /// Writes to `out`. `clock` returns monotonic seconds; it is called with the
  /// internal lock held, so it need not be thread-safe. Without one,
  /// std::chrono::steady_clock is used. In tty mode a background thread
  /// redraws the block every 100 ms, and a non-empty NO_COLOR turns colours off.
  Progress(std::ostream& out, ProgressMode mode, std::function<double()> clock = {});
  /// Calls finish().
  ~Progress();

  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// Reports that `id` (e.g. "Container demo-head", "Network demo_net") is now
  /// in `status` (e.g. "Creating", "Started", "Healthy", "Error"). Any `state`
  /// but `working` ends work on `id`, and the time since its first event is shown.
  /// `text` is an optional detail, e.g. the error Docker printed.
  void event(const std::string& id, const std::string& status,
             EventState state = EventState::working, const std::string& text = "");

  /// A line that is not about one resource, e.g. a warning. plain prints it as
  /// is, tty prints it above the block, json prints {"message": `text`}.
  void message(const std::string& text);

  /// In tty mode, draws the final block, shows the cursor again and stops the
  /// redraw thread; later calls print plain lines. Safe to call more than once.
  void finish();

  /// `up --dry-run`: nothing happens, so work under way is not shown, and a
  /// step's end says what it would do, by the word it began with: "Creating"
  /// then "Started" shows "Would create", "Starting" "Would start", and
  /// "Removing", "Recreate", "Pulling", "Shipping" alike.
  void set_dry_run(bool dry_run);

  /// How many resources whose id starts with `prefix` (e.g. "Container ")
  /// last reported a `done` event with one of `statuses`.
  std::size_t count_done(const std::string& prefix, const std::vector<std::string>& statuses);

 private:
  struct Item {
    std::string id;
    std::string status;
    std::string text;
    EventState state = EventState::working;
    double first_seen = 0;
    double finished_at = 0;
  };

  Item& update_item(const std::string& id, const std::string& status, EventState state,
                    const std::string& text, double now);
  bool drawing() const;
  std::vector<std::string> render_block(double now) const;
  std::string move_to_block_start() const;
  void draw_block(const std::string& above);
  void redraw_loop();
  void write(const std::string& text);

  std::ostream& m_out;
  ProgressMode m_mode;
  std::function<double()> m_clock;
  bool m_colour = true;
  bool m_dry_run = false;

  std::mutex m_mutex;         // guards everything below and every write to m_out
  std::vector<Item> m_items;  // in first-seen order
  std::unordered_map<std::string, std::size_t> m_index;  // id -> position in m_items
  std::size_t m_lines_drawn = 0;
  bool m_cursor_hidden = false;
  bool m_dirty = false;
  bool m_stop = false;
  bool m_finished = false;

  std::mutex m_finish_mutex;  // lets only one caller join the thread
  std::condition_variable m_wake;
  std::thread m_thread;
};

}  // namespace raylaunch

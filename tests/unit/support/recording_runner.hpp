#pragma once

// Records every command instead of running it, and answers from a script of
// replies, so the executor's docker calls can be asserted exactly.
#include <raylaunch/engine/command_runner.hpp>

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace raylaunch::test {

class RecordingRunner final : public CommandRunner {
 public:
  CommandResult run(const Command& command) override {
    std::lock_guard<std::mutex> lock(m_mutex);
    argvs.push_back(command.argv);
    if (m_answer) {
      return m_answer(command.argv);
    }
    if (m_replies.empty()) {
      return {};
    }
    CommandResult reply = std::move(m_replies.front());
    m_replies.pop_front();
    return reply;
  }
  /// The next command gets `reply` (in call order).
  void reply_with(CommandResult reply) { m_replies.push_back(std::move(reply)); }
  /// Every command is answered by `answer`, e.g. by looking at its subcommand.
  void answer_with(std::function<CommandResult(const std::vector<std::string>&)> answer) {
    m_answer = std::move(answer);
  }
  std::vector<std::vector<std::string>> argvs;  // what ran, in order

 private:
  std::mutex m_mutex;
  std::deque<CommandResult> m_replies;
  std::function<CommandResult(const std::vector<std::string>&)> m_answer;
};

}  // namespace raylaunch::test

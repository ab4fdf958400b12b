#pragma once

// Host ports as unit tests see them: made up, never the machine's. The real
// probe binds the port, so a cluster left running on this machine (the
// quickstart's 6379, 8265, 10001) would fail tests that have nothing to do
// with it.
#include <raylaunch/engine/docker_engine.hpp>

#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace raylaunch::test {

/// Says every port is free; what each Executor of a unit test is given.
inline bool every_port_free(const std::string& /*ip*/, int /*port*/) { return false; }

/// Says the ports in `taken` ("IP:PORT") are taken, and records each one asked.
class FakePorts {
 public:
  explicit FakePorts(std::set<std::string> taken = {}) : m_taken(std::move(taken)) {}
  PortProbe probe() {
    return [this](const std::string& ip, int port) {
      std::string address = ip + ":" + std::to_string(port);
      std::lock_guard<std::mutex> lock(m_mutex);
      asked.push_back(address);
      return m_taken.count(address) > 0;
    };
  }
  std::vector<std::string> asked;  // in order

 private:
  std::mutex m_mutex;
  std::set<std::string> m_taken;
};

}  // namespace raylaunch::test

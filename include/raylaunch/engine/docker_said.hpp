#pragma once

// What docker printed on stderr, read for messages: the daemon's words
// without the CLI's usage boilerplate, and the few facts raylaunch acts on.

#include <string>
#include <vector>

namespace raylaunch {

/// Every meaningful line of docker's stderr, in order, joined by "; ": the
/// `docker: ` prefix, `See 'docker run --help'.`, `Run 'docker run --help'
/// for more information` and `Usage: ...` blocks are left out; the daemon's
/// text ("Error response from daemon: ...") is kept whole. "" when nothing
/// is left.
std::string docker_message(const std::string& err);

/// The docker command `args` run, for messages: `docker run`, `docker
/// network create`, ...
std::string docker_verb(const std::vector<std::string>& args);

/// The id of the container that holds a name, from the daemon's `Conflict.
/// The container name "/x" is already in use by container "ID"`; "" when
/// `said` is not that.
std::string conflicting_container(const std::string& said);

/// Why docker could not reach its engine, from its words.
enum class EngineTrouble {
  other,            // not a connection problem (or one raylaunch cannot tell)
  no_context,       // the context named does not exist
  down_local,       // nothing answers on a unix socket of this machine
  down_remote,      // nothing answers at a tcp:// or ssh:// address
  permission,       // the socket is there but not ours to use
};
EngineTrouble engine_trouble(const std::string& said);

}  // namespace raylaunch

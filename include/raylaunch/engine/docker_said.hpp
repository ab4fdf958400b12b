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

/// The exit code of `raylaunch exec`, from `docker exec`'s code and the start
/// of its stdout and stderr, so that the codes mean what they mean for
/// `docker run` whatever the engine's version: 125 docker's own failure (the
/// daemon's "Error response from daemon: No such container", "... is not
/// running", which docker exec ends with 1, and an engine that was not
/// reached: no daemon, no such context, no permission on its socket), 127 the command was not found
/// (which engines before 23 end with 126), 126 it cannot be run; any other
/// code is the command's own.
int exec_exit_code(int code, const std::string& out, const std::string& err);

}  // namespace raylaunch

#pragma once

// `submit --working-dir`: a local folder shipped to the cluster the way Ray's
// own job client does it, as a zip uploaded to the head under a name derived
// from the folder's content.

#include <cstdint>
#include <memory>
#include <string>

namespace raylaunch {

/// Ray refuses packages larger than its gRPC message limit (500 MiB by
/// default, RAY_max_grpc_message_size): checked on the files before reading.
inline constexpr uint64_t k_package_limit = 500ULL * 1024 * 1024;
/// Ray's dashboard refuses request bodies of 100 MiB or more
/// (DASHBOARD_CLIENT_MAX_SIZE), so that is the limit on the zip it receives.
inline constexpr uint64_t k_upload_limit = 100ULL * 1024 * 1024;

struct Package {
  std::string name;      // _ray_pkg_<16 hex digits of the content's SHA-256>
  std::string zip_path;  // the zip, in a private temporary folder removed with the last copy
  uint64_t zip_bytes = 0;
  size_t files = 0;
  uint64_t content_bytes = 0;
  size_t stored = 0;  // files stored as they are, because deflate would have grown them

  /// What runtime_env.working_dir names: gcs://<name>.zip
  std::string uri() const { return "gcs://" + name + ".zip"; }
  /// The zip's bytes, read from `zip_path` (under k_upload_limit by then).
  /// Throws ExecError when the file cannot be read.
  std::string read_zip() const;

  std::shared_ptr<void> temporary;  // removes the temporary folder
};

/// Zips the content of `folder` (at the zip's top level, no enclosing folder)
/// as Ray's client does, into a temporary file: memory does not grow with the
/// folder. `.git` folders are left out; regular files keep their mode; a
/// symbolic link is shipped under its own name with its target's content (a
/// link to a folder, the folder's content), and a dangling one, a socket or a
/// FIFO is left out. A file deflate would grow is stored as it is. An empty
/// folder is an empty zip. The name hashes every entry's path, mode and
/// bytes, so the same content is uploaded once.
/// Throws UsageError, naming the path, when `folder` is not a folder, its
/// files add up to more than `limit` (checked before anything is read), a
/// symbolic link leads back into a folder that holds it (a loop), a file or
/// folder cannot be read, or the zip reaches k_upload_limit.
Package make_package(const std::string& folder, uint64_t limit = k_package_limit);

}  // namespace raylaunch

#pragma once

// `submit --working-dir`: a local folder shipped to the cluster the way Ray's
// own job client does it, as a zip uploaded to the head under a name derived
// from the folder's content.

#include <cstdint>
#include <string>

namespace raylaunch {

/// Ray refuses packages larger than its gRPC message limit (500 MiB by
/// default, RAY_max_grpc_message_size): checked on the files before reading.
inline constexpr uint64_t k_package_limit = 500ULL * 1024 * 1024;
/// Ray's dashboard refuses request bodies of 100 MiB or more
/// (DASHBOARD_CLIENT_MAX_SIZE), so that is the limit on the zip it receives.
inline constexpr uint64_t k_upload_limit = 100ULL * 1024 * 1024;

struct Package {
  std::string name;   // _ray_pkg_<16 hex digits of the content's SHA-256>
  std::string bytes;  // the zip
  size_t files = 0;
  uint64_t content_bytes = 0;

  /// What runtime_env.working_dir names: gcs://<name>.zip
  std::string uri() const { return "gcs://" + name + ".zip"; }
};

/// Zips the content of `folder` (at the zip's top level, no enclosing folder),
/// leaving out `.git` folders; regular files keep their mode. The name hashes
/// every file's path, mode and bytes, so the same content is uploaded once.
/// Throws UsageError when `folder` is not a folder, its files add up to more
/// than `limit` (checked before anything is read), or the zip reaches
/// k_upload_limit.
Package make_package(const std::string& folder, uint64_t limit = k_package_limit);

}  // namespace raylaunch

// The working-dir package, zipped with libzip (the only file that includes
// it) in memory: what is shipped is what Ray unpacks as the job's folder.
#include <raylaunch/ray/package.hpp>

#include <fmt/format.h>
#include <zip.h>

#include <raylaunch/base/error.hpp>
#include <raylaunch/base/sha256.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

namespace raylaunch {

namespace {

namespace fs = std::filesystem;

struct Entry {
  std::string path;  // relative, with '/'
  bool folder = false;
  uint64_t size = 0;
  unsigned mode = 0;
};

// Every file and folder under `root` in path order, `.git` left out.
std::vector<Entry> entries_of(const fs::path& root, uint64_t limit, uint64_t& total) {
  std::vector<Entry> entries;
  total = 0;
  fs::recursive_directory_iterator it(root, fs::directory_options::follow_directory_symlink);
  for (; it != fs::recursive_directory_iterator(); ++it) {
    if (it->path().filename() == ".git") {
      it.disable_recursion_pending();
      continue;
    }
    Entry entry{fs::relative(it->path(), root).generic_string(), it->is_directory(), 0,
                static_cast<unsigned>(it->status().permissions()) & 07777};
    if (!entry.folder && !it->is_regular_file()) {
      continue;  // sockets, fifos, dangling links: nothing to ship
    }
    if (!entry.folder) {
      entry.size = it->file_size();
      total += entry.size;
      if (total > limit) {
        throw UsageError(
            fmt::format("--working-dir {} holds more than {} MiB; Ray refuses packages that large",
                        root.string(), limit / (1024 * 1024)),
            "ship less (move data out of the folder, or mount it with volumes:)");
      }
    }
    entries.push_back(std::move(entry));
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.path < b.path; });
  return entries;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

[[noreturn]] void zip_failed(const char* what, zip_error_t* error) {
  throw ExecError(fmt::format("cannot make the working-dir package: {}: {}", what,
                              zip_error_strerror(error)),
                  "check that the folder is readable");
}

// The zip of `entries` as bytes, built in memory.
std::string zip_of(const fs::path& root, const std::vector<Entry>& entries,
                   std::vector<std::string>& contents) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
  if (buffer == nullptr) {
    zip_failed("buffer", &error);
  }
  zip_t* archive = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
  if (archive == nullptr) {
    zip_source_free(buffer);
    zip_failed("open", &error);
  }
  zip_source_keep(buffer);
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& entry = entries[i];
    zip_int64_t index =
        entry.folder ? zip_dir_add(archive, entry.path.c_str(), ZIP_FL_ENC_UTF_8)
                     : zip_file_add(archive, entry.path.c_str(),
                                    zip_source_buffer(archive, contents[i].data(),
                                                      contents[i].size(), 0),
                                    ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      zip_discard(archive);
      zip_source_free(buffer);
      zip_failed(entry.path.c_str(), zip_get_error(archive));
    }
    unsigned type = entry.folder ? S_IFDIR : S_IFREG;
    zip_file_set_external_attributes(archive, static_cast<zip_uint64_t>(index), 0,
                                     ZIP_OPSYS_UNIX, (type | entry.mode) << 16);
  }
  if (zip_close(archive) != 0) {
    zip_failed("close", zip_get_error(archive));
  }
  std::string bytes;
  zip_stat_t stat;
  if (zip_source_open(buffer) == 0 && zip_source_stat(buffer, &stat) == 0) {
    bytes.resize(stat.size);
    zip_source_read(buffer, bytes.data(), stat.size);
    zip_source_close(buffer);
  }
  zip_source_free(buffer);
  (void)root;
  return bytes;
}

}  // namespace

Package make_package(const std::string& folder, uint64_t limit) {
  fs::path root = fs::absolute(folder);
  std::error_code ignored;
  if (!fs::is_directory(root, ignored)) {
    throw UsageError(fmt::format("--working-dir {} is not a folder", folder),
                     "name a folder; its content becomes the job's working folder");
  }
  Package package;
  std::vector<Entry> entries = entries_of(root, limit, package.content_bytes);
  std::vector<std::string> contents(entries.size());
  std::string digest_input;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!entries[i].folder) {
      contents[i] = read_file(root / entries[i].path);
      ++package.files;
    }
    digest_input += fmt::format("{}\n{:o}\n{}\n", entries[i].path, entries[i].mode,
                                sha256_hex(contents[i]));
  }
  package.name = "_ray_pkg_" + sha256_hex(digest_input).substr(0, 16);
  package.bytes = zip_of(root, entries, contents);
  if (package.bytes.size() >= k_upload_limit) {
    throw UsageError(fmt::format("--working-dir {} zips to {} MiB; Ray's dashboard takes uploads "
                                 "under {} MiB",
                                 folder, package.bytes.size() / (1024 * 1024),
                                 k_upload_limit / (1024 * 1024)),
                     "ship less (move data out of the folder, or mount it with volumes:)");
  }
  return package;
}

}  // namespace raylaunch

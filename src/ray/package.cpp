// The working-dir package, zipped with libzip (the only file that includes
// it) into a temporary file, one file at a time: what is shipped is what Ray
// unpacks as the job's folder, and a big folder does not become big memory.
#include <raylaunch/ray/package.hpp>

#include <fmt/format.h>
#include <zip.h>

#include <raylaunch/base/error.hpp>
#include <raylaunch/base/sha256.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

namespace raylaunch {

namespace {

namespace fs = std::filesystem;

struct Entry {
  std::string path;  // relative, with '/': the name in the zip
  bool folder = false;
  uint64_t size = 0;
  unsigned mode = 0;
};

[[noreturn]] void cannot_read(const std::string& folder, const std::string& path, int error) {
  throw UsageError(fmt::format("--working-dir {}: cannot read {}: {}", folder,
                               path.empty() ? "." : path, std::strerror(error)),
                   "make it readable, or move it out of the folder");
}

// Every file and folder under the root, as Ray's client walks it: links are
// followed (a folder's content is shipped under the link's name), `.git` left
// out. `m_chain` holds the folders from the root down to where the walk is,
// so a link back to one of them is a loop, found before anything is read.
class Walk {
 public:
  Walk(std::string folder, uint64_t limit) : m_folder(std::move(folder)), m_limit(limit) {}

  std::vector<Entry> run(const fs::path& root, const struct stat& top, uint64_t& total) {
    descend(root, "", top);
    total = m_total;
    std::sort(m_entries.begin(), m_entries.end(),
              [](const Entry& a, const Entry& b) { return a.path < b.path; });
    return std::move(m_entries);
  }

 private:
  void descend(const fs::path& dir, const std::string& rel, const struct stat& self) {
    m_chain.emplace_back(self.st_dev, self.st_ino);
    std::vector<std::string> names;
    DIR* handle = ::opendir(dir.c_str());
    if (handle == nullptr) {
      cannot_read(m_folder, rel, errno);
    }
    errno = 0;
    while (dirent* each = ::readdir(handle)) {
      std::string name = each->d_name;
      if (name != "." && name != ".." && name != ".git") {
        names.push_back(name);
      }
    }
    int error = errno;
    ::closedir(handle);
    if (error != 0) {
      cannot_read(m_folder, rel, error);
    }
    std::sort(names.begin(), names.end());  // the first loop found is the same every time
    for (const std::string& name : names) {
      visit(dir / name, rel.empty() ? name : rel + "/" + name);
    }
    m_chain.pop_back();
  }

  void visit(const fs::path& path, const std::string& rel) {
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) {
      cannot_read(m_folder, rel, errno);
    }
    struct stat target = info;
    if (S_ISLNK(info.st_mode) && ::stat(path.c_str(), &target) != 0) {
      if (errno == ELOOP) {
        loop(rel);
      }
      return;  // dangling: nothing to ship, as in Ray's client
    }
    if (S_ISDIR(target.st_mode)) {
      for (const auto& [dev, ino] : m_chain) {
        if (dev == target.st_dev && ino == target.st_ino) {
          loop(rel);
        }
      }
      m_entries.push_back({rel, true, 0, static_cast<unsigned>(target.st_mode) & 07777});
      descend(path, rel, target);
      return;
    }
    if (!S_ISREG(target.st_mode)) {
      return;  // sockets, FIFOs, devices: nothing to ship
    }
    uint64_t size = static_cast<uint64_t>(target.st_size);
    m_total += size;
    if (m_total > m_limit) {
      throw UsageError(
          fmt::format("--working-dir {} holds more than {} MiB; Ray refuses packages that large",
                      m_folder, m_limit / (1024 * 1024)),
          "ship less (move data out of the folder, or mount it with volumes:)");
    }
    m_entries.push_back({rel, false, size, static_cast<unsigned>(target.st_mode) & 07777});
  }

  [[noreturn]] void loop(const std::string& rel) {
    throw UsageError(fmt::format("--working-dir {}: the symbolic link {} is a loop: it leads back "
                                 "to a folder that holds it",
                                 m_folder, rel),
                     "remove the link, or point it elsewhere; the package would never end");
  }

  std::string m_folder;
  uint64_t m_limit;
  uint64_t m_total = 0;
  std::vector<std::pair<dev_t, ino_t>> m_chain;
  std::vector<Entry> m_entries;
};

// The SHA-256 of one file read in chunks: an error names the file.
std::string file_digest(const std::string& folder, const fs::path& path, const std::string& rel) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    cannot_read(folder, rel, errno);
  }
  Sha256 digest;
  std::vector<char> buffer(1 << 20);
  for (;;) {
    ssize_t got = ::read(fd, buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0) {
      int error = errno;
      ::close(fd);
      cannot_read(folder, rel, error);
    }
    if (got == 0) {
      break;
    }
    digest.add(std::string_view(buffer.data(), static_cast<size_t>(got)));
  }
  ::close(fd);
  return digest.hex();
}

[[noreturn]] void zip_failed(const std::string& what, zip_error_t* error) {
  throw ExecError(fmt::format("cannot make the working-dir package: {}: {}", what,
                              zip_error_strerror(error)),
                  "check that the folder is readable and the temporary folder has room");
}

// A private folder under $TMPDIR (or /tmp), removed with the last Package
// that names it.
std::shared_ptr<void> temporary_folder(std::string& path) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
                        "/raylaunch-package-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw ExecError(fmt::format("cannot make a temporary folder for the working-dir package: {}",
                                std::strerror(errno)),
                    "set TMPDIR to a folder with room");
  }
  path = pattern;
  return std::shared_ptr<void>(new std::string(pattern), [](void* p) {
    auto* folder = static_cast<std::string*>(p);
    std::error_code ignored;
    fs::remove_all(*folder, ignored);
    delete folder;
  });
}

// Writes `entries` to the zip at `zip_path`, each file read from disk as
// libzip writes it.
void write_zip(const fs::path& root, const std::vector<Entry>& entries,
               const std::string& zip_path) {
  int code = 0;
  zip_t* archive = zip_open(zip_path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code);
  if (archive == nullptr) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    zip_failed(zip_path, &error);
  }
  for (const Entry& entry : entries) {
    zip_int64_t index = -1;
    if (entry.folder) {
      index = zip_dir_add(archive, entry.path.c_str(), ZIP_FL_ENC_UTF_8);
    } else {
      zip_source_t* source = zip_source_file(archive, (root / entry.path).c_str(), 0, 0);
      index = source == nullptr ? -1
                                : zip_file_add(archive, entry.path.c_str(), source, ZIP_FL_ENC_UTF_8);
      if (index < 0 && source != nullptr) {
        zip_source_free(source);
      }
    }
    if (index < 0) {
      std::string what = entry.path + ": " + zip_strerror(archive);
      zip_discard(archive);
      throw ExecError(fmt::format("cannot make the working-dir package: {}", what),
                      "check that the folder is readable");
    }
    unsigned type = entry.folder ? S_IFDIR : S_IFREG;
    zip_file_set_external_attributes(archive, static_cast<zip_uint64_t>(index), 0,
                                     ZIP_OPSYS_UNIX, (type | entry.mode) << 16);
  }
  if (zip_close(archive) != 0) {
    std::string what = zip_strerror(archive);
    zip_discard(archive);
    throw ExecError(fmt::format("cannot make the working-dir package: {}", what),
                    "check that the folder is readable and the temporary folder has room");
  }
}

// Files deflate grew (incompressible data) are stored instead, as Python's
// zipfile would not but as the upload limit wants: the limit is on what is
// sent. libzip copies the other entries as they are.
size_t store_what_grew(const std::string& zip_path) {
  int code = 0;
  zip_t* archive = zip_open(zip_path.c_str(), 0, &code);
  if (archive == nullptr) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    zip_failed(zip_path, &error);
  }
  size_t stored = 0;
  zip_int64_t count = zip_get_num_entries(archive, 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t entry;
    zip_uint64_t index = static_cast<zip_uint64_t>(i);
    if (zip_stat_index(archive, index, 0, &entry) == 0 && entry.comp_method != ZIP_CM_STORE &&
        entry.comp_size > entry.size) {
      zip_set_file_compression(archive, index, ZIP_CM_STORE, 0);
      ++stored;
    }
  }
  if (stored == 0) {
    zip_discard(archive);
  } else if (zip_close(archive) != 0) {
    zip_failed(zip_path, zip_get_error(archive));
  }
  return stored;
}

// An empty zip: only the end of central directory record, as Python's
// zipfile writes for no entries (libzip writes no file at all).
void write_empty_zip(const std::string& zip_path) {
  static const char k_end[22] = {'P', 'K', 5, 6};
  FILE* file = std::fopen(zip_path.c_str(), "wb");
  if (file == nullptr || std::fwrite(k_end, 1, sizeof(k_end), file) != sizeof(k_end) ||
      std::fclose(file) != 0) {
    throw ExecError(fmt::format("cannot write {}: {}", zip_path, std::strerror(errno)),
                    "set TMPDIR to a folder with room");
  }
}

}  // namespace

std::string Package::read_zip() const {
  FILE* file = std::fopen(zip_path.c_str(), "rb");
  std::string bytes(zip_bytes, '\0');
  bool ok = file != nullptr && std::fread(bytes.data(), 1, bytes.size(), file) == bytes.size();
  if (file != nullptr) {
    std::fclose(file);
  }
  if (!ok) {
    throw ExecError(fmt::format("cannot read the working-dir package {}", zip_path),
                    "was the temporary folder cleaned while raylaunch ran?");
  }
  return bytes;
}

Package make_package(const std::string& folder, uint64_t limit) {
  fs::path root = fs::absolute(folder);
  struct stat top {};
  if (::stat(root.c_str(), &top) != 0 || !S_ISDIR(top.st_mode)) {
    throw UsageError(fmt::format("--working-dir {} is not a folder", folder),
                     "name a folder; its content becomes the job's working folder");
  }
  Package package;
  std::vector<Entry> entries = Walk(folder, limit).run(root, top, package.content_bytes);
  Sha256 digest;
  for (const Entry& entry : entries) {
    std::string content = entry.folder ? sha256_hex("") : file_digest(folder, root / entry.path, entry.path);
    package.files += entry.folder ? 0 : 1;
    digest.add(fmt::format("{}\n{:o}\n{}\n", entry.path, entry.mode, content));
  }
  package.name = "_ray_pkg_" + digest.hex().substr(0, 16);
  std::string dir;
  package.temporary = temporary_folder(dir);
  package.zip_path = dir + "/" + package.name + ".zip";
  if (entries.empty()) {
    write_empty_zip(package.zip_path);
  } else {
    write_zip(root, entries, package.zip_path);
    package.stored = store_what_grew(package.zip_path);
  }
  std::error_code error;
  package.zip_bytes = fs::file_size(package.zip_path, error);
  if (error) {
    throw ExecError(fmt::format("cannot make the working-dir package: {}: {}", package.zip_path,
                                error.message()),
                    "check that the temporary folder has room");
  }
  if (package.zip_bytes >= k_upload_limit) {
    throw UsageError(fmt::format("--working-dir {} zips to {} MiB; Ray's dashboard takes uploads "
                                 "under {} MiB",
                                 folder, package.zip_bytes / (1024 * 1024),
                                 k_upload_limit / (1024 * 1024)),
                     "ship less (move data out of the folder, or mount it with volumes:)");
  }
  return package;
}

}  // namespace raylaunch

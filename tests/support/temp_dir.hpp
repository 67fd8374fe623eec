// A fresh directory per test, removed with everything in it when the test ends, and
// small whole-file helpers for checking that a file was left untouched.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace comptoir::test {

class TempDir {
 public:
  // mkdtemp under $TMPDIR (else /tmp). Throws std::runtime_error on failure.
  TempDir();
  ~TempDir();
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  const std::filesystem::path &path() const { return path_; }
  // path()/name as a string, for APIs that take std::string.
  std::string file(std::string_view name) const;

 private:
  std::filesystem::path path_;
};

// The whole file as bytes. Throws std::runtime_error when it cannot be read.
std::string read_file(const std::filesystem::path &path);
// Replaces the file's contents. Throws std::runtime_error on failure.
void write_file(const std::filesystem::path &path, std::string_view bytes);
// Overwrites bytes in place at offset (the file keeps its size if the range is inside it).
void overwrite_file(const std::filesystem::path &path, std::uint64_t offset,
                    std::string_view bytes);
bool file_exists(const std::filesystem::path &path);

}  // namespace comptoir::test

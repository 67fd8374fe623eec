// See gzip.hpp.
#include "sync/gzip.hpp"

#include <zlib.h>

#include <array>

namespace comptoir::sync {

std::string gzip(std::string_view data, int level) {
  z_stream z{};
  // 15 + 16: a gzip wrapper rather than zlib's.
  if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef *>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string();
}

Result<std::string> gunzip(std::string_view data, std::size_t max_bytes, bool exact) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) {
    return make_error("gzip_invalid", "cannot start the decompressor");
  }
  std::string out;
  std::array<char, 64 * 1024> buffer{};
  z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef *>(buffer.data());
    z.avail_out = static_cast<uInt>(buffer.size());
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    const std::size_t produced = buffer.size() - z.avail_out;
    if (out.size() + produced > max_bytes) {
      inflateEnd(&z);
      return make_error("too_large",
                        "over " + std::to_string(max_bytes) + " bytes once decompressed");
    }
    out.append(buffer.data(), produced);
    if (rc == Z_OK && z.avail_in == 0 && produced == 0) {
      rc = Z_BUF_ERROR;  // the input ended before the stream did
      break;
    }
  }
  const uInt left = z.avail_in;
  inflateEnd(&z);
  if (rc == Z_BUF_ERROR) return make_error("gzip_invalid", "not a complete gzip stream: cut short");
  if (rc != Z_STREAM_END) {
    return make_error("gzip_invalid",
                      std::string("not a complete gzip stream: corrupted (") +
                          (rc == Z_DATA_ERROR ? "bad data or checksum" : "inflate error") + ")");
  }
  if (exact && left != 0) return make_error("gzip_invalid", "bytes follow the stream");
  return out;
}

}  // namespace comptoir::sync

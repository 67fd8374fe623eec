// gzip with zlib, for the wire: request and response bodies (http_client) and offline
// bundles (bundle.cpp). Pure: bytes in, bytes out.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "db/result.hpp"

namespace comptoir::sync {

// A gzip stream of `data` at zlib's `level` (-1: zlib's default, 9: smallest); empty only
// when zlib cannot start or finish (out of memory).
std::string gzip(std::string_view data, int level = -1);

// The data of one whole gzip stream, refused past max_bytes once decompressed. With
// `exact`, bytes after the stream are refused too. Errors: gzip_invalid (the detail says
// "cut short", "corrupted (...)" or "bytes follow the stream"), too_large.
Result<std::string> gunzip(std::string_view data, std::size_t max_bytes, bool exact = false);

}  // namespace comptoir::sync

// See config_writer.hpp. The text is edited, not re-serialised: a small scanner finds the
// table headers and the key = value statements (values may span lines: multi-line strings,
// arrays, inline tables), so that a value is replaced in place and everything else, comments
// and layout included, stays byte for byte. The result is read back with parse_config, and
// with toml++ to check that every key holds the value written.
#include "runtime/config_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <sstream>

#include "runtime/config.hpp"

namespace comptoir {
namespace {

bool bare_key_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool bare_key(const std::string &text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!bare_key_char(c)) return false;
  }
  return true;
}

// One statement of the file: a table header or a key = value.
struct Statement {
  enum class Kind { table, array_table, key } kind = Kind::key;
  std::string table;      // the header's name, or the table a key is in ("" top level)
  bool in_array = false;  // a key under [[...]]
  std::string key;        // dotted keys joined with '.'
  std::size_t begin = 0;  // first character of the line
  std::size_t value_begin = 0, value_end = 0;  // the value, without the comment after it
  std::size_t end = 0;  // past the statement's last line, its newline included
};

class Scanner {
 public:
  explicit Scanner(const std::string &text) : t_(text) {}

  // nullopt when the text is not TOML this scanner understands (parse_config then says why).
  std::optional<std::vector<Statement>> scan() {
    std::vector<Statement> out;
    std::string table;
    bool in_array = false;
    while (p_ < t_.size()) {
      const std::size_t line = p_;
      skip_blank();
      if (p_ >= t_.size()) break;
      const char c = t_[p_];
      if (c == '\n' || c == '\r' || c == '#') {
        to_line_end();
        continue;
      }
      Statement s;
      s.begin = line;
      if (c == '[') {
        const bool array = p_ + 1 < t_.size() && t_[p_ + 1] == '[';
        p_ += array ? 2 : 1;
        auto name = key_path(']');
        if (!name || p_ >= t_.size() || t_[p_] != ']') return std::nullopt;
        ++p_;
        if (array) {
          if (p_ >= t_.size() || t_[p_] != ']') return std::nullopt;
          ++p_;
        }
        s.kind = array ? Statement::Kind::array_table : Statement::Kind::table;
        s.table = *name;
        table = *name;
        in_array = array;
        s.value_begin = s.value_end = p_;
        if (!rest_of_line()) return std::nullopt;
        s.end = p_;
        out.push_back(s);
        continue;
      }
      auto name = key_path('=');
      if (!name || p_ >= t_.size() || t_[p_] != '=') return std::nullopt;
      ++p_;
      skip_blank();
      s.kind = Statement::Kind::key;
      s.table = table;
      s.in_array = in_array;
      s.key = *name;
      s.value_begin = p_;
      auto value_end = value();
      if (!value_end) return std::nullopt;
      s.value_end = *value_end;
      if (!rest_of_line()) return std::nullopt;
      s.end = p_;
      out.push_back(s);
    }
    return out;
  }

 private:
  void skip_blank() {
    while (p_ < t_.size() && (t_[p_] == ' ' || t_[p_] == '\t')) ++p_;
  }
  void to_line_end() {
    while (p_ < t_.size() && t_[p_] != '\n') ++p_;
    if (p_ < t_.size()) ++p_;
  }
  // After a header or a value: blanks, maybe a comment, then the end of the line.
  bool rest_of_line() {
    skip_blank();
    if (p_ < t_.size() && t_[p_] == '#') {
      to_line_end();
      return true;
    }
    if (p_ < t_.size() && t_[p_] == '\r') ++p_;
    if (p_ >= t_.size()) return true;
    if (t_[p_] != '\n') return false;
    ++p_;
    return true;
  }
  // A single-line string from p_ (at its quote); false when it does not end on its line.
  bool short_string(char quote) {
    ++p_;
    while (p_ < t_.size() && t_[p_] != '\n') {
      if (quote == '"' && t_[p_] == '\\') {
        p_ += 2;
        continue;
      }
      if (t_[p_] == quote) {
        ++p_;
        return true;
      }
      ++p_;
    }
    return false;
  }
  // A multi-line string from p_ (at its three quotes).
  bool long_string(char quote) {
    p_ += 3;
    while (p_ < t_.size()) {
      if (quote == '"' && t_[p_] == '\\') {
        p_ += 2;
        continue;
      }
      if (t_.compare(p_, 3, std::string(3, quote)) == 0) {
        p_ += 3;
        // Up to two more quotes belong to the content ("""a"""" is a" followed by the end).
        for (int i = 0; i < 2 && p_ < t_.size() && t_[p_] == quote; ++i) ++p_;
        return true;
      }
      ++p_;
    }
    return false;
  }
  bool string_at(char quote) {
    if (t_.compare(p_, 3, std::string(3, quote)) == 0) return long_string(quote);
    return short_string(quote);
  }
  // A key or a header name: bare or quoted parts joined by dots, blanks around them; stops
  // at `stop` ('=' or ']'). The parts are joined with '.' (quotes dropped when the part is a
  // bare key anyway, so that ["sync"] is sync).
  std::optional<std::string> key_path(char stop) {
    std::string path;
    for (;;) {
      skip_blank();
      if (p_ >= t_.size()) return std::nullopt;
      std::string part;
      const char c = t_[p_];
      if (c == '"' || c == '\'') {
        const std::size_t from = p_;
        if (!short_string(c)) return std::nullopt;
        part = t_.substr(from + 1, p_ - from - 2);
        if (!bare_key(part)) part = t_.substr(from, p_ - from);  // kept as written
      } else {
        while (p_ < t_.size() && bare_key_char(t_[p_])) part += t_[p_++];
        if (part.empty()) return std::nullopt;
      }
      path += (path.empty() ? "" : ".") + part;
      skip_blank();
      if (p_ < t_.size() && t_[p_] == '.') {
        ++p_;
        continue;
      }
      if (p_ < t_.size() && t_[p_] == stop) return path;
      return std::nullopt;
    }
  }
  // A value from p_: strings, and brackets and braces to their match across lines (comments
  // inside arrays skipped). Returns the end of the value's text; p_ is then right after it.
  std::optional<std::size_t> value() {
    int depth = 0;
    const std::size_t start = p_;
    std::size_t last = p_;  // past the last character of the value seen
    while (p_ < t_.size()) {
      const char c = t_[p_];
      if (c == '"' || c == '\'') {
        if (!string_at(c)) return std::nullopt;
        last = p_;
        continue;
      }
      if (c == '#') {
        if (depth == 0) break;
        to_line_end();
        continue;
      }
      if (c == '\n' || (c == '\r' && p_ + 1 < t_.size() && t_[p_ + 1] == '\n')) {
        if (depth == 0) break;
        ++p_;
        continue;
      }
      if (c == '[' || c == '{') ++depth;
      if (c == ']' || c == '}') {
        if (--depth < 0) return std::nullopt;
      }
      ++p_;
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') last = p_;
    }
    if (depth != 0 || last == start) return std::nullopt;
    p_ = last;
    return last;
  }

  const std::string &t_;
  std::size_t p_ = 0;
};

std::string invalid_edit(const std::string &name, const std::string &why) {
  return name + ": " + why;
}

// The value toml++ reads from `value`, printed, to compare with what the file holds.
std::optional<std::string> printed(const toml::node *node) {
  if (!node) return std::nullopt;
  std::ostringstream out;
  node->visit([&out](const auto &n) { out << n; });
  return out.str();
}

Result<std::string> edit_text(const std::string &text, const std::vector<ConfigEdit> &edits,
                              const std::string &name) {
  for (const ConfigEdit &e : edits) {
    bool parts_ok = true;
    std::size_t from = 0;
    while (!e.table.empty() && from <= e.table.size()) {
      const std::size_t dot = e.table.find('.', from);
      if (!bare_key(e.table.substr(from, dot - from))) parts_ok = false;
      if (dot == std::string::npos) break;
      from = dot + 1;
    }
    if (!parts_ok || !bare_key(e.key) || e.value.empty() ||
        e.value.find_first_of("\r\n") != std::string::npos) {
      return make_error(
          "config_invalid",
          invalid_edit(name, "cannot set " + (e.table.empty() ? "" : "[" + e.table + "] ") + e.key +
                                 " = " + e.value + ": not a plain key and a one-line value"));
    }
  }
  auto scanned = Scanner(text).scan();
  if (!scanned) {
    // Not understood: parse_config says where, else the edits are refused all the same.
    if (auto parsed = parse_config(text, name); !parsed) return parsed.error();
    return make_error("config_invalid",
                      invalid_edit(name,
                                   "its layout is not one this program can edit safely; "
                                   "add the lines by hand"));
  }
  const std::vector<Statement> &statements = *scanned;
  const std::string eol = text.find("\r\n") != std::string::npos ? "\r\n" : "\n";

  // Replacements and insertions as (position, erase length, text), applied from the end.
  struct Splice {
    std::size_t at = 0;
    std::size_t erase = 0;
    std::string text;
    std::size_t order = 0;  // among insertions at one place: the order of the edits
  };
  std::vector<Splice> splices;
  std::string appended;  // tables the file does not have, at its end
  std::vector<std::string> appended_tables;
  for (std::size_t i = 0; i < edits.size(); ++i) {
    const ConfigEdit &e = edits[i];
    const Statement *found = nullptr;
    for (const Statement &s : statements) {
      if (s.kind == Statement::Kind::key && !s.in_array && s.table == e.table && s.key == e.key) {
        found = &s;
      }
    }
    if (found) {
      splices.push_back({found->value_begin, found->value_end - found->value_begin, e.value, i});
      continue;
    }
    // The end of the table's last statement; the top level ends before its first header.
    std::optional<std::size_t> at;
    bool has_table = e.table.empty();
    std::size_t first_header = text.size();
    bool seen_header = false;
    for (const Statement &s : statements) {
      if (s.kind != Statement::Kind::key) {
        if (!seen_header) first_header = s.begin;
        seen_header = true;
      }
      if (s.kind == Statement::Kind::table && s.table == e.table) {
        has_table = true;
        at = s.end;
      }
      if (s.kind == Statement::Kind::key && !s.in_array && s.table == e.table &&
          (!e.table.empty() || !seen_header)) {
        at = s.end;
      }
    }
    if (e.table.empty() && !at) {
      // No top-level key yet: before the first header and the comment lines right above it.
      std::size_t spot = first_header;
      while (spot > 0) {
        const std::size_t newline = spot - 1;  // ends the line above
        const std::size_t above = newline == 0 ? std::string::npos : text.rfind('\n', newline - 1);
        const std::size_t line_begin = above == std::string::npos ? 0 : above + 1;
        const std::string line = text.substr(line_begin, newline - line_begin);
        const auto first = line.find_first_not_of(" \t");
        if (first == std::string::npos || line[first] != '#') break;
        spot = line_begin;
      }
      at = spot;
    }
    if (!has_table) {  // written at the end, with every edit of this table
      bool listed = false;
      for (const auto &t : appended_tables) listed = listed || t == e.table;
      if (!listed) appended_tables.push_back(e.table);
      continue;
    }
    std::string line = e.key + " = " + e.value + eol;
    std::size_t where_at = *at;
    // A statement on the file's last line without a newline: the new line goes after one.
    if (where_at == text.size() && !text.empty() && text.back() != '\n') line = eol + line;
    splices.push_back({where_at, 0, line, i});
  }
  for (const std::string &t : appended_tables) {
    appended += eol + "[" + t + "]" + eol;
    for (const ConfigEdit &e : edits) {
      if (e.table == t) appended += e.key + " = " + e.value + eol;
    }
  }
  std::stable_sort(splices.begin(), splices.end(), [](const Splice &a, const Splice &b) {
    return a.at != b.at ? a.at > b.at : a.order > b.order;
  });
  std::string out = text;
  for (const Splice &s : splices) out.replace(s.at, s.erase, s.text);
  if (!appended.empty()) {
    if (!out.empty() && out.back() != '\n') out += eol;
    if (out.empty()) appended.erase(0, eol.size());  // no blank line at the very top
    out += appended;
  }

  auto parsed = parse_config(out, name);
  if (!parsed) return parsed.error();
  // Each key holds the value written (a key the scanner put in the wrong place would not).
  try {
    const toml::table root = toml::parse(out, name);
    for (const ConfigEdit &e : edits) {
      const std::string path = e.table.empty() ? e.key : e.table + "." + e.key;
      const toml::table one = toml::parse("v = " + e.value);
      const auto want = printed(one.get("v"));
      const auto got = printed(root.at_path(path).node());
      if (!want || want != got) {
        return make_error("config_invalid",
                          invalid_edit(name, "setting " + path + " = " + e.value +
                                                 " did not give that value; add it by hand"));
      }
    }
  } catch (const toml::parse_error &e) {
    return make_error("config_invalid", name + ": " + std::string(e.description()));
  }
  return out;
}

std::string errno_sentence(int e) {
  switch (e) {
    case ENOSPC:
    case EDQUOT:
      return "the disk is full: free some space, then run the command again";
    case EROFS:
      return "the file system is read-only: remount it read-write (mount -o remount,rw /), "
             "then run the command again";
    case EACCES:
    case EPERM:
      return "permission denied: run the command as root (sudo), or give --config with a file "
             "you may write";
    default:
      return "check the path and its directory";
  }
}

Error unwritable(const std::string &path, int e) {
  return make_error("config_unwritable",
                    path + ": " + std::strerror(e) + " (" + errno_sentence(e) + ")");
}

std::string parent_of(const std::string &path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// mkdir -p, mode 0755 (a config directory is readable; the file's own mode guards it).
int make_parents(const std::string &dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
  if (errno != ENOENT) return errno;
  if (dir != "/" && dir != ".") {
    if (const int e = make_parents(parent_of(dir)); e != 0) return e;
  }
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return errno;
  return 0;
}

bool write_all(int fd, const std::string &text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

constexpr std::string_view kHeader =
    "# The Comptoir appliance's configuration (see docs/scanners.md and docs/protocol.md).\n"
    "# Created by comptoir-provision; edit it freely: your comments and keys are kept when\n"
    "# provisioning sets its own keys here again.\n";

}  // namespace

std::string toml_string(const std::string &text) {
  std::string out = "\"";
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

Result<std::string> edit_config_text(const std::string &text,
                                     const std::vector<ConfigEdit> &edits) {
  return edit_text(text, edits, "comptoir.toml");
}

Result<void> update_config_file(const std::string &path, const std::vector<ConfigEdit> &edits,
                                unsigned mode) {
  std::string text;
  bool existed = false;
  struct stat st {};
  {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno != ENOENT && errno != ENOTDIR) {  // ENOTDIR: it cannot exist
      return make_error("config_unreadable", path + ": " + std::strerror(errno));
    }
    if (fd >= 0) {
      existed = true;
      if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return make_error("config_unreadable", path + ": not a file");
      }
      char buf[8192];
      ssize_t n = 0;
      while ((n = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
      const int e = errno;
      ::close(fd);
      if (n < 0) return make_error("config_unreadable", path + ": " + std::strerror(e));
    }
  }
  auto edited = edit_text(existed ? text : std::string(kHeader), edits, path);
  if (!edited) return edited.error();
  if (existed && *edited == text) return {};  // already so: nothing to write

  const std::string dir = parent_of(path);
  if (const int e = make_parents(dir); e != 0) return unwritable(dir, e);
  const auto slash = path.rfind('/');
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string tmp = dir + "/." + base + ".XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) return unwritable(path, errno);
  auto failed = [&](int e) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return unwritable(path, e);
  };
  const mode_t final_mode = existed ? (st.st_mode & 07777) : static_cast<mode_t>(mode & 07777);
  if (!write_all(fd, *edited)) return failed(errno);
  if (::fchmod(fd, final_mode) != 0) return failed(errno);
  // The owner of a file that existed stays (root may give it away; others keep their own).
  if (existed && (st.st_uid != ::geteuid() || st.st_gid != ::getegid())) {
    (void)::fchown(fd, st.st_uid, st.st_gid);
  }
  if (::fsync(fd) != 0) return failed(errno);
  if (::close(fd) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return unwritable(path, e);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return unwritable(path, e);
  }
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

}  // namespace comptoir

// The config writer (runtime/config_writer.hpp): keys set in place, comments and layout
// kept byte for byte, multi-line values never cut, results that would not read refused,
// and the file replaced atomically with its mode.
#include "runtime/config_writer.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <toml++/toml.h>

#include <filesystem>
#include <string>

#include "runtime/config.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir {
namespace {

const std::string kKey = "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29";
const std::string kOtherKey(64, 'a');

std::string edit_ok(const std::string &text, const std::vector<ConfigEdit> &edits) {
  auto r = edit_config_text(text, edits);
  INFO((r ? std::string() : r.error().detail));
  REQUIRE(r.ok());
  return *r;
}

ConfigEdit pin(const std::string &key = kKey) {
  return {"sync", "portal_key", toml_string(key)};
}

}  // namespace

TEST_CASE("toml_string reads back as the same text") {
  for (const std::string &text :
       {std::string("plain"), std::string("with \"quotes\" and \\ backslash"),
        std::string("line\nbreak\ttab\rreturn"), std::string("ctl \x01\x1f\x7f end"),
        std::string("accents é à ç €"), std::string()}) {
    const std::string quoted = toml_string(text);
    CHECK(quoted.find('\n') == std::string::npos);
    const toml::table t = toml::parse("v = " + quoted);
    CHECK(t["v"].value<std::string>() == text);
  }
}

TEST_CASE("a key set in its table keeps every other byte, its comment included") {
  const std::string before =
      "# The counter at the market\n"
      "[appliance]\n"
      "lang = \"en\"   # the technician reads English\n"
      "\n"
      "[sync]\n"
      "# pinned at enrolment\n"
      "portal_key = \"" +
      kOtherKey +
      "\"   # was the old portal\n"
      "interval_s = 30\n"
      "\n"
      "[[scanners.evdev]]\n"
      "path = \"/dev/input/by-id/usb-scanner\"\n";
  const std::string after = edit_ok(before, {pin()});
  std::string expected = before;
  expected.replace(expected.find(kOtherKey), kOtherKey.size(), kKey);
  CHECK(after == expected);
  auto parsed = parse_config(after, "t.toml");
  REQUIRE(parsed.ok());
  CHECK(parsed->sync.portal_key == kKey);
  CHECK(parsed->sync.interval_s == 30);
  // Already so: the same text.
  CHECK(edit_ok(after, {pin()}) == after);
}

TEST_CASE("a missing key goes at the end of its table, before the next table's comments") {
  const std::string before =
      "[sync]\n"
      "interval_s = 30 # half a minute\n"
      "\n"
      "# the camera, for phones' screens\n"
      "[scanners.camera]\n"
      "enabled = true\n";
  const std::string after =
      edit_ok(before, {pin(),
                       {"sync", "ca_file", toml_string("/etc/comptoir/ca.pem")},
                       {"sync", "insecure", "true"}});
  CHECK(after ==
        "[sync]\n"
        "interval_s = 30 # half a minute\n"
        "portal_key = \"" +
            kKey +
            "\"\n"
            "ca_file = \"/etc/comptoir/ca.pem\"\n"
            "insecure = true\n"
            "\n"
            "# the camera, for phones' screens\n"
            "[scanners.camera]\n"
            "enabled = true\n");
}

TEST_CASE("a missing table is added at the end, a top-level key before the first table") {
  const std::string before =
      "# set by hand\n"
      "[feedback]\n"
      "sound = false\n"
      "\n"
      "[[scanners.evdev]]\n"
      "path = \"/dev/input/event3\"\n"
      "layout = \"fr\"";  // no newline at the end
  const std::string after =
      edit_ok(before, {pin(), {"", "lang_unused_check", "1"}, {"scanners", "layout", "\"de\""}});
  // The top-level key: before the first header and the comment above it. parse_config only
  // warns about an unknown key.
  CHECK(after.rfind("lang_unused_check = 1\n# set by hand\n[feedback]\n", 0) == 0);
  CHECK(after.find("layout = \"fr\"\n\n[sync]\nportal_key = \"" + kKey + "\"\n") !=
        std::string::npos);
  auto parsed = parse_config(after, "t.toml");
  REQUIRE(parsed.ok());
  // The [[scanners.evdev]] layout stayed its own; [scanners] got one.
  REQUIRE(parsed->scanners.evdev_devices.size() == 1);
  CHECK(parsed->scanners.evdev_devices[0].layout == "fr");
  CHECK(parsed->scanners.layout == "de");
  CHECK(parsed->sync.portal_key == kKey);
}

TEST_CASE("multi-line strings and arrays are neither cut nor mistaken for tables") {
  const std::string before =
      "[appliance]\n"
      "data_dir = '''\n"
      "/var/lib/comptoir'''\n"
      "[scanners]\n"
      "layout = \"\"\"\n"
      "fr\"\"\"   # multi-line, replaced whole\n"
      "[[scanners.usb]]\n"
      "vendor = \"0c2e\"\n"
      "product = \"0b61\"\n"
      "[sync]\n"
      "interval_s = [\n"
      "  # not a table: [sync] portal_key = \"x\"\n"
      "][0] # never valid, see below\n";
  // That last value does not read: the edit is refused with the line, nothing made up.
  auto refused = edit_config_text(before, {pin()});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == "config_invalid");

  const std::string valid =
      "[appliance]\n"
      "data_dir = '''\n"
      "[sync]\n"
      "portal_key = \"not a key\"'''\n"
      "[scanners]\n"
      "layout = \"\"\"\n"
      "fr\"\"\"   # multi-line, replaced whole\n"
      "[[scanners.usb]]\n"
      "vendor = \"0c2e\"\n"
      "product = \"0b61\"   # [sync]\n";
  const std::string after = edit_ok(valid, {pin(), {"scanners", "layout", "\"us\""}});
  CHECK(after ==
        "[appliance]\n"
        "data_dir = '''\n"
        "[sync]\n"
        "portal_key = \"not a key\"'''\n"
        "[scanners]\n"
        "layout = \"us\"   # multi-line, replaced whole\n"
        "[[scanners.usb]]\n"
        "vendor = \"0c2e\"\n"
        "product = \"0b61\"   # [sync]\n"
        "\n"
        "[sync]\n"
        "portal_key = \"" +
            kKey + "\"\n");
  auto parsed = parse_config(after, "t.toml");
  REQUIRE(parsed.ok());
  CHECK(*parsed->data_dir == "[sync]\nportal_key = \"not a key\"");
  CHECK(parsed->sync.portal_key == kKey);
}

TEST_CASE("quoted keys and headers, and CRLF line ends, are edited as written") {
  const std::string before = "[ \"sync\" ]\r\n\"portal_key\" = 'old'\r\nstall_s = 10\r\n";
  const std::string after = edit_ok(before, {pin(), {"sync", "insecure", "true"}});
  CHECK(after ==
        "[ \"sync\" ]\r\n\"portal_key\" = \"" + kKey + "\"\r\nstall_s = 10\r\ninsecure = true\r\n");
}

TEST_CASE("edits that would not read are refused, naming the line") {
  auto bad_key = edit_config_text("[sync]\n", {pin("abc")});
  REQUIRE_FALSE(bad_key.ok());
  CHECK(bad_key.error().code == "config_invalid");
  CHECK(bad_key.error().detail.find(":2: [sync] portal_key") != std::string::npos);

  auto broken = edit_config_text("[sync\ninterval_s = 30\n", {pin()});
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.error().code == "config_invalid");

  auto two_lines = edit_config_text("", {{"sync", "ca_file", "\"a\"\n[x]"}});
  REQUIRE_FALSE(two_lines.ok());
  auto odd_key = edit_config_text("", {{"sync", "a b", "1"}});
  REQUIRE_FALSE(odd_key.ok());
  // A [sync] defined inline cannot take a [sync] table: refused, not doubled.
  auto inline_table = edit_config_text("sync = { interval_s = 30 }\n", {pin()});
  REQUIRE_FALSE(inline_table.ok());
  CHECK(inline_table.error().code == "config_invalid");
}

TEST_CASE("the config parser reads portal_key as 64 hex and names the line otherwise") {
  auto upper = parse_config("[sync]\nportal_key = \"" + std::string(64, 'A') + "\"\n", "c.toml");
  REQUIRE(upper.ok());
  CHECK(upper->sync.portal_key == std::string(64, 'a'));
  CHECK(upper->warnings.empty());
  auto short_key =
      parse_config("[sync]\n\nportal_key = \"" + std::string(63, 'a') + "\"\n", "c.toml");
  REQUIRE_FALSE(short_key.ok());
  CHECK(short_key.error().code == "config_invalid");
  CHECK(short_key.error().detail.rfind("c.toml:3: [sync] portal_key", 0) == 0);
  auto not_hex = parse_config("[sync]\nportal_key = \"" + std::string(64, 'g') + "\"\n", "c.toml");
  CHECK_FALSE(not_hex.ok());
}

TEST_CASE("update_config_file creates, keeps mode and comments, and refuses what it cannot write") {
  test::TempDir dir;
  struct stat st {};
  // Created with its directories, a header comment and mode 0640.
  const std::string fresh = dir.file("etc/comptoir/comptoir.toml");
  REQUIRE(update_config_file(fresh, {pin()}).ok());
  REQUIRE(::stat(fresh.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);
  const std::string text = test::read_file(fresh);
  CHECK(text.rfind("# ", 0) == 0);
  auto loaded = load_config(fresh, true);
  REQUIRE(loaded.ok());
  CHECK(loaded->sync.portal_key == kKey);

  // An existing file keeps its mode, its comments; no temporary file is left beside it.
  const std::string kept = dir.file("kept.toml");
  test::write_file(kept, "# mine\n[sync]\ninterval_s = 90 # slow link\n");
  REQUIRE(::chmod(kept.c_str(), 0600) == 0);
  REQUIRE(update_config_file(kept, {pin(), {"sync", "insecure", "true"}}).ok());
  REQUIRE(::stat(kept.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(test::read_file(kept) == "# mine\n[sync]\ninterval_s = 90 # slow link\nportal_key = \"" +
                                     kKey + "\"\ninsecure = true\n");
  std::size_t entries = 0;
  for (const auto &e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++entries;
  }
  CHECK(entries == 2);  // etc/ and kept.toml

  // Invalid edits change nothing.
  const std::string before = test::read_file(kept);
  CHECK(update_config_file(kept, {pin("zz")}).error().code == "config_invalid");
  CHECK(test::read_file(kept) == before);

  // A directory that cannot be made: config_unwritable, with the path and the reason.
  test::write_file(dir.file("plain"), "a file, not a directory\n");
  auto blocked = update_config_file(dir.file("plain/comptoir.toml"), {pin()});
  REQUIRE_FALSE(blocked.ok());
  CHECK(blocked.error().code == "config_unwritable");
  CHECK(blocked.error().detail.find(dir.file("plain")) != std::string::npos);
  CHECK(blocked.error().detail.find("Not a directory") != std::string::npos);
  // A config that is not a file.
  CHECK(update_config_file(dir.file("etc"), {pin()}).error().code == "config_unreadable");
}

}  // namespace comptoir

// `comptoir-scan`, the real binary: it reads the QR PNG that `comptoir-code sign --png` writes
// as the very token sign printed; a JPEG, a PGM and a Code 128 PNG too; one JSON line per
// file in the order given, with the reason for a file with no code, a corrupt file, a missing
// one and a tiny PNG declaring 20000x20000 (refused with the limit, the next file still read);
// exit 0 when all read, 1 when some did not, 2 on a usage error.
#include <doctest/doctest.h>
#include <stb/stb_image_write.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/drivers/png_fixtures.hpp"
#include "tests/support/degraded_images.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

#ifndef COMPTOIR_BIN_DIR
#error "COMPTOIR_BIN_DIR must name the directory holding comptoir-scan and comptoir-code"
#endif

namespace comptoir::test {
namespace {

using nlohmann::json;

std::string bin(const char *name) {
  return std::string(COMPTOIR_BIN_DIR) + "/" + name;
}

RunResult scan(std::vector<std::string> args) {
  args.insert(args.begin(), bin("comptoir-scan"));
  return run(args);
}

std::vector<json> lines_of(const RunResult &r) {
  std::vector<json> out;
  for (const std::string &line : split_lines(r.out)) out.push_back(json::parse(line));
  return out;
}

// A signed token and its QR PNG, made by the real comptoir-code.
std::string signed_token_png(const TempDir &dir, const std::string &png) {
  const std::string key = dir.file("portal-key.json");
  const RunResult keygen = run({bin("comptoir-code"), "keygen", "--out", key, "--key-id", "3",
                                "--valid-from", "2026-01-01", "--valid-until", "2027-12-31"});
  INFO(keygen.err);
  REQUIRE(keygen.status.code == 0);
  const RunResult sign = run({bin("comptoir-code"), "sign", "--key", key, "--order", "123456789",
                              "--stand", "42", "--valid-until", "2026-06-30", "--png", png});
  INFO(sign.err);
  REQUIRE(sign.status.code == 0);
  const auto lines = split_lines(sign.out);
  REQUIRE(lines.size() == 1);
  return lines[0];
}

TEST_CASE("comptoir-scan reads the QR PNG comptoir-code sign --png writes") {
  TempDir dir;
  const std::string png = dir.file("token.png");
  const std::string token = signed_token_png(dir, png);
  REQUIRE(token.rfind("ZA1", 0) == 0);

  const RunResult r = scan({png});
  INFO(r.err);
  CHECK(r.status.code == 0);
  const auto lines = lines_of(r);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["file"] == png);
  CHECK(lines[0]["ok"] == true);
  CHECK(lines[0]["format"] == "QRCode");
  CHECK(lines[0]["text"] == token);
  CHECK(lines[0]["position"].size() == 4);
}

TEST_CASE("JPEG, PGM and a Code 128 PNG read, and no code, corrupt and missing files say why") {
  TempDir dir;
  const drivers::GreyImage qr = code_picture("QRCode", degraded_set_token(), 4);
  const drivers::GreyImage bars = code_picture("Code128", "K7QM-9X2D-4R1", 2);
  const std::string jpg = dir.file("token.jpg");
  const std::string pgm = dir.file("token.pgm");
  const std::string code128 = dir.file("short.png");
  const std::string blank = dir.file("blank.png");
  const std::string corrupt = dir.file("corrupt.png");
  const std::string missing = dir.file("missing.png");
  REQUIRE(stbi_write_jpg(jpg.c_str(), qr.width, qr.height, 1, qr.pixels.data(), 80) != 0);
  std::string p5 = "P5 " + std::to_string(qr.width) + " " + std::to_string(qr.height) + " 255\n";
  p5.append(reinterpret_cast<const char *>(qr.pixels.data()), qr.pixels.size());
  write_file(pgm, p5);
  REQUIRE(stbi_write_png(code128.c_str(), bars.width, bars.height, 1, bars.pixels.data(),
                         bars.width) != 0);
  const std::vector<std::uint8_t> white(200 * 100, 240);
  REQUIRE(stbi_write_png(blank.c_str(), 200, 100, 1, white.data(), 200) != 0);
  write_file(corrupt, std::string("\x89PNG\r\n\x1a\n", 8) + std::string(300, '\x42'));

  const RunResult r = scan({jpg, pgm, code128, blank, corrupt, missing});
  INFO(r.err);
  CHECK(r.status.exited);
  CHECK(r.status.code == 1);
  const auto lines = lines_of(r);
  REQUIRE(lines.size() == 6);
  for (int i = 0; i < 2; ++i) {
    INFO(lines[static_cast<std::size_t>(i)].dump());
    CHECK(lines[static_cast<std::size_t>(i)]["ok"] == true);
    CHECK(lines[static_cast<std::size_t>(i)]["format"] == "QRCode");
    CHECK(lines[static_cast<std::size_t>(i)]["text"] == degraded_set_token());
  }
  CHECK(lines[0]["file"] == jpg);
  CHECK(lines[1]["file"] == pgm);
  CHECK(lines[2]["file"] == code128);
  CHECK(lines[2]["format"] == "Code128");
  CHECK(lines[2]["text"] == "K7QM-9X2D-4R1");
  CHECK(lines[3] == json{{"file", blank}, {"ok", false}, {"reason", "no code found"}});
  CHECK(lines[4]["file"] == corrupt);
  CHECK(lines[4]["ok"] == false);
  CHECK(lines[4]["reason"].get<std::string>().rfind(
            "cannot read the file: not a PNG, JPEG or PGM image", 0) == 0);
  CHECK(lines[5] == json{{"file", missing},
                         {"ok", false},
                         {"reason", "cannot read the file: No such file or directory"}});
}

TEST_CASE(
    "a tiny PNG declaring 20000x20000 gets its line with the limit, and the next file reads") {
  TempDir dir;
  const std::string huge = dir.file("huge.png");
  write_file(huge, png_declaring(20000, 20000));
  const drivers::GreyImage qr = code_picture("QRCode", "K7QM-9X2D-4R1", 4);
  const std::string next = dir.file("next.png");
  REQUIRE(stbi_write_png(next.c_str(), qr.width, qr.height, 1, qr.pixels.data(), qr.width) != 0);

  const RunResult r = scan({huge, next});
  INFO(r.err);
  CHECK(r.status.exited);
  CHECK(r.status.code == 1);
  const auto lines = lines_of(r);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == json{{"file", huge},
                         {"ok", false},
                         {"reason",
                          "cannot read the file: the image is 20000x20000 pixels (400 Mpx): "
                          "images over 40 Mpx are refused"}});
  CHECK(lines[1]["ok"] == true);
  CHECK(lines[1]["text"] == "K7QM-9X2D-4R1");
}

TEST_CASE("comptoir-scan usage: --help, no file, an unknown option, and -- before a name") {
  const RunResult help = scan({"--help"});
  CHECK(help.status.code == 0);
  CHECK(help.out.find("usage: comptoir-scan") != std::string::npos);

  const RunResult none = scan({});
  CHECK(none.status.code == 2);
  CHECK(none.out.empty());
  CHECK(none.err.find("give at least one image file") != std::string::npos);

  const RunResult unknown = scan({"--fast", "x.png"});
  CHECK(unknown.status.code == 2);
  CHECK(unknown.out.empty());
  CHECK(unknown.err.find("unknown option --fast") != std::string::npos);

  TempDir dir;
  const drivers::GreyImage qr = code_picture("QRCode", "K7QM-9X2D-4R1", 4);
  const std::string dashed = dir.file("-odd-name.png");
  REQUIRE(stbi_write_png(dashed.c_str(), qr.width, qr.height, 1, qr.pixels.data(), qr.width) != 0);
  const RunResult r = run({bin("comptoir-scan"), "--", "-odd-name.png"}, {}, kDefaultTimeout);
  // Run from the test's directory, "-odd-name.png" is missing there: what matters is that it
  // was taken as a file, not an option.
  CHECK(r.status.code == 1);
  CHECK(lines_of(r).at(0)["file"] == "-odd-name.png");
  const RunResult full = scan({"--", dashed});
  CHECK(full.status.code == 0);
  CHECK(lines_of(full).at(0)["text"] == "K7QM-9X2D-4R1");
}

}  // namespace
}  // namespace comptoir::test

#include "encode/work_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/error.h"
#include "core/files.h"

namespace kb::encode {

nlohmann::json to_json(const PartRecord& r) {
  return {{"kind", "kubench/encode-part/v1"}, {"index", r.index},   {"first", r.first},       {"frames", r.frames},
          {"key", r.key},                     {"encoder", r.encoder}, {"node", r.node},       {"attempts", r.attempts},
          {"bytes", r.bytes},                 {"sha256", r.sha256},   {"wall_s", r.wall_s},   {"fps", r.fps},
          {"finished_at", r.finished_at}};
}

PartRecord part_record_from_json(const nlohmann::json& j, const std::string& origin) {
  try {
    if (j.value("kind", "") != "kubench/encode-part/v1") throw ParseError(origin + ": not a kubench/encode-part/v1 record");
    PartRecord r;
    r.index = j.at("index").get<int>();
    r.first = j.at("first").get<std::int64_t>();
    r.frames = j.at("frames").get<std::int64_t>();
    r.key = j.at("key").get<std::string>();
    r.encoder = j.at("encoder").get<std::string>();
    r.node = j.at("node").get<std::string>();
    r.attempts = j.at("attempts").get<int>();
    r.bytes = j.at("bytes").get<std::int64_t>();
    r.sha256 = j.at("sha256").get<std::string>();
    r.wall_s = j.at("wall_s").get<double>();
    r.fps = j.at("fps").get<double>();
    r.finished_at = j.at("finished_at").get<std::string>();
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw ParseError(origin + ": " + e.what());
  }
}

std::string part_key(const std::string& source_identity, const nlohmann::json& settings, std::int64_t first, std::int64_t frames) {
  return sha256_hex(nlohmann::json{{"source", source_identity}, {"settings", settings}, {"first", first}, {"frames", frames}}.dump());
}

namespace {
std::string numbered(int index, const char* extension) {
  char name[32];
  std::snprintf(name, sizeof name, "%05d%s", index, extension);
  return name;
}
}  // namespace

WorkDirectory::WorkDirectory(const std::filesystem::path& dir, Lock mode) : dir_(dir) {
  ensure_writable_dir(dir_ / "parts");
  ensure_writable_dir(dir_ / "logs");
  const auto lock = dir_ / ".lock";
  lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) throw EnvironmentError("cannot open " + lock.string() + ": " + std::strerror(errno));
  if (::flock(lock_fd_, (mode == Lock::shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
    ::close(lock_fd_);
    lock_fd_ = -1;
    throw EnvironmentError("work directory " + dir_.string() + " is in use by another kubench encode");
  }
}

WorkDirectory::~WorkDirectory() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

std::filesystem::path WorkDirectory::part_path(int index) const { return dir_ / "parts" / numbered(index, ".mkv"); }
std::filesystem::path WorkDirectory::record_path(int index) const { return dir_ / "parts" / numbered(index, ".json"); }
std::filesystem::path WorkDirectory::log_path(int index) const { return dir_ / "logs" / numbered(index, ".log"); }
std::filesystem::path WorkDirectory::audio_path() const { return dir_ / "audio.m4a"; }

std::optional<nlohmann::json> WorkDirectory::read_document(const std::string& name) const {
  std::error_code ec;
  if (!std::filesystem::exists(dir_ / name, ec)) return std::nullopt;
  try {
    return nlohmann::json::parse(read_file(dir_ / name));
  } catch (const std::exception&) {
    return std::nullopt;  // damaged: treated as absent, the work is redone
  }
}

void WorkDirectory::write_document(const std::string& name, const nlohmann::json& doc) const {
  write_file_atomic(dir_ / name, doc.dump(2) + "\n");
}

std::optional<PartRecord> WorkDirectory::reusable_part(int index, const std::string& key) const {
  return reusable_part(index, std::vector<std::string>{key});
}

std::optional<PartRecord> WorkDirectory::reusable_part(int index, const std::vector<std::string>& keys) const {
  auto doc = read_document(record_path(index).lexically_relative(dir_).string());
  if (!doc) return std::nullopt;
  PartRecord record;
  try {
    record = part_record_from_json(*doc, record_path(index).string());
  } catch (const Error&) {
    return std::nullopt;
  }
  std::error_code ec;
  const auto part = part_path(index);
  if (std::find(keys.begin(), keys.end(), record.key) == keys.end() || record.index != index) return std::nullopt;
  const auto size = std::filesystem::file_size(part, ec);
  if (ec || static_cast<std::int64_t>(size) != record.bytes) return std::nullopt;
  if (sha256_file(part) != record.sha256) return std::nullopt;
  return record;
}

void WorkDirectory::commit_part(const PartRecord& record) const {
  write_file_atomic(record_path(record.index), to_json(record).dump(2) + "\n");
}

}  // namespace kb::encode

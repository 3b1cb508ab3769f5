// The work directory of one split encode: the source of truth for what is done. It keeps the
// plan (source, settings, scene cuts, parts), each finished part with its record (frames, sha256,
// encoder, where and how long) and the audio track; a rerun with the same source and settings
// reuses every part whose file still matches its record and redoes the rest. Parts are written
// under a temporary name and renamed when checked, so nothing half-written is ever taken as done.
// One kubench at a time: the directory is locked while in use.
#pragma once
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "encode/part_plan.h"

namespace kb::encode {

struct PartRecord {
  int index = 0;
  std::int64_t first = 0, frames = 0;
  std::string key;         // part_key(): source, settings and range it was made for
  std::string encoder, node;
  int attempts = 1;
  std::int64_t bytes = 0;
  std::string sha256;
  double wall_s = 0, fps = 0;
  std::string finished_at;
};
nlohmann::json to_json(const PartRecord& r);
PartRecord part_record_from_json(const nlohmann::json& j, const std::string& origin);

// What a part must have been made from: sha256 over the source's identity, the encode settings
// (as canonical JSON) and the frame range.
std::string part_key(const std::string& source_identity, const nlohmann::json& settings, std::int64_t first, std::int64_t frames);

class WorkDirectory {
 public:
  // Who may use the directory at once: one planner or joiner (exclusive), or any number of part
  // encoders (shared: the `--kube` workers, each on its own part).
  enum class Lock { exclusive, shared };
  // Creates `dir` if needed and takes its lock: EnvironmentError when another kubench holds it or
  // it cannot be written.
  explicit WorkDirectory(const std::filesystem::path& dir, Lock lock = Lock::exclusive);
  ~WorkDirectory();
  WorkDirectory(const WorkDirectory&) = delete;
  WorkDirectory& operator=(const WorkDirectory&) = delete;

  const std::filesystem::path& path() const { return dir_; }
  std::filesystem::path part_path(int index) const;    // parts/00017.mkv
  std::filesystem::path record_path(int index) const;  // parts/00017.json
  std::filesystem::path log_path(int index) const;     // logs/00017.log
  std::filesystem::path audio_path() const;            // audio.m4a (a re-encoded audio track)

  // The stored document `name` (plan.json), or nullopt when absent or unreadable.
  std::optional<nlohmann::json> read_document(const std::string& name) const;
  void write_document(const std::string& name, const nlohmann::json& doc) const;

  // The record of a finished part when its file is there and matches it (size and sha256) and it
  // was made for `key`; nullopt means: encode it (again).
  std::optional<PartRecord> reusable_part(int index, const std::string& key) const;
  // … made for any of `keys` (mixed encoder families: one key per family).
  std::optional<PartRecord> reusable_part(int index, const std::vector<std::string>& keys) const;
  // Records a checked part already renamed into place.
  void commit_part(const PartRecord& record) const;

 private:
  std::filesystem::path dir_;
  int lock_fd_ = -1;
};

}  // namespace kb::encode

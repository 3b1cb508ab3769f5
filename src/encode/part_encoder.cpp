#include "encode/part_encoder.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "core/error.h"
#include "core/files.h"
#include "core/interrupt.h"
#include "core/utc_time.h"
#include "media/encode_runner.h"
#include "media/part_command.h"
#include "media/stream_join.h"
#include "probe/ffmpeg_caps.h"

namespace kb::encode {

std::string describe_part(const Part& part) {
  return "part " + std::to_string(part.index) + " (frames " + std::to_string(part.first) + "–" +
         std::to_string(part.first + part.frames - 1) + ")";
}

namespace {

// The part's bytes on disk before its name says it is done (a crash after the rename must not
// leave a name pointing at lost data).
void sync_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  if (::fsync(fd) != 0) {
    ::close(fd);
    throw EnvironmentError("cannot write " + path.string() + " to disk");
  }
  ::close(fd);
}

// Unique among every process that may write the part: on a shared volume two pods' workers can
// have the same pid (each container numbers its own), so the host name is part of it.
std::string temporary_name(const std::filesystem::path& part) {
  std::hash<std::thread::id> hash;
  char host[64] = {};
  ::gethostname(host, sizeof host - 1);
  return part.string() + ".tmp-" + host + "-" + std::to_string(::getpid()) + "-" + std::to_string(hash(std::this_thread::get_id()) % 100000);
}

}  // namespace

PartRecord encode_part(const WorkDirectory& work, const PartJob& job, const PartProgress& progress, std::string* extradata_sha256) {
  const auto final_path = work.part_path(job.part.index);
  const auto tmp = std::filesystem::path(temporary_name(final_path));
  const auto log = work.log_path(job.part.index);
  std::string reason;
  for (int attempt = 1; attempt <= job.attempts; ++attempt) {
    if (interrupted()) throw Interrupted();
    media::PartCommandSpec spec;
    spec.ffmpeg = job.ffmpeg;
    spec.source = job.source;
    spec.first = job.part.first;
    spec.frames = job.part.frames;
    spec.backend = job.backend;
    spec.codec = job.codec;
    spec.device = job.device;
    spec.quality = job.quality;
    spec.output = tmp.string();
    const auto started = std::chrono::steady_clock::now();
    // A part's time limit: generous (a 4K part on a slow CPU), but a hung encoder ends.
    const auto limit = std::chrono::minutes(10) + std::chrono::seconds(job.part.frames);
    auto outcome = media::run_encode(media::build_part_command(spec), log, limit, [&](const media::FfmpegProgress& p) {
      if (progress) progress(p.frame);
    });
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::error_code ec;
    if (outcome.process.interrupted || interrupted()) {
      std::filesystem::remove(tmp, ec);
      throw Interrupted();
    }
    if (!outcome.process.ok()) {
      std::string why, text;
      try {
        text = read_file(log);
        why = probe::ffmpeg_error_reason(text);
      } catch (const Error&) {
      }
      reason = "ffmpeg " + outcome.process.describe() + (why.empty() ? "" : ": " + why);
      std::filesystem::remove(tmp, ec);
      // Another attempt would only fill the disk again.
      if (text.find("No space left on device") != std::string::npos)
        throw EnvironmentError("disk full writing " + describe_part(job.part) + " to " + final_path.parent_path().string());
      continue;
    }
    const auto stream = media::inspect_part(tmp, job.source.rate);
    if (stream.frames != job.part.frames) {
      reason = std::to_string(stream.frames) + " of " + std::to_string(job.part.frames) + " frames";
    } else if (!stream.problem.empty()) {
      reason = stream.problem;
    } else if (!job.extradata_sha256.empty() && stream.extradata_sha256 != job.extradata_sha256) {
      reason = "parameter sets (SPS/PPS) differ from the other parts'";
    } else {
      sync_file(tmp);
      std::filesystem::rename(tmp, final_path);
      PartRecord record;
      record.index = job.part.index;
      record.first = job.part.first;
      record.frames = job.part.frames;
      record.key = job.key;
      record.encoder = probe::encoder_name(job.backend, job.codec).value_or("");
      record.node = job.node;
      record.attempts = attempt;
      record.bytes = static_cast<std::int64_t>(std::filesystem::file_size(final_path));
      record.sha256 = sha256_file(final_path);
      record.wall_s = wall;
      record.fps = wall > 0 ? static_cast<double>(job.part.frames) / wall : 0;
      record.finished_at = utc_rfc3339();
      work.commit_part(record);
      if (extradata_sha256) *extradata_sha256 = stream.extradata_sha256;
      return record;
    }
    // A full disk shows as a short part (ffmpeg's Matroska writer does not always fail): another
    // attempt would only fill it again.
    const auto space = std::filesystem::space(final_path.parent_path(), ec);
    std::filesystem::remove(tmp, ec);
    if (!ec && space.available < (4u << 20))
      throw EnvironmentError("disk full writing " + describe_part(job.part) + " to " + final_path.parent_path().string() + " (" +
                             std::to_string(space.available >> 10) + " KiB free)");
  }
  throw CheckFailed(describe_part(job.part) + ": " + reason + " after " + std::to_string(job.attempts) + " attempt" +
                    (job.attempts == 1 ? "" : "s") + " (log: " + log.string() + ")");
}

}  // namespace kb::encode

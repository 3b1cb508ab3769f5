#include "queue/workload_media.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "core/error.h"
#include "core/files.h"
#include "core/interrupt.h"
#include "core/text.h"
#include "media/clips.h"
#include "media/encode_runner.h"
#include "media/test_matrix.h"
#include "probe/ffmpeg_caps.h"
#include "queue/slot_threads.h"

namespace kb::queue {

namespace asio = boost::asio;
namespace fs = std::filesystem;

struct MediaWorkload::Impl {
  asio::io_context& io;
  MediaOptions options;
  probe::FfmpegInfo ffmpeg;
  probe::Backend backend = probe::Backend::cpu;
  media::ClipSet clips;
  std::atomic<int> busy{0};  // encodes running now
  SlotThreads threads;  // last: joined first

  Impl(asio::io_context& i, int slots, MediaOptions o) : io(i), options(std::move(o)), threads(slots) {}

  WorkOutcome run(int slot, const media::TestDef& test, const std::string& device) const {
    WorkOutcome out;
    auto found = clips.clips.find(test.clip);
    if (found == clips.clips.end()) {
      auto why = clips.missing.find(test.clip);
      out.ok = false;
      out.error = "clip for " + test.id + " not available" + (why != clips.missing.end() ? ": " + why->second : "");
      return out;
    }
    const auto& clip = found->second;
    auto cmd = media::build_encode_command(test, backend, device, ffmpeg.path, clip.path);
    auto log = options.log_dir / ("slot-" + std::to_string(slot) + ".log");
    auto limit = options.time_limit.value_or(std::chrono::milliseconds(300000 + 1000 * std::max<long long>(clip.info.frames, 0)));
    try {
      auto enc = media::run_encode(cmd.argv, log, limit);
      double wall = enc.process.wall_seconds;
      long long frames = enc.progress.frame;
      out.result = {{"test", test.id},
                    {"encoder", cmd.encoder},
                    {"backend", cmd.backend},
                    {"clip", clip.stem},
                    {"frames", frames},
                    {"expected_frames", clip.info.frames},
                    {"wall_s", wall},
                    {"fps", wall > 0 ? static_cast<double>(frames) / wall : 0.0},
                    {"speed", enc.progress.speed.value_or(0)}};
      if (enc.process.timed_out) {
        out.ok = false;
        out.result["timed_out"] = true;
        out.error = "time limit of " + fixed(static_cast<double>(limit.count()) / 1000, 1) + " s reached: ffmpeg killed";
      } else if (!enc.process.ok()) {
        out.ok = false;
        std::string tail;
        try {
          tail = last_lines(read_file(log), 2);
        } catch (const Error&) {
        }
        out.error = "ffmpeg " + enc.process.describe() + (tail.empty() ? "" : ": " + tail);
      } else if (clip.info.frames > 0 && frames < clip.info.frames) {
        out.ok = false;
        out.error = "encoded " + std::to_string(frames) + " of " + std::to_string(clip.info.frames) + " frames";
      }
    } catch (const Error& e) {
      out.ok = false;
      out.error = e.what();
    }
    return out;
  }
};

MediaWorkload::MediaWorkload(asio::io_context& io, int slots, MediaOptions options) {
  auto backend = probe::parse_backend(options.accel);
  if (!backend) throw UsageError("--accel '" + options.accel + "': choose qsv, vaapi, nvenc, amf or cpu");
  if (!media::find_test(options.default_test)) throw UsageError("--test '" + options.default_test + "': not a test of the matrix");
  impl_ = std::make_unique<Impl>(io, slots, std::move(options));
  auto& o = impl_->options;
  impl_->backend = *backend;
  impl_->ffmpeg = probe::locate_ffmpeg(o.ffmpeg);
  if (o.log_dir.empty()) o.log_dir = fs::temp_directory_path() / ("kubench-work-" + std::to_string(::getpid()));
  ensure_writable_dir(o.log_dir);

  // Proof that the backend encodes here, before any item is taken (and failed).
  probe::CapabilityOptions caps;
  caps.device = o.check_device;
  caps.decoders = false;
  caps.backends = {*backend};
  bool h264 = false;
  std::string why = "no h264 encoder";
  for (auto& c : probe::check_capabilities(impl_->ffmpeg, caps)) {
    if (c.kind == "encode" && c.codec == "h264") {
      h264 = c.works;
      if (!c.works) why = c.name + ": " + c.reason;
    }
  }
  if (!h264) throw EnvironmentError("--accel " + o.accel + " does not encode here (" + why + ")");

  auto cache = o.cache_dir.empty() ? media::default_cache_dir() : o.cache_dir;
  if (o.clips == "generated") impl_->clips = media::prepare_generated_clips(impl_->ffmpeg, cache, media::parse_profile(o.profile));
  else if (o.clips == "official") impl_->clips = media::prepare_official_clips(cache, media::kOfficialClipsUrl);
  else impl_->clips = media::use_clip_dir(o.clips);
}

MediaWorkload::~MediaWorkload() {
  // Encodes still running when the worker stops (hard stop) are ended through media's runner,
  // which kills an encode's process group when the interrupt flag is up; then the flag is cleared.
  if (impl_ && impl_->busy.load() > 0) {
    raise_interrupt();
    impl_.reset();
    clear_interrupt();
  }
}

void MediaWorkload::start(int slot, const std::string& device, const WorkItem& item, Done done) {
  std::string id = impl_->options.default_test;
  std::string refusal;
  if (item.payload.is_object()) {
    auto t = item.payload.find("test");
    if (t != item.payload.end() && t->is_string()) id = t->get<std::string>();
    else if (t != item.payload.end()) refusal = "media payload \"test\" must be a string";
  } else if (!item.payload.is_null()) {
    refusal = "media payload must be a JSON object such as {\"test\": \"h264_1080p\"}";
  }
  const media::TestDef* test = refusal.empty() ? media::find_test(id) : nullptr;
  if (refusal.empty() && !test) {
    refusal = "unknown test \"" + id.substr(0, 64) + "\": choose from";
    for (auto& t : media::test_matrix()) refusal += " " + t.id;
  }
  if (!refusal.empty()) {
    WorkOutcome refused{false, nlohmann::json::object(), refusal};
    asio::post(impl_->io, [done = std::move(done), o = std::move(refused)]() mutable { done(std::move(o)); });
    return;
  }
  impl_->threads.run(slot, [impl = impl_.get(), slot, test, device, done = std::move(done)]() mutable {
    ++impl->busy;
    WorkOutcome outcome = impl->run(slot, *test, device);
    --impl->busy;
    asio::post(impl->io, [done = std::move(done), o = std::move(outcome)]() mutable { done(std::move(o)); });
  });
}

void MediaWorkload::cancel(int) {}

}  // namespace kb::queue

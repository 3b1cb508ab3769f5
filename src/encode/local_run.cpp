#include "encode/local_run.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "encode/stage_clock.h"
#include "core/interrupt.h"
#include "core/progress.h"
#include "core/text.h"
#include "encode/encode_report.h"
#include "encode/join_verify.h"
#include "encode/part_encoder.h"
#include "encode/prepare.h"
#include "media/part_command.h"
#include "probe/ffmpeg_caps.h"

namespace kb::encode {

namespace {

using Clock = StageClock;

// Parts done, frames done, aggregate fps and ETA for the progress line.
class EncodeProgress {
 public:
  EncodeProgress(const std::vector<Part>& todo, int total_parts, int done_parts, const EncodeEvents& events)
      : events_(events), total_parts_(total_parts), done_parts_(done_parts), in_flight_(todo.size(), 0) {
    for (auto& p : todo) total_frames_ += p.frames;
  }
  void update(size_t slot, std::int64_t frames) {
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_[slot] = frames;
    show_locked();
  }
  void finished(size_t slot, std::int64_t frames) {
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_[slot] = 0;
    finished_frames_ += frames;
    ++done_parts_;
    show_locked();
  }

 private:
  void show_locked() {
    if (!events_.progress) return;
    std::int64_t done = finished_frames_;
    for (auto f : in_flight_) done += f;
    const double elapsed = seconds_since(started_);
    const double fps = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
    std::string text = "parts " + std::to_string(done_parts_) + "/" + std::to_string(total_parts_) + " · " + fixed(fps, 1) + " fps";
    if (fps > 0 && done < total_frames_) text += " · ETA " + format_duration(static_cast<double>(total_frames_ - done) / fps);
    events_.progress(text);
  }
  const EncodeEvents& events_;
  std::mutex mu_;
  int total_parts_, done_parts_;
  std::vector<std::int64_t> in_flight_;
  std::int64_t total_frames_ = 0, finished_frames_ = 0;
  Clock::time_point started_ = Clock::now();
};


nlohmann::json dry_run_plan(const PreparedEncode& p, const std::string& ffmpeg) {
  auto plan = plan_document(p);
  plan["source"].erase("keyframes");
  for (auto& part : plan["parts"]) part.erase("key");
  media::PartCommandSpec example;
  example.ffmpeg = ffmpeg;
  example.source = p.source;
  const auto& shown = p.parts.size() > 1 ? p.parts[1] : p.parts[0];
  example.first = shown.first;
  example.frames = shown.frames;
  example.backend = p.request.backend;
  example.codec = p.request.codec;
  example.device = p.request.device;
  example.quality = p.request.quality;
  example.output = (work_dir_of(p.request) / "parts" / (p.parts.size() > 1 ? "00001.mkv" : "00000.mkv")).string();
  plan["example_command"] = media::build_part_command(example);
  plan["detect_s"] = p.detect_s;
  return plan;
}

}  // namespace

nlohmann::json run_encode_locally(const EncodeRequest& request, const EncodeEvents& events) {
  const auto started = Clock::now();
  check_encode_paths(request);
  const auto ffmpeg = probe::locate_ffmpeg(request.ffmpeg).path.string();
  if (request.dry_run) return dry_run_plan(prepare_encode(request, nullptr, events), ffmpeg);
  const auto work_path = work_dir_of(request);
  std::unique_ptr<WorkDirectory> work;
  const auto p = prepare_encode(request, &work, events);
  const auto& r = p.request;
  const auto& parts = p.parts;

  // Which parts are done already.
  std::vector<PartRecord> records(parts.size());
  std::vector<bool> reused(parts.size(), false);
  std::vector<Part> todo;
  for (auto& part : parts) {
    if (auto record = work->reusable_part(part.index, p.keys[static_cast<size_t>(part.index)])) {
      records[static_cast<size_t>(part.index)] = *record;
      reused[static_cast<size_t>(part.index)] = true;
    } else {
      todo.push_back(part);
    }
  }
  const int reused_count = static_cast<int>(parts.size() - todo.size());
  if (reused_count > 0 && events.note)
    events.note("resuming: " + std::to_string(reused_count) + " of " + std::to_string(parts.size()) + " parts already done in " + work_path.string());
  // Longest first: the last parts to finish are the short ones, so no slot idles long at the end.
  std::stable_sort(todo.begin(), todo.end(), [](const Part& a, const Part& b) { return a.frames > b.frames; });
  auto audio = audio_track(p, *work);

  // Encode: `jobs` threads take the audio (if needed) and then parts, longest first.
  auto t = Clock::now();
  const std::string node = this_node();
  EncodeProgress progress(todo, static_cast<int>(parts.size()), reused_count, events);
  std::mutex mu;
  std::string extradata;  // the first finished part's parameter sets: every later one must match
  std::exception_ptr failure;
  std::atomic<size_t> next{0};
  std::atomic<bool> audio_claimed{!audio.encode || audio.reused};
  auto worker = [&](size_t slot) {
    try {
      if (!audio_claimed.exchange(true)) encode_audio(p, *work, audio, ffmpeg);
      for (;;) {
        {
          std::lock_guard<std::mutex> lock(mu);
          if (failure) return;
        }
        const size_t i = next.fetch_add(1);
        if (i >= todo.size()) return;
        auto job = part_job(p, todo[i].index, ffmpeg, node);
        {
          std::lock_guard<std::mutex> lock(mu);
          job.extradata_sha256 = extradata;
        }
        std::string made;
        auto record = encode_part(*work, job, [&](std::int64_t frames) { progress.update(slot, frames); }, &made);
        if (record.attempts > 1 && events.note)
          events.note(describe_part(todo[i]) + ": done at attempt " + std::to_string(record.attempts));
        progress.finished(slot, todo[i].frames);
        std::lock_guard<std::mutex> lock(mu);
        if (extradata.empty()) extradata = made;
        records[static_cast<size_t>(todo[i].index)] = record;
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu);
      if (!failure) failure = std::current_exception();
    }
  };
  {
    const size_t threads = std::min<size_t>(static_cast<size_t>(r.jobs), std::max<size_t>(1, todo.size() + (audio_claimed ? 0 : 1)));
    std::vector<std::thread> pool;
    for (size_t s = 0; s < threads; ++s) pool.emplace_back(worker, s);
    for (auto& th : pool) th.join();
  }
  if (interrupted()) throw Interrupted();
  if (failure) std::rethrow_exception(failure);
  EncodeTimings timings;
  timings.encode_s = seconds_since(t);

  const auto joined = join_and_verify(p, *work, audio, events);
  work.reset();
  if (!r.keep_work) {
    std::error_code ec;
    std::filesystem::remove_all(work_path, ec);
  }
  timings.total_s = seconds_since(started);
  return encode_report(p, records, reused, audio, joined, timings, {{"jobs", r.jobs}});
}

}  // namespace kb::encode

// The `media` workload: each item is one transcode of kubench's benchmark matrix (media/), on the
// slot's GPU (--device-glob picks one per slot), through media's runner (-progress parsed, the
// whole process group killed at the time limit). Payload {"test": "h264_1080p"}; the result
// carries frames, fps, speed and wall time, the same figures `kubench bench` reports.
#pragma once
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "queue/workload.h"

namespace boost::asio {
class io_context;
}

namespace kb::queue {

struct MediaOptions {
  std::string accel = "cpu";         // qsv | vaapi | nvenc | amf | cpu
  std::string clips = "generated";   // generated | official | a directory
  std::string profile = "quick";     // generated clip length
  std::filesystem::path cache_dir;   // empty: media's default
  std::string ffmpeg;                // empty: $KUBENCH_FFMPEG, then PATH
  std::string default_test = "h264_1080p";
  std::optional<std::chrono::milliseconds> time_limit;  // unset: 300 s + 1 s per clip frame
  std::filesystem::path log_dir;     // ffmpeg logs, one per slot (overwritten per item)
  std::string check_device;          // the device the start-up test encode uses ("" = default)
};

class MediaWorkload : public Workload {
 public:
  // Finds ffmpeg, prepares the clips and proves the backend encodes here (a tiny real encode);
  // throws UsageError/EnvironmentError when any of it fails, before the worker leases anything.
  MediaWorkload(boost::asio::io_context& io, int slots, MediaOptions options);
  ~MediaWorkload() override;
  std::string name() const override { return "media"; }
  void start(int slot, const std::string& device, const WorkItem& item, Done done) override;
  void cancel(int slot) override;  // not supported: an encode runs to its end or its time limit

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kb::queue

// Getting a result document out of a pod: into the termination message when it fits (the
// kubelet keeps at most 4 KiB), otherwise between marker lines in the container's log, where
// the collector finds it (kubectl logs shows it too). The frame carries a sha256 so a truncated
// or interleaved log is detected instead of parsed.
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace kb::media {

inline constexpr size_t kTerminationMessageLimit = 4096;
inline constexpr const char* kFrameBegin = "----- BEGIN KUBENCH RESULT";
inline constexpr const char* kFrameEnd = "----- END KUBENCH RESULT -----";

// Lines of the body in a frame: container runtimes split longer log lines (containerd at 16 KiB),
// and a log read with timestamps would then carry one in the middle of the JSON.
inline constexpr size_t kFrameLineLength = 4000;

// "----- BEGIN KUBENCH RESULT sha256=<hex> -----\n<compact json, in lines of kFrameLineLength>\n
// ----- END KUBENCH RESULT -----\n"
std::string frame_result(const nlohmann::json& doc);

// The last complete, intact frame in `log`; nullopt if none. Throws ParseError for a frame whose
// hash does not match (a damaged result is an error, not a missing one).
std::optional<nlohmann::json> find_framed_result(std::string_view log);

// Where a pod's result went.
enum class ResultChannel { termination_message, log };

// Writes the compact JSON to `termination_log` when it fits, else prints the frame to stdout.
ResultChannel publish_result(const nlohmann::json& doc, const std::filesystem::path& termination_log);

}  // namespace kb::media

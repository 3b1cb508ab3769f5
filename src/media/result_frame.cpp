#include "media/result_frame.h"

#include <cstdio>
#include <fstream>

#include "core/error.h"
#include "core/files.h"
#include "core/text.h"

namespace kb::media {

std::string frame_result(const nlohmann::json& doc) {
  std::string body = doc.dump();
  std::string out = std::string(kFrameBegin) + " sha256=" + sha256_hex(body) + " -----\n";
  for (size_t at = 0; at < body.size(); at += kFrameLineLength) out += body.substr(at, kFrameLineLength) + "\n";
  return out + kFrameEnd + "\n";
}

std::optional<nlohmann::json> find_framed_result(std::string_view log) {
  auto begin = log.rfind(kFrameBegin);
  if (begin == std::string_view::npos) return std::nullopt;
  auto header_end = log.find('\n', begin);
  if (header_end == std::string_view::npos) return std::nullopt;
  auto end = log.find(kFrameEnd, header_end);
  if (end == std::string_view::npos) return std::nullopt;  // cut short: not a result
  std::string_view header = log.substr(begin, header_end - begin);
  auto hash_at = header.find("sha256=");
  if (hash_at == std::string_view::npos) throw ParseError("result frame without a checksum");
  std::string hash(header.substr(hash_at + 7, 64));
  // The compact JSON has no line breaks of its own: the ones in the frame are the wrapping.
  std::string body;
  for (char c : log.substr(header_end + 1, end - header_end - 1))
    if (c != '\n' && c != '\r') body += c;
  if (sha256_hex(body) != hash) throw ParseError("the result in the log is damaged (checksum mismatch)");
  try {
    return nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception& e) {
    throw ParseError(std::string("the result in the log is not JSON: ") + e.what());
  }
}

ResultChannel publish_result(const nlohmann::json& doc, const std::filesystem::path& termination_log) {
  std::string compact = doc.dump();
  if (compact.size() <= kTerminationMessageLimit) {
    // Written in place: in a pod the file is a bind mount, which a rename cannot replace.
    std::ofstream out(termination_log, std::ios::binary | std::ios::trunc);
    if (out && (out << compact) && out.flush()) return ResultChannel::termination_message;
    // Not writable (not in a pod, or a read-only mount): the log still carries it.
  }
  std::fputs(frame_result(doc).c_str(), stdout);
  std::fflush(stdout);
  return ResultChannel::log;
}

}  // namespace kb::media

// Reading small sysfs attributes (energy_uj, power1_average, name) with errno-accurate reasons.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace kb::power {

// The attribute's text without the trailing newline. On failure returns nullopt and, when `error`
// is given, sets it to "<path>: <strerror>" (e.g. "Permission denied" for root-only energy_uj).
std::optional<std::string> read_sysfs_text(const std::filesystem::path& path, std::string* error = nullptr);

// An unsigned decimal attribute (µJ and µW counters); text that is not a number is an error too.
std::optional<std::uint64_t> read_sysfs_u64(const std::filesystem::path& path, std::string* error = nullptr);

}  // namespace kb::power

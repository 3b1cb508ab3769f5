// Kubernetes resource quantities ("500m", "4Gi", "1e3", "2") as whole thousandths, so CPU,
// memory and extended resources add and compare exactly, as the scheduler compares them.
#pragma once
#include <cstdint>
#include <map>
#include <string>

namespace kb {

// Thousandths of the unit: "500m" → 500, "2" → 2000, "1Ki" → 1024000. Throws ParseError naming
// the text for anything that is not a quantity (or does not fit).
int64_t parse_quantity_milli(const std::string& text);

// The shortest honest text for a milli value: 1500 → "1.5", 250 → "250m", 4294967296000 → "4Gi".
std::string format_quantity_milli(int64_t milli);

// resource name → thousandths.
using ResourceList = std::map<std::string, int64_t>;

}  // namespace kb

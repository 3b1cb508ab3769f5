#include "jobs/benchmark_spec.h"

#include <gtest/gtest.h>

#include <cctype>

#include "core/error.h"

namespace kb::jobs {
namespace {

// What the API server demands of a DNS-1123 label.
bool is_dns_label(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-')) return false;
  return std::isalnum(static_cast<unsigned char>(s.front())) && std::isalnum(static_cast<unsigned char>(s.back()));
}

bool is_hex(const std::string& s) {
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c)) || std::isupper(static_cast<unsigned char>(c))) return false;
  return true;
}

TEST(DnsLabel, LowerCasesAndReplacesInvalidCharacters) {
  EXPECT_EQ(dns_label("GPU-Node-01"), "gpu-node-01");
  EXPECT_EQ(dns_label("node_1.example.com"), "node-1-example-com");
  // A run of invalid characters becomes one dash.
  EXPECT_EQ(dns_label("a _/.b"), "a-b");
  EXPECT_EQ(dns_label("caf\xc3\xa9 1"), "caf-1");
}

TEST(DnsLabel, TrimsNonAlphanumericEnds) {
  EXPECT_EQ(dns_label("--Node--"), "node");
  EXPECT_EQ(dns_label("_.a.b._"), "a-b");
  EXPECT_EQ(dns_label("***"), "x");  // never empty
  EXPECT_EQ(dns_label(""), "x");
}

TEST(DnsLabel, ShortNamesStayUnhashed) {
  std::string exact(63, 'a');
  EXPECT_EQ(dns_label(exact), exact);
}

TEST(DnsLabel, LongNamesKeepAHashSuffixAndStayDistinct) {
  std::string prefix = "worker-pool-with-a-really-long-name-in-the-eu-west-datacenter-";
  std::string a = prefix + "node-0001", b = prefix + "node-0002";
  auto la = dns_label(a), lb = dns_label(b);
  for (auto* l : {&la, &lb}) {
    EXPECT_TRUE(is_dns_label(*l)) << *l;
    EXPECT_LE(l->size(), 63u);
    ASSERT_GT(l->size(), 9u);
    EXPECT_EQ((*l)[l->size() - 9], '-') << *l;
    EXPECT_TRUE(is_hex(l->substr(l->size() - 8))) << *l;
  }
  EXPECT_NE(la, lb);
  EXPECT_EQ(la, dns_label(a));  // deterministic
  EXPECT_EQ(la.substr(0, 20), "worker-pool-with-a-r");
}

TEST(DnsLabel, TruncationDoesNotLeaveADashBeforeTheHash) {
  // The cut lands right after a dash: it is trimmed so there is no "--" before the hash.
  std::string text = std::string(53, 'a') + "-" + std::string(20, 'b');
  auto l = dns_label(text);
  EXPECT_TRUE(is_dns_label(l)) << l;
  EXPECT_EQ(l.find("--"), std::string::npos) << l;
}

TEST(DnsLabel, HonoursAShorterMaximum) {
  auto l = dns_label(std::string(40, 'z'), 20);
  EXPECT_EQ(l.size(), 20u);
  EXPECT_EQ(l.substr(0, 11), std::string(11, 'z'));
}

TEST(LabelValue, KeepsCaseDotsAndUnderscores) {
  EXPECT_EQ(label_value("Run_1.2-A"), "Run_1.2-A");
  EXPECT_EQ(label_value("a b/c"), "a-b-c");
  EXPECT_EQ(label_value("._x_."), "x");
  EXPECT_EQ(label_value(""), "");  // an empty label value is valid
  auto long_value = label_value(std::string(80, 'V'));
  EXPECT_LE(long_value.size(), 63u);
  EXPECT_TRUE(is_hex(long_value.substr(long_value.size() - 8)));
}

TEST(ParseGpuAccess, RoundTripsAndRejectsOthers) {
  for (auto a : {GpuAccess::none, GpuAccess::resource, GpuAccess::hostpath}) EXPECT_EQ(parse_gpu_access(to_string(a)), a);
  EXPECT_THROW(parse_gpu_access("Resource"), UsageError);
  EXPECT_THROW(parse_gpu_access(""), UsageError);
  try {
    parse_gpu_access("privileged");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("'privileged'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("hostpath"), std::string::npos) << e.what();
  }
}

TEST(ParseSidecarMode, RoundTripsAndRejectsOthers) {
  for (auto m : {SidecarMode::native, SidecarMode::files}) EXPECT_EQ(parse_sidecar_mode(to_string(m)), m);
  try {
    parse_sidecar_mode("sidecar");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--sidecar"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'sidecar'"), std::string::npos) << e.what();
  }
}

TEST(BenchmarkJobSpec, JobNameByCase) {
  BenchmarkJobSpec spec;
  EXPECT_EQ(spec.job_name(), "kubench-bench");
  spec.case_name = "GPU_Node.1";
  EXPECT_EQ(spec.job_name(), "kubench-bench-gpu-node-1");
  spec.case_name = std::string(100, 'n');
  EXPECT_TRUE(is_dns_label(spec.job_name())) << spec.job_name();
}

TEST(BenchmarkJobSpec, NamespaceDefaultsFromRunId) {
  BenchmarkJobSpec spec;
  EXPECT_EQ(spec.namespace_or_default(), "kubench-quicksync");
  spec.run_id = "Nightly_2024.06";
  EXPECT_EQ(spec.namespace_or_default(), "kubench-nightly-2024-06");
  spec.namespace_name = "bench";
  EXPECT_EQ(spec.namespace_or_default(), "bench");
}

}  // namespace
}  // namespace kb::jobs

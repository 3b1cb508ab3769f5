#include "jobs/gpu_access.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace kb::jobs {
namespace {

kube::NodeInventory node(const std::string& name, std::map<std::string, std::string> gpu_resources = {}) {
  kube::NodeInventory n;
  n.name = name;
  n.ready = true;
  n.gpu_resources = std::move(gpu_resources);
  return n;
}

AccessRequest request(const std::string& accel, std::optional<GpuAccess> access = std::nullopt, const std::string& resource = "") {
  AccessRequest r;
  r.accel = accel;
  r.access = access;
  r.resource = resource;
  return r;
}

// The UsageError's text, "" when none is thrown.
std::string usage_error(const AccessRequest& r, const kube::NodeInventory* n) {
  try {
    choose_access(r, n);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(ResourcesFor, EachAccelerator) {
  EXPECT_EQ(resources_for("qsv"), (std::vector<std::string>{"gpu.intel.com/i915", "gpu.intel.com/xe"}));
  EXPECT_EQ(resources_for("nvenc").front(), "nvidia.com/gpu");
  EXPECT_EQ(resources_for("amf"), std::vector<std::string>{"amd.com/gpu"});
  EXPECT_TRUE(resources_for("cpu").empty());
  EXPECT_EQ(default_resource("qsv"), "gpu.intel.com/i915");
  EXPECT_EQ(default_resource("vaapi"), "gpu.intel.com/i915");
  EXPECT_EQ(default_resource("cpu"), "");
}

TEST(ChooseAccess, AutoPicksTheNodesGpuFamily) {
  struct Case {
    std::map<std::string, std::string> resources;
    std::string accel, resource;
  } cases[] = {
      {{{"gpu.intel.com/i915", "1"}}, "qsv", "gpu.intel.com/i915"},
      {{{"gpu.intel.com/xe", "2"}}, "qsv", "gpu.intel.com/xe"},
      {{{"nvidia.com/gpu", "8"}}, "nvenc", "nvidia.com/gpu"},
      {{{"amd.com/gpu", "1"}}, "vaapi", "amd.com/gpu"},
  };
  for (auto& c : cases) {
    auto n = node("n1", c.resources);
    auto choice = choose_access(request("auto"), &n);
    EXPECT_EQ(choice.accel, c.accel) << c.resource;
    EXPECT_EQ(choice.access, GpuAccess::resource) << c.resource;
    EXPECT_EQ(choice.resource, c.resource);
    EXPECT_NE(choice.note.find("n1"), std::string::npos) << choice.note;
    EXPECT_NE(choice.note.find(c.accel), std::string::npos) << choice.note;
  }
}

TEST(ChooseAccess, AutoOnANodeWithoutGpuIsCpu) {
  auto plain = node("cpu-1");
  auto choice = choose_access(request("auto"), &plain);
  EXPECT_EQ(choice.accel, "cpu");
  EXPECT_EQ(choice.access, GpuAccess::none);
  EXPECT_EQ(choice.resource, "");
  // A device plugin that advertises zero devices is no GPU either.
  auto empty = node("gpu-0", {{"gpu.intel.com/i915", "0"}});
  EXPECT_EQ(choose_access(request("auto"), &empty).accel, "cpu");
}

TEST(ChooseAccess, AutoPrefersIntelOnAMixedNode) {
  auto mixed = node("mixed", {{"nvidia.com/gpu", "1"}, {"gpu.intel.com/i915", "1"}});
  EXPECT_EQ(choose_access(request("auto"), &mixed).accel, "qsv");
}

TEST(ChooseAccess, ExplicitAccelOnANodeWithoutItsResourceSaysWhatWould) {
  auto nv = node("gpu-nv-1", {{"nvidia.com/gpu", "1"}});
  auto msg = usage_error(request("qsv"), &nv);
  ASSERT_FALSE(msg.empty());
  EXPECT_NE(msg.find("gpu-nv-1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("gpu.intel.com/i915"), std::string::npos) << msg;
  EXPECT_NE(msg.find("gpu.intel.com/xe"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--gpu-access hostpath"), std::string::npos) << msg;
}

TEST(ChooseAccess, ExplicitAccelUsesTheAdvertisedResource) {
  auto xe = node("n1", {{"gpu.intel.com/xe", "1"}});
  auto choice = choose_access(request("qsv"), &xe);
  EXPECT_EQ(choice.accel, "qsv");
  EXPECT_EQ(choice.access, GpuAccess::resource);
  EXPECT_EQ(choice.resource, "gpu.intel.com/xe");
}

TEST(ChooseAccess, ExplicitGpuResourceIsHonoured) {
  auto shared = node("n1", {{"nvidia.com/gpu.shared", "4"}, {"nvidia.com/gpu", "1"}});
  EXPECT_EQ(choose_access(request("nvenc", std::nullopt, "nvidia.com/gpu.shared"), &shared).resource, "nvidia.com/gpu.shared");
  // With no node to check, taken as given.
  EXPECT_EQ(choose_access(request("qsv", std::nullopt, "example.com/igpu"), nullptr).resource, "example.com/igpu");
  // On a node that does not advertise it: the error names that resource.
  auto intel = node("n2", {{"gpu.intel.com/i915", "1"}});
  auto msg = usage_error(request("qsv", std::nullopt, "gpu.intel.com/xe"), &intel);
  EXPECT_NE(msg.find("n2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("gpu.intel.com/xe"), std::string::npos) << msg;
}

TEST(ChooseAccess, HostpathNeedsAnExplicitAccel) {
  auto intel = node("n1", {{"gpu.intel.com/i915", "1"}});
  auto msg = usage_error(request("auto", GpuAccess::hostpath), &intel);
  EXPECT_NE(msg.find("--accel"), std::string::npos) << msg;
  EXPECT_NE(usage_error(request("auto", GpuAccess::hostpath), nullptr), "");
}

TEST(ChooseAccess, HostpathWorksWithoutADevicePlugin) {
  auto plain = node("n1");
  auto choice = choose_access(request("qsv", GpuAccess::hostpath), &plain);
  EXPECT_EQ(choice.accel, "qsv");
  EXPECT_EQ(choice.access, GpuAccess::hostpath);
  EXPECT_EQ(choice.resource, "");
  EXPECT_NE(choice.note.find("privileged"), std::string::npos) << choice.note;
}

TEST(ChooseAccess, AccessNoneAndCpuRequestNoDevice) {
  auto plain = node("n1");
  auto none = choose_access(request("qsv", GpuAccess::none), &plain);
  EXPECT_EQ(none.access, GpuAccess::none);
  EXPECT_EQ(none.resource, "");
  EXPECT_FALSE(none.note.empty());
  auto cpu = choose_access(request("cpu", GpuAccess::resource), &plain);
  EXPECT_EQ(cpu.accel, "cpu");
  EXPECT_EQ(cpu.access, GpuAccess::none);
}

TEST(ChooseAccess, NoNodeUsesTheDefaultResource) {
  auto qsv = choose_access(request("qsv"), nullptr);
  EXPECT_EQ(qsv.access, GpuAccess::resource);
  EXPECT_EQ(qsv.resource, "gpu.intel.com/i915");
  EXPECT_EQ(choose_access(request("nvenc"), nullptr).resource, "nvidia.com/gpu");
  EXPECT_EQ(choose_access(request("amf"), nullptr).resource, "amd.com/gpu");
  // auto cannot choose without a node.
  EXPECT_THROW(choose_access(request("auto"), nullptr), UsageError);
}

TEST(ChooseAccess, InvalidAccel) {
  auto msg = usage_error(request("h264_qsv"), nullptr);
  EXPECT_NE(msg.find("'h264_qsv'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--accel"), std::string::npos) << msg;
  EXPECT_THROW(choose_access(request("QSV"), nullptr), UsageError);
}

}  // namespace
}  // namespace kb::jobs

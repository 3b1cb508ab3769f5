#include "probe/gpu.h"

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace kb::probe {
namespace {
namespace fs = std::filesystem;

// A sysfs tree as the kernel lays it out: class/drm/renderD128 -> devices/pci.../drm/renderD128.
void fake_gpu(const fs::path& root, const std::string& slot, const std::string& render, const std::string& card,
              const std::string& vendor, const std::string& device, const std::string& driver) {
  auto dev = root / "devices/pci0000:00" / slot;
  fs::create_directories(dev / "drm" / render);
  fs::create_directories(dev / "drm" / card);
  fs::create_directories(root / "bus/pci/drivers" / driver);
  test::write_text(dev / "vendor", vendor + "\n");
  test::write_text(dev / "device", device + "\n");
  fs::create_symlink(root / "bus/pci/drivers" / driver, dev / "driver");
  fs::create_directories(root / "class/drm");
  fs::create_symlink(dev / "drm" / render, root / "class/drm" / render);
  fs::create_symlink(dev, dev / "drm" / render / "device");
}

TEST(Gpu, ListsRenderNodesWithVendorAndDriver) {
  test::TempDir sys;
  fake_gpu(sys.path(), "0000:00:02.0", "renderD128", "card0", "0x8086", "0x4680", "i915");
  fake_gpu(sys.path(), "0000:03:00.0", "renderD129", "card1", "0x8086", "0x56a5", "xe");
  auto gpus = list_drm_gpus(sys.path());
  ASSERT_EQ(gpus.size(), 2u);
  EXPECT_EQ(gpus[0].render_node, "/dev/dri/renderD128");
  EXPECT_EQ(gpus[0].vendor, "intel");
  EXPECT_EQ(gpus[0].driver, "i915");
  EXPECT_EQ(gpus[0].pci_slot, "0000:00:02.0");
  EXPECT_EQ(gpus[0].card, "card0");
  EXPECT_EQ(gpus[1].driver, "xe");
  EXPECT_EQ(gpus[1].device_id, "0x56a5");
}

TEST(Gpu, NoDrmIsAnEmptyList) {
  test::TempDir sys;
  EXPECT_TRUE(list_drm_gpus(sys.path()).empty());
}

TEST(Gpu, ParsesNvidiaSmi) {
  auto gpus = parse_nvidia_smi_gpus("0, NVIDIA H100 80GB HBM3, 550.54.15, 81559, 00000000:1B:00.0\n");
  ASSERT_EQ(gpus.size(), 1u);
  EXPECT_EQ(gpus[0].name, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(gpus[0].nvidia_index, "0");
  EXPECT_EQ(gpus[0].pci_slot, "0000:1b:00.0");
  EXPECT_EQ(gpus[0].memory_bytes, 81559LL * 1024 * 1024);
}

}  // namespace
}  // namespace kb::probe

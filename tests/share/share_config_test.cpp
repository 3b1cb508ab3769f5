// `share config`: the seed's device plugin config written exactly, written configs read back to the
// same meaning, MPS, ConfigMaps with several keys, what the plugin ignores (as warnings) and what
// it or kubench rejects (as one-line errors naming the file and line).
#include "share/share_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/error.h"

namespace kb::share {
namespace {

using ::testing::HasSubstr;

const std::string kSeedConfig =
    "version: v1\n"
    "sharing:\n"
    "  timeSlicing:\n"
    "    renameByDefault: true\n"
    "    failRequestsGreaterThanOne: false\n"
    "    resources:\n"
    "      - name: nvidia.com/gpu\n"
    "        replicas: 8\n";

SharingConfig seed_config() {
  SharingConfig c;
  c.rename_by_default = true;
  c.fail_requests_greater_than_one = false;
  c.resources = {{"nvidia.com/gpu", 8, "", "all"}};
  return c;
}

SharingConfig mps_config(int replicas) {
  SharingConfig c;
  c.strategy = SharingConfig::Strategy::mps;
  c.fail_requests_greater_than_one = true;
  c.resources = {{"nvidia.com/gpu", replicas, "", "all"}};
  return c;
}

ParsedConfig parse_one(const std::string& text) {
  auto configs = parse_sharing_configs(text, "cfg.yaml");
  EXPECT_EQ(configs.size(), 1u);
  return configs.at(0);
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// The message of the UsageError that parsing `text` throws ("" when it throws none).
std::string parse_error(const std::string& text) {
  try {
    parse_sharing_configs(text, "cfg.yaml");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

std::string config_with_resource(const std::string& resource_lines, const std::string& strategy = "timeSlicing") {
  return "version: v1\nsharing:\n  " + strategy + ":\n    resources:\n" + resource_lines;
}

TEST(ShareConfig, WritesTheSeedsConfigExactly) { EXPECT_EQ(render_config(seed_config()), kSeedConfig); }

TEST(ShareConfig, ExplainsTheSeedsConfigMoreTruthfullyThanTheSeed) {
  const auto p = parse_one(kSeedConfig);
  EXPECT_EQ(p.config, seed_config());
  EXPECT_TRUE(p.warnings.empty());
  const auto text = joined(explain(p.config));
  EXPECT_THAT(text, HasSubstr("Time-slicing (not MPS"));
  EXPECT_THAT(text, HasSubstr("nvidia.com/gpu: each physical GPU on a node that uses this config becomes 8 shares"));
  EXPECT_THAT(text, HasSubstr("Pods request nvidia.com/gpu.shared (renameByDefault: true)"));
  // The seed's "request 1, 2, or more shares" is true only in that such requests are accepted.
  EXPECT_THAT(text, HasSubstr("A request of 2 or more shares is accepted (failRequestsGreaterThanOne: false) but gives no more GPU time or memory than 1"));
  EXPECT_THAT(text, HasSubstr("VRAM is not divided: every share may allocate all of the GPU's memory"));
  EXPECT_THAT(text, HasSubstr("nvidia.com/gpu.replicas=8"));
}

TEST(ShareConfig, GeneratedConfigsReadBackToTheSameConfigAndMeaning) {
  SharingConfig no_rename = seed_config();
  no_rename.rename_by_default = false;
  no_rename.fail_requests_greater_than_one = true;
  SharingConfig mig = seed_config();
  mig.resources = {{"nvidia.com/gpu", 4, "", "all"}, {"nvidia.com/mig-1g.5gb", 2, "", "all"}};
  for (const auto& c : {seed_config(), no_rename, mig, mps_config(4)}) {
    const auto p = parse_one(render_config(c));
    EXPECT_EQ(p.config, c) << render_config(c);
    EXPECT_EQ(explain(p.config), explain(c));
    EXPECT_TRUE(p.warnings.empty()) << joined(p.warnings);
  }
}

TEST(ShareConfig, RenameByDefaultFalseKeepsTheNameAndMarksTheProduct) {
  SharingConfig c = seed_config();
  c.rename_by_default = false;
  const auto text = joined(explain(c));
  EXPECT_THAT(text, HasSubstr("Pods request nvidia.com/gpu as before (renameByDefault: false)"));
  EXPECT_THAT(text, HasSubstr("-SHARED appended"));
  c.fail_requests_greater_than_one = true;
  EXPECT_THAT(joined(explain(c)), HasSubstr("A container that requests more than 1 share fails admission"));
}

TEST(ShareConfig, MpsSplitsMemoryAndComputeAndRejectsLargerRequests) {
  EXPECT_EQ(render_config(mps_config(4)),
            "version: v1\nsharing:\n  mps:\n    renameByDefault: false\n    failRequestsGreaterThanOne: true\n"
            "    resources:\n      - name: nvidia.com/gpu\n        replicas: 4\n");
  const auto text = joined(explain(mps_config(4)));
  EXPECT_THAT(text, HasSubstr("capped at 1/4 of the GPU's memory"));
  EXPECT_THAT(text, HasSubstr("25% of its SMs"));
  EXPECT_THAT(text, HasSubstr("A container that requests more than 1 share fails admission (failRequestsGreaterThanOne: true)"));
  // Unset, MPS takes it as true; an explicit false is honoured only from v0.20.0.
  const auto unset = parse_one(config_with_resource("    - name: nvidia.com/gpu\n      replicas: 3\n", "mps"));
  EXPECT_FALSE(unset.config.fail_requests_greater_than_one.has_value());
  EXPECT_THAT(joined(explain(unset.config)), HasSubstr("not set, which MPS takes as true"));
  EXPECT_THAT(joined(explain(unset.config)), HasSubstr("33% of its SMs"));
  auto relaxed = mps_config(4);
  relaxed.fail_requests_greater_than_one = false;
  EXPECT_THAT(joined(explain(relaxed)), HasSubstr("v0.20.0"));
  EXPECT_THAT(joined(explain(mps_config(20))), HasSubstr("compute capability 7.5"));
}

TEST(ShareConfig, ConfigMapWithSeveralKeysReadsBackKeyByKey) {
  const auto cm = render_config_map("nvidia-device-plugin-config", "kube-system", {{"time-slicing-8", seed_config()}, {"mps-4", mps_config(4)}});
  EXPECT_EQ(cm.substr(0, cm.find("  time-slicing-8")),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: nvidia-device-plugin-config\n  namespace: kube-system\ndata:\n");
  EXPECT_THAT(cm, HasSubstr("  time-slicing-8: |\n    version: v1\n    sharing:\n      timeSlicing:\n"));
  // What the generator prints after the ConfigMap is comments: it still reads as the ConfigMap.
  const auto configs = parse_sharing_configs(cm + "# kubectl label node NODE nvidia.com/device-plugin.config=mps-4\n", "cm.yaml");
  ASSERT_EQ(configs.size(), 2u);
  EXPECT_EQ(configs[0].key, "time-slicing-8");
  EXPECT_EQ(configs[0].config, seed_config());
  EXPECT_EQ(configs[1].key, "mps-4");
  EXPECT_EQ(configs[1].config, mps_config(4));
}

TEST(ShareConfig, ConfigMapRejectsKeysNoLabelCanSelectAndBadNames) {
  EXPECT_THROW(render_config_map("cm", "kube-system", {{"time slicing", seed_config()}}), UsageError);
  EXPECT_THROW(render_config_map("cm", "kube-system", {{"a", seed_config()}, {"a", mps_config(2)}}), UsageError);
  EXPECT_THROW(render_config_map("CM", "kube-system", {{"a", seed_config()}}), UsageError);
  EXPECT_THROW(render_config_map("cm", "kube_system", {{"a", seed_config()}}), UsageError);
  EXPECT_THROW(render_config_map("cm", "kube-system", {}), UsageError);
  // Read: the key is explained, with a warning that no node label can select it.
  const auto p = parse_one("kind: ConfigMap\nmetadata: {name: x}\ndata:\n  _default: |\n" + std::string("    version: v1\n"));
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_THAT(p.warnings[0], HasSubstr("no node can select data key _default"));
}

TEST(ShareConfig, InvalidInputIsOneLineNamingTheFileAndLine) {
  EXPECT_THAT(parse_error(config_with_resource("    - name: nvidia.com/gpu\n      replicas: 1\n")),
              HasSubstr("cfg.yaml:6: nvidia.com/gpu with 1 replica shares nothing: give 2 or more"));
  EXPECT_THAT(parse_error(config_with_resource("    - name: nvidia.com/gpu\n      replicas: 0\n")), HasSubstr("0 replicas shares nothing"));
  EXPECT_THAT(parse_error(config_with_resource("    - name: nvidia.com/foo\n      replicas: 2\n")), HasSubstr("cfg.yaml:5: unknown resource nvidia.com/foo"));
  EXPECT_THAT(parse_error(config_with_resource("    - name: amd.com/gpu\n      replicas: 2\n")), HasSubstr("unknown resource amd.com/gpu"));
  EXPECT_THAT(parse_error(config_with_resource("    - name: nvidia.com/gpu.shared\n      replicas: 2\n")), HasSubstr("before renaming"));
  EXPECT_THAT(parse_error("version: v1\nsharing: [\n"), HasSubstr("cfg.yaml:3: not valid YAML"));
  EXPECT_THAT(parse_error(config_with_resource("    - name: nvidia.com/gpu\n      replica: 4\n")),
              HasSubstr("no replicas (replica is no key of the plugin's)"));
  EXPECT_THAT(parse_error(config_with_resource("    - name: nvidia.com/gpu\n      replicas: \"4\"\n")), HasSubstr("replicas is quoted"));
  EXPECT_THAT(parse_error(config_with_resource("    - name: nvidia.com/gpu\n      replicas: 2.5\n")), HasSubstr("must be a whole number"));
  EXPECT_THAT(parse_error(config_with_resource("    - replicas: 2\n")), HasSubstr("no name"));
  EXPECT_THAT(parse_error(config_with_resource("    []\n")), HasSubstr("no resources specified"));
  EXPECT_THAT(parse_error("version: v1\nsharing:\n  timeSlicing:\n    renameByDefault: true\n"), HasSubstr("no resources specified"));
  EXPECT_THAT(parse_error("version: v2\n"), HasSubstr("cfg.yaml:1: unknown version v2"));
  EXPECT_THAT(parse_error(config_with_resource("    - name: nvidia.com/gpu\n      replicas: 2\n    - name: gpu\n      replicas: 4\n")),
              HasSubstr("nvidia.com/gpu is listed twice"));
  EXPECT_THAT(parse_error(config_with_resource("    - name: nvidia.com/mig-1g.5gb\n      replicas: 2\n", "mps")), HasSubstr("MPS on the MIG resource"));
  EXPECT_THAT(parse_error(config_with_resource("    - name: nvidia.com/gpu\n      replicas: 49\n", "mps")), HasSubstr("at most 48 clients"));
  EXPECT_THAT(parse_error("flags:\n  migStrategy: mixed\n" + config_with_resource("    - name: nvidia.com/gpu\n      replicas: 2\n", "mps")),
              HasSubstr("MPS with migStrategy mixed"));
  EXPECT_THAT(parse_error("flags:\n  migStrategy: weird\n"), HasSubstr("cfg.yaml:2: unknown MIG strategy weird"));
  EXPECT_THAT(parse_error(config_with_resource("    - name: nvidia.com/gpu\n      replicas: 2\n      devices: some\n")), HasSubstr("devices some"));
  EXPECT_THAT(parse_error(config_with_resource("    - name: nvidia.com/gpu\n      replicas: 2\n      devices: [GPU-nope]\n")),
              HasSubstr("GPU-nope is no GPU index"));
  EXPECT_THAT(parse_error("kind: Deployment\n"), HasSubstr("a Deployment is neither"));
  EXPECT_THAT(parse_error("kind: ConfigMap\ndata: {}\n"), HasSubstr("has no data"));
  EXPECT_THAT(parse_error("kind: ConfigMap\ndata:\n  a: |\n    sharing: [\n"), HasSubstr("cfg.yaml[a]:2: not valid YAML"));
  EXPECT_THAT(parse_error(""), HasSubstr("cfg.yaml: empty"));
  // The generator's own checks.
  auto one = seed_config();
  one.resources[0].replicas = 1;
  EXPECT_THROW(render_config(one), UsageError);
  EXPECT_THROW(shared_resource_name("nvidia.com/foo"), UsageError);
  EXPECT_EQ(shared_resource_name("gpu"), "nvidia.com/gpu");
  EXPECT_EQ(shared_resource_name("mig-1g.10gb.me"), "nvidia.com/mig-1g.10gb.me");
}

TEST(ShareConfig, NamesWhatThePluginSilentlyIgnores) {
  const auto p = parse_one(
      "version: v1\n"
      "Sharing:\n"                         // 2: matched ignoring case: accepted
      "  timeSlicing:\n"
      "    renameByDefalt: true\n"         // 4: a typo: ignored
      "    resources:\n"
      "    - name: nvidia.com/gpu\n"
      "      replicas: 4\n"
      "      replica: 8\n"                 // 8: ignored next to replicas
      "      rename: my-gpu\n"             // 9: parsed, then reset
      "      devices: [0, \"1:0\"]\n"      // 10: parsed, then reset to all
      "flags:\n"
      "  plugin:\n"
      "    passDeviceSpec: true\n");       // 13
  EXPECT_EQ(p.config.strategy, SharingConfig::Strategy::time_slicing);
  EXPECT_FALSE(p.config.rename_by_default);  // the typo leaves the plugin's default
  EXPECT_EQ(p.config.resources[0].replicas, 4);
  EXPECT_EQ(p.config.resources[0].rename, "nvidia.com/my-gpu");
  EXPECT_EQ(p.config.resources[0].devices, "[0, \"1:0\"]");
  const auto w = joined(p.warnings);
  EXPECT_THAT(w, HasSubstr("cfg.yaml:2: Sharing at the top level is read as sharing"));
  EXPECT_THAT(w, HasSubstr("cfg.yaml:4: renameByDefalt in sharing.timeSlicing is no key of the plugin's: it is silently ignored (did you mean renameByDefault?)"));
  EXPECT_THAT(w, HasSubstr("cfg.yaml:8: replica in sharing.timeSlicing.resources[0] is no key of the plugin's"));
  EXPECT_THAT(w, HasSubstr("cfg.yaml:9: sharing.timeSlicing.resources[0].rename is ignored"));
  EXPECT_THAT(w, HasSubstr("cfg.yaml:10: sharing.timeSlicing.resources[0].devices is ignored"));
  EXPECT_THAT(w, HasSubstr("cfg.yaml:13: passDeviceSpec in flags.plugin is no key of the plugin's: it is silently ignored (did you mean passDeviceSpecs?)"));
  EXPECT_EQ(p.warnings.size(), 6u) << w;
}

TEST(ShareConfig, ContradictionsAreWarnings) {
  // Both strategies: the plugin uses mps.
  const auto both = parse_one("version: v1\nsharing:\n  timeSlicing:\n    resources:\n    - {name: nvidia.com/gpu, replicas: 8}\n"
                              "  mps:\n    resources:\n    - {name: nvidia.com/gpu, replicas: 2}\n");
  auto expected = mps_config(2);
  expected.fail_requests_greater_than_one.reset();
  EXPECT_EQ(both.config, expected);
  EXPECT_THAT(joined(both.warnings), HasSubstr("sharing.timeSlicing is ignored: with sharing.mps also set, the plugin uses mps"));
  // A MIG resource with a MIG strategy that exposes none.
  const auto mig = parse_one("flags:\n  migStrategy: single\n" + config_with_resource("    - name: nvidia.com/mig-1g.5gb\n      replicas: 2\n"));
  EXPECT_THAT(joined(mig.warnings), HasSubstr("nvidia.com/mig-1g.5gb exists only with migStrategy mixed"));
  EXPECT_THAT(joined(explain(mig.config, mig.flags)), HasSubstr("flags: migStrategy=single"));
  // Top-level resources are dropped by the plugin.
  EXPECT_THAT(joined(parse_one("version: v1\nresources:\n  gpus:\n  - {pattern: '*', name: gpu}\n").warnings), HasSubstr("resources (custom resource names) is ignored"));
}

TEST(ShareConfig, NoSharingSaysSo) {
  const auto p = parse_one("version: v1\nflags:\n  migStrategy: none\n");
  EXPECT_EQ(p.config.strategy, SharingConfig::Strategy::none);
  EXPECT_THAT(joined(explain(p.config, p.flags)), HasSubstr("No sharing"));
  EXPECT_EQ(render_config(p.config), "version: v1\n");
}

TEST(ShareConfig, ReadsAListOfConfigMaps) {
  const auto configs = parse_sharing_configs(
      "apiVersion: v1\nkind: List\nitems:\n- kind: ConfigMap\n  data:\n    a: |\n      version: v1\n- kind: ConfigMap\n  data:\n    b: |\n" +
          std::string("      version: v1\n"),
      "list.yaml");
  ASSERT_EQ(configs.size(), 2u);
  EXPECT_EQ(configs[1].key, "b");
}

}  // namespace
}  // namespace kb::share

// The sweep suite: parsing with file:line errors, matrix expansion (include, exclude, repeat,
// targets), and {{ param }} substitution.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/files.h"
#include "jobs/sweep_render.h"
#include "jobs/sweep_suite.h"
#include "support/test_support.h"

namespace kb::jobs {
namespace {

const char* kSuite = R"(schema: kubench/sweep/v1
name: quant
defaults: {retries: 2, timeout: 30m, priority: 5}
targets:
  a100:
    nodeSelector: {nvidia.com/gpu.product: A100}
    resources: {limits: {nvidia.com/gpu: 1}}
    tolerations: [{key: gpu, operator: Exists}]
  arc:
    nodeSelector: {gpu.intel.com/family: A-Series}
    resources: {limits: {gpu.intel.com/i915: 1}}
    context: lab
matrix:
  model: [resnet50, bert]
  bits: [4, 8]
workload:
  container:
    image: example/bench:1
    args: ["--model", "{{ model }}", "--bits={{bits}}", "--on", "{{ target }}"]
)";

// kSuite with the `length` characters at `at` replaced (0: `with` inserted before `at`).
std::string suite_with(const std::string& at, size_t length, const std::string& with) {
  std::string yaml = kSuite;
  yaml.replace(yaml.find(at), length, with);
  return yaml;
}

std::string error_of(const std::string& yaml) {
  try {
    parse_sweep_suite(yaml, "suite.yaml");
  } catch (const ParseError& e) {
    return e.what();
  }
  return "";
}

std::vector<std::string> ids(const std::vector<SweepVariant>& v) {
  std::vector<std::string> out;
  for (const auto& x : v) out.push_back(x.id);
  return out;
}

TEST(SweepSuite, ParsesTargetsDefaultsMatrixAndWorkload) {
  const auto s = parse_sweep_suite(kSuite, "suite.yaml");
  EXPECT_EQ(s.name, "quant");
  EXPECT_EQ(s.defaults.retries, 2);
  EXPECT_EQ(s.defaults.timeout_s, 1800);
  EXPECT_EQ(s.defaults.priority, 5);
  ASSERT_EQ(s.targets.size(), 2u);
  EXPECT_EQ(s.targets[0].name, "a100");
  EXPECT_EQ(s.targets[0].limits.at("nvidia.com/gpu"), "1");
  EXPECT_EQ(s.targets[0].tolerations[0]["operator"], "Exists");
  EXPECT_EQ(s.targets[1].context, "lab");
  ASSERT_EQ(s.matrix.size(), 2u);
  EXPECT_EQ(s.matrix[0].first, "model");
  EXPECT_EQ(s.workload_kind, "container");
  EXPECT_EQ(s.workload["image"], "example/bench:1");
}

TEST(SweepSuite, ExpandsEveryCombinationOnEveryTargetInOrder) {
  const auto v = expand_sweep(parse_sweep_suite(kSuite, "suite.yaml"));
  EXPECT_EQ(ids(v), (std::vector<std::string>{"bits=4,model=resnet50@a100", "bits=4,model=resnet50@arc", "bits=8,model=resnet50@a100",
                                              "bits=8,model=resnet50@arc", "bits=4,model=bert@a100", "bits=4,model=bert@arc",
                                              "bits=8,model=bert@a100", "bits=8,model=bert@arc"}));
}

TEST(SweepSuite, ExcludeRemovesIncludeExtendsOrAddsRepeatMultiplies) {
  const auto yaml = suite_with("workload:", 0,
                               "  target: [a100]\n"
                               "  exclude: [{model: bert, bits: 4}]\n"
                               "  include: [{model: resnet50, batch: 32}, {model: llama, bits: 4}]\n"
                               "repeat: 2\n");
  const auto v = expand_sweep(parse_sweep_suite(yaml, "suite.yaml"));
  // resnet50 × {4, 8} gain batch=32; bert × 8 stays; llama is a variant of its own, and names no
  // target, so it runs on each; all × 2 repeats.
  EXPECT_EQ(ids(v), (std::vector<std::string>{"batch=32,bits=4,model=resnet50@a100#0", "batch=32,bits=4,model=resnet50@a100#1",
                                              "batch=32,bits=8,model=resnet50@a100#0", "batch=32,bits=8,model=resnet50@a100#1",
                                              "bits=8,model=bert@a100#0", "bits=8,model=bert@a100#1",
                                              "bits=4,model=llama@a100#0", "bits=4,model=llama@a100#1",
                                              "bits=4,model=llama@arc#0", "bits=4,model=llama@arc#1"}));
}

TEST(SweepSuite, SubstitutesParametersTargetAndRepeat) {
  const auto v = expand_sweep(parse_sweep_suite(kSuite, "suite.yaml"));
  EXPECT_EQ(substitute_params("--model {{ model }} --bits={{bits}} on {{target}} #{{ repeat }}", v[1]),
            "--model resnet50 --bits=4 on arc #0");
  EXPECT_EQ(substitute_params("no braces", v[0]), "no braces");
  EXPECT_THROW(substitute_params("{{ modle }}", v[0]), ParseError);
  EXPECT_THROW(substitute_params("{{ model", v[0]), ParseError);
}

TEST(SweepSuite, ErrorsNameFileLineAndKey) {
  EXPECT_EQ(error_of(suite_with("matrix:", 7, "matrx:")),
            "suite.yaml:13: matrx: unknown key (known: defaults, groups, inputs, matrix, name, network, repeat, schema, targets, workload)");
  EXPECT_EQ(error_of(suite_with("workload:", 0, "  exclude: [{modle: bert}]\n")),
            "suite.yaml:16: matrix.exclude[0].modle: not a matrix parameter");
  EXPECT_EQ(error_of(suite_with("workload:", 0, "  target: [a100, h100]\n")),
            "suite.yaml:16: matrix.target: 'h100' is not one of the targets");
  EXPECT_EQ(error_of(suite_with("30m", 3, "soon")), "suite.yaml:3: defaults.timeout: 'soon' is not a duration (e.g. 90s, 30m, 2h)");
  EXPECT_NE(error_of("schema: kubench/sweep/v2\n").find("suite.yaml:1: schema: must be kubench/sweep/v1"), std::string::npos);
  EXPECT_NE(error_of("key: [unclosed\n").find("suite.yaml:"), std::string::npos);
  EXPECT_EQ(error_of(suite_with("workload:", std::string::npos, "workload: {gpu-burn: {}}\n")),
            "suite.yaml:16: workload.gpu-burn: unknown workload (bench, container or infer)");
  // A mapping where a single value belongs is a ParseError with its line, not yaml-cpp's exception.
  EXPECT_NE(error_of(suite_with("context: lab", 12, "context: {name: lab}")).find("suite.yaml:12:"), std::string::npos);
}

TEST(SweepSuite, GroupsSetPriorityRetriesTimeoutAndClassForTheVariantsTheyMatch) {
  const auto yaml = suite_with("targets:", 0,
                               "groups:\n"
                               "  - match: {model: bert}\n"
                               "    priority: 10\n"
                               "    priorityClassName: sweep-high\n"
                               "  - match: {model: bert, target: arc}\n"
                               "    retries: 0\n"
                               "    timeout: 90s\n");
  const auto s = parse_sweep_suite(yaml, "suite.yaml");
  const auto v = expand_sweep(s);
  const auto resnet = settings_for(s, v[0]), bert_a100 = settings_for(s, v[4]), bert_arc = settings_for(s, v[5]);
  EXPECT_EQ(resnet.priority, 5);
  EXPECT_EQ(resnet.retries, 2);
  EXPECT_EQ(resnet.priority_class, "");
  EXPECT_EQ(bert_a100.priority, 10);
  EXPECT_EQ(bert_a100.priority_class, "sweep-high");
  EXPECT_EQ(bert_a100.retries, 2);
  EXPECT_EQ(bert_arc.retries, 0);
  EXPECT_EQ(bert_arc.timeout_s, 90);
  EXPECT_EQ(bert_arc.priority, 10);  // the earlier group still applies
  EXPECT_EQ(error_of(suite_with("targets:", 0, "groups: [{match: {modle: bert}, priority: 1}]\n")),
            "suite.yaml:4: groups[0].match.modle: not a matrix parameter");
  EXPECT_EQ(error_of(suite_with("targets:", 0, "groups: [{match: {target: h100}, priority: 1}]\n")),
            "suite.yaml:4: groups[0].match.target: 'h100' is not one of the targets");
}

TEST(SweepSuite, InputsNetworkAndWorkloadSettingsAreChecked) {
  const auto s = parse_sweep_suite(suite_with("targets:", 0, "network: none\ninputs: {files: [config.json, /abs/model.bin]}\n"), "dir/suite.yaml");
  EXPECT_TRUE(s.network_none);
  ASSERT_EQ(s.inputs.files.size(), 2u);
  EXPECT_EQ(s.inputs.files[0], std::filesystem::path("dir/config.json"));  // beside the suite
  EXPECT_EQ(s.inputs.files[1], std::filesystem::path("/abs/model.bin"));
  EXPECT_EQ(s.inputs.mount_path, "/inputs");
  EXPECT_EQ(error_of(suite_with("targets:", 0, "network: off\n")), "suite.yaml:4: network: must be none (no traffic in or out) or cluster (the default)");
  EXPECT_EQ(error_of(suite_with("targets:", 0, "inputs: {files: [a], volume: pvc:x}\n")), "suite.yaml:4: inputs.volume: give files or a volume, not both");
  EXPECT_EQ(error_of(suite_with("    image:", 0, "    imagee: x\n")),
            "suite.yaml:18: workload.container.imagee: unknown key (known: args, command, env, image, imagePullPolicy, local, workingDir)");
  EXPECT_EQ(error_of(suite_with("    args:", 0, "    env: [A]\n")), "suite.yaml:19: workload.container.env: must be a mapping");
}

// docs/sweep.md's suites are real: each parses, expands, and renders a Job for every variant.
const char* kInferSuite = R"(schema: kubench/sweep/v1
name: int8
inputs: {files: [fp32.pt, int8.pt]}
targets: {cpu: {}}
matrix:
  model: [fp32, int8]
  threads: [1, 4]
workload:
  infer:
    image: kubench.local/kubench:dev
    model: "{{ inputs }}/{{ model }}.pt"
    input_shape: ["1,3,224,224", "1,10"]
    threads: "{{ threads }}"
    scenario: offline
    min_duration: 5
)";

TEST(SweepSuite, InferWorkloadBecomesKubenchInferFlags) {
  const auto suite = parse_sweep_suite(kInferSuite, "suite.yaml");
  const auto variants = expand_sweep(suite);
  ASSERT_EQ(variants.size(), 4u);
  EXPECT_EQ(infer_arguments(suite, variants[3], {{"inputs", "/in"}}),
            (std::vector<std::string>{"infer", "/in/int8.pt", "--input-shape", "1,3,224,224", "--input-shape", "1,10", "--scenario", "offline",
                                      "--min-duration", "5", "--threads", "4", "-o", "json"}));
  // One shape may be a plain string.
  std::string yaml = kInferSuite;
  const std::string shapes = "[\"1,3,224,224\", \"1,10\"]";
  yaml.replace(yaml.find(shapes), shapes.size(), "\"1,8\"");
  const auto one = parse_sweep_suite(yaml, "suite.yaml");
  EXPECT_EQ(infer_arguments(one, expand_sweep(one)[0], {{"inputs", "/in"}})[3], "1,8");

  yaml = kInferSuite;
  yaml.replace(yaml.find("    min_duration"), 0, "    iteration: 5\n");
  EXPECT_EQ(error_of(yaml).rfind("suite.yaml:15: workload.infer.iteration: unknown key (known: batch, device, dtype,", 0), 0u) << error_of(yaml);
  yaml = kInferSuite;
  yaml.replace(yaml.find("    model: \""), yaml.find("    input_shape") - yaml.find("    model: \""), "");
  EXPECT_NE(error_of(yaml).find("workload.infer.model: the TorchScript file to run is needed"), std::string::npos) << error_of(yaml);
}

TEST(SweepSuite, TheDocumentedExamplesWork) {
  const auto doc = read_file(test::fixtures_dir() / ".." / ".." / "docs" / "sweep.md");
  int suites = 0;
  for (size_t at = doc.find("```yaml\n"); at != std::string::npos; at = doc.find("```yaml\n", at + 1)) {
    const size_t start = at + 8, end = doc.find("```", start);
    const auto yaml = doc.substr(start, end - start);
    if (yaml.find("schema: kubench/sweep/v1") == std::string::npos) continue;
    ++suites;
    SCOPED_TRACE(yaml);
    const auto suite = parse_sweep_suite(yaml, "docs/sweep.md");
    const auto variants = expand_sweep(suite);
    EXPECT_FALSE(variants.empty());
    SweepPlacement where;
    where.sweep_id = where.run_id = "docs";
    where.namespace_name = "kubench-sweep-docs";
    for (size_t i = 0; i < variants.size(); ++i) EXPECT_NO_THROW(render_variant_job(suite, variants[i], i, 1, where));
  }
  EXPECT_EQ(suites, 5);
}

}  // namespace
}  // namespace kb::jobs

// TorchScript models made by the tests themselves with libtorch's C++ API (a module defined from
// TorchScript source, saved with torch.jit's format): no network and no Python needed.
#pragma once
#include <ATen/Context.h>
#include <torch/csrc/jit/frontend/resolver.h>
#include <torch/csrc/jit/frontend/sugared_value.h>
#include <torch/script.h>

#include <filesystem>
#include <string>

namespace kb::test {

// forward(x) = x W^T + b with W = [[1, 2, 3], [4, 5, 6]], b = [0.5, -0.5]: for x = ones(1, 3)
// the output is [6.5, 14.5], sum 21.
inline void save_linear_model(const std::filesystem::path& path) {
  torch::jit::Module m("Linear");
  m.register_parameter("weight", torch::tensor({1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f}).reshape({2, 3}), false);
  m.register_parameter("bias", torch::tensor({0.5f, -0.5f}), false);
  m.define("def forward(self, x):\n  return x.matmul(self.weight.t()) + self.bias\n");
  m.save(path.string());
}

// A small CNN on an image-shaped input (N x 3 x 32 x 32 → N x 10).
inline void save_cnn_model(const std::filesystem::path& path) {
  torch::manual_seed(1);
  torch::jit::Module m("SmallCnn");
  m.register_parameter("conv_w", torch::randn({8, 3, 3, 3}) * 0.1, false);
  m.register_parameter("conv_b", torch::zeros({8}), false);
  m.register_parameter("fc_w", torch::randn({10, 8 * 16 * 16}) * 0.01, false);
  m.register_parameter("fc_b", torch::zeros({10}), false);
  m.define(R"(
def forward(self, x):
  y = torch.relu(torch.conv2d(x, self.conv_w, self.conv_b, [1, 1], [1, 1]))
  y = torch.max_pool2d(y, [2, 2])
  return torch.flatten(y, 1).matmul(self.fc_w.t()) + self.fc_b
)");
  m.save(path.string());
}

// forward(x, y) = x W + y, W the 3 x 2 matrix of ones.
inline void save_two_input_model(const std::filesystem::path& path) {
  torch::jit::Module m("TwoInputs");
  m.register_parameter("w", torch::ones({3, 2}), false);
  m.define("def forward(self, x, y):\n  return x.matmul(self.w) + y\n");
  m.save(path.string());
}

// Raises for anything but 3 features, as a model checking its input would.
inline void save_raising_model(const std::filesystem::path& path) {
  torch::jit::Module m("Picky");
  m.define(R"(
def forward(self, x):
  assert x.size(1) == 3, "expected 3 features"
  return x * 2
)");
  m.save(path.string());
}

// The linear model carrying its example input (ones(1, 3)) as `example_inputs`.
inline void save_model_with_example(const std::filesystem::path& path) {
  torch::jit::Module m("WithExample");
  m.register_parameter("weight", torch::tensor({1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f}).reshape({2, 3}), false);
  auto example = c10::ivalue::Tuple::create({torch::ones({1, 3})});
  m.register_attribute("example_inputs", c10::TupleType::create({c10::TensorType::get()}), example);
  m.define("def forward(self, x):\n  return x.matmul(self.weight.t())\n");
  m.save(path.string());
}

// C++'s TorchScript compiler knows `torch.` only; the quantized ops are named `quantized.` here.
struct QuantizedOpsResolver : torch::jit::Resolver {
  std::shared_ptr<torch::jit::SugaredValue> resolveValue(const std::string& name, torch::jit::GraphFunction& f,
                                                         const torch::jit::SourceRange& where) override {
    if (name == "quantized") return std::make_shared<torch::jit::BuiltinModule>("quantized");
    return torch::jit::nativeResolver()->resolveValue(name, f, where);
  }
};

// A dynamically quantized linear layer (int8 weights packed for `engine`), as
// torch.ao.quantization.quantize_dynamic makes: its weights are not parameters().
inline void save_dynamic_quantized_model(const std::filesystem::path& path, c10::QEngine engine) {
  const auto before = at::globalContext().qEngine();
  at::globalContext().setQEngine(engine);
  torch::jit::Module m("DynamicQuantized");
  const auto ops = std::make_shared<QuantizedOpsResolver>();
  m.define("def pack(self, w: Tensor, b: Optional[Tensor]):\n  return quantized.linear_prepack(w, b)\n", ops);
  const auto weight = torch::quantize_per_tensor(torch::ones({4, 8}) * 0.5, 0.1, 0, torch::kQInt8);
  auto packed = m.run_method("pack", weight, torch::zeros({4}));
  m.register_attribute("packed", packed.type(), packed);
  m.define("def forward(self, x):\n  return quantized.linear_dynamic(x, self.packed)\n", ops);
  m.save(path.string());
  at::globalContext().setQEngine(before);
}

// A tensor file as torch.save writes it.
inline void save_tensors(const std::filesystem::path& path, const c10::IValue& value) {
  const auto bytes = torch::jit::pickle_save(value);
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace kb::test

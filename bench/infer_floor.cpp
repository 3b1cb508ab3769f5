// The floor for `kubench infer`: a bare loop of forward() on the same libtorch, timing each call
// with steady_clock, nothing else. bench/infer.sh runs it beside kubench and Python.
//   infer_floor MODEL INPUT_FILE ITERATIONS WARMUP THREADS  → one JSON line: latencies in ms
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <torch/script.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: infer_floor MODEL INPUT_FILE ITERATIONS WARMUP THREADS\n";
    return 2;
  }
  const int iterations = std::stoi(argv[3]), warmup = std::stoi(argv[4]), threads = std::stoi(argv[5]);
  at::set_num_threads(threads);
  auto module = torch::jit::load(argv[1]);
  module.eval();
  std::ifstream in(argv[2], std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<c10::IValue> inputs = {torch::jit::pickle_load(bytes).toTensor()};
  c10::InferenceMode guard;
  for (int i = 0; i < warmup + 1; ++i) module.forward(inputs);
  std::vector<double> ms;
  ms.reserve(static_cast<size_t>(iterations));
  for (int i = 0; i < iterations; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    module.forward(inputs);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::cout << "{\"latencies_ms\": [";
  for (size_t i = 0; i < ms.size(); ++i) std::cout << (i ? "," : "") << ms[i];
  std::cout << "]}\n";
}

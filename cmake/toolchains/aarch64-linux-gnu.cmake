# Cross build for 64-bit ARM (Jetson, Raspberry Pi 4/5, Ampere, Apple-silicon VMs) on an amd64
# Debian 12 machine: Debian's cross g++ and the :arm64 -dev packages of its multiarch layout
# (scripts/install-deps.sh --arm64 installs both). No sysroot: Debian's cross compiler already
# searches /usr/include/aarch64-linux-gnu and /usr/lib/aarch64-linux-gnu, where the :arm64 packages
# put their files; re-rooting would hide them. docs/development.md#arm64
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# pkg-config with the aarch64 personality: it sees only the arm64 .pc files.
set(PKG_CONFIG_EXECUTABLE /usr/bin/aarch64-linux-gnu-pkg-config CACHE FILEPATH "arm64 pkg-config")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)  # python3, sh, ffmpeg in tests: this machine's programs
# Debian's libyaml-cpp-dev cannot be installed for two architectures at once; install-deps.sh
# unpacks the arm64 one here instead (its CMake config is relocatable).
set(KUBENCH_ARM64_EXTRA /opt/kubench-cross/arm64 CACHE PATH "unpacked arm64 -dev packages that cannot be co-installed")
set(yaml-cpp_DIR ${KUBENCH_ARM64_EXTRA}/usr/lib/aarch64-linux-gnu/cmake/yaml-cpp CACHE PATH "arm64 yaml-cpp")
# The tests run under qemu-user: ctest prefixes each test command with it.
find_program(KUBENCH_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64)
if(KUBENCH_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${KUBENCH_QEMU_AARCH64})
endif()

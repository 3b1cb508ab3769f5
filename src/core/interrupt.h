// Ctrl-C and SIGTERM handling shared by every long-running loop.
//
// The handler only records the signal and makes a pipe readable, so any poll() loop can wake up
// at once; nothing is drained, so every waiting thread sees it.
#pragma once
#include <chrono>

namespace kb {

void install_interrupt_handlers();
bool interrupted();
// Read end of the self-pipe: readable once an interrupt arrived. -1 before installation.
int interrupt_fd();
// For tests: behave as if the user pressed Ctrl-C.
void raise_interrupt();
// For a command whose normal end is a signal (`kubench power`, stopped by the kubelet's SIGTERM):
// forget the interrupt once it has been handled, so the exit code is 0 rather than 130.
void clear_interrupt();
// Waits `d`, waking at once on Ctrl-C/SIGTERM: then throws Interrupted (core/error.h).
void sleep_unless_interrupted(std::chrono::milliseconds d);

}  // namespace kb

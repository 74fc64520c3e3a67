#include "castor/base/mapped_file.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <mutex>

namespace castor {
namespace {

// Live mappings, read by the SIGBUS handler: only lock-free atomics (async-signal-safe).
struct Slot {
  std::atomic<int> state{0};  // 0 free, 1 being set up or torn down, 2 live
  std::atomic<uintptr_t> lo{0}, hi{0};
  std::atomic<bool> shrank{false};
};
constexpr int kSlots = 256;
Slot g_slots[kSlots];
std::atomic<uintptr_t> g_page{4096};
struct sigaction g_previous;

void OnSigbus(int sig, siginfo_t* info, void* context) {
  const uintptr_t addr = reinterpret_cast<uintptr_t>(info->si_addr);
  for (Slot& s : g_slots) {
    if (s.state.load(std::memory_order_acquire) != 2) continue;
    if (addr < s.lo.load(std::memory_order_relaxed) || addr >= s.hi.load(std::memory_order_relaxed))
      continue;
    // A page of the file that no longer exists: read zeros from here on, and say so.
    const uintptr_t page = g_page.load(std::memory_order_relaxed);
    void* at = reinterpret_cast<void*>(addr & ~(page - 1));
    if (::mmap(at, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED) {
      s.shrank.store(true, std::memory_order_relaxed);
      return;  // the load is retried and now reads the zero page
    }
    break;
  }
  // Not ours (or no zero page): what would have happened without this handler.
  if (g_previous.sa_flags & SA_SIGINFO) {
    if (g_previous.sa_sigaction) return g_previous.sa_sigaction(sig, info, context);
  } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    return g_previous.sa_handler(sig);
  }
  ::signal(SIGBUS, SIG_DFL);
  ::raise(SIGBUS);  // delivered once this handler returns: the default action, as without it
}

void InstallHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_page.store(uintptr_t(::sysconf(_SC_PAGESIZE)), std::memory_order_relaxed);
    struct sigaction sa = {};
    sa.sa_sigaction = OnSigbus;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGBUS, &sa, &g_previous);
  });
}

}  // namespace

Result<std::unique_ptr<MappedFile>> MappedFile::Map(int fd, uint64_t size) {
  if (size == 0) return InvalidArgument("cannot map an empty file");
  InstallHandler();
  int slot = -1;
  for (int i = 0; i < kSlots && slot < 0; ++i) {
    int expected = 0;
    if (g_slots[i].state.compare_exchange_strong(expected, 1)) slot = i;
  }
  if (slot < 0) return ResourceExhausted("too many files mapped at once");
  void* p = ::mmap(nullptr, size_t(size), PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    int err = errno;
    g_slots[slot].state.store(0);
    return ErrnoError("mmap", err);
  }
  ::madvise(p, size_t(size), MADV_SEQUENTIAL);
  Slot& s = g_slots[slot];
  s.lo.store(reinterpret_cast<uintptr_t>(p), std::memory_order_relaxed);
  s.hi.store(reinterpret_cast<uintptr_t>(p) + size, std::memory_order_relaxed);
  s.shrank.store(false, std::memory_order_relaxed);
  s.state.store(2, std::memory_order_release);
  return std::unique_ptr<MappedFile>(new MappedFile(static_cast<uint8_t*>(p), size, slot));
}

MappedFile::~MappedFile() {
  g_slots[slot_].state.store(1, std::memory_order_release);
  ::munmap(base_, size_t(size_));
  g_slots[slot_].state.store(0, std::memory_order_release);
}

bool MappedFile::shrank() const { return g_slots[slot_].shrank.load(std::memory_order_relaxed); }

void MappedFile::ReleaseBefore(uint64_t end) {
  const uint64_t page = g_page.load(std::memory_order_relaxed);
  const uint64_t begin = released_ / page * page;
  released_ = std::max(released_, std::min(end, size_));
  end = std::min(end, size_) / page * page;
  if (begin < end) ::madvise(base_ + begin, size_t(end - begin), MADV_DONTNEED);
}

void MappedFile::Prefetch(uint64_t begin, uint64_t end) {
  const uint64_t page = g_page.load(std::memory_order_relaxed);
  begin = begin / page * page;
  end = std::min(end, size_);
  if (begin < end) ::madvise(base_ + begin, size_t(end - begin), MADV_WILLNEED);
}

}  // namespace castor

#include "common/memory.hpp"

#include <cstdlib>  // defines __GLIBC__ where it is glibc

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace maiev {

void TuneAllocator() {
#if defined(__GLIBC__)
  constexpr int kArenas = 2;
  constexpr int kMmapThreshold = 64 * 1024;
  mallopt(M_ARENA_MAX, kArenas);
  mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
#endif
}

}  // namespace maiev

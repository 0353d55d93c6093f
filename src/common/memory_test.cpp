#include "common/memory.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace maiev {
namespace {

#if defined(__GLIBC__)
// How many heaps (arenas) glibc's malloc has, from malloc_info's report.
int Arenas() {
  char* text = nullptr;
  std::size_t size = 0;
  FILE* out = open_memstream(&text, &size);
  malloc_info(0, out);
  std::fclose(out);
  const std::string report(text, size);
  std::free(text);
  int heaps = 0;
  for (auto at = report.find("<heap nr="); at != std::string::npos;
       at = report.find("<heap nr=", at + 1)) {
    ++heaps;
  }
  return heaps;
}
#endif

// Threads that allocate at once would get an arena each, up to eight per core.
TEST(TuneAllocator, ThreadsShareAtMostTwoArenas) {
#if defined(__GLIBC__)
  TuneAllocator();
  constexpr int kThreads = 8;
  std::latch allocated(kThreads);  // every thread holds its blocks until all have allocated
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&allocated] {
      std::vector<std::vector<char>> blocks;
      for (int i = 0; i < 100; ++i) blocks.emplace_back(1000);
      allocated.arrive_and_wait();
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_LE(Arenas(), 2);
#else
  GTEST_SKIP() << "glibc only";
#endif
}

}  // namespace
}  // namespace maiev

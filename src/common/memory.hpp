// How the C allocator keeps freed memory.
#pragma once

namespace maiev {

// Makes glibc's malloc keep less freed memory resident (elsewhere: nothing), for a daemon whose
// cycles allocate and free the same large transients over a long-lived table: at most two
// arenas (by default eight per core, each keeping its own free memory), and blocks of 64 KiB
// or more mapped and unmapped on their own (by default the threshold rises to the largest block
// freed, so large transients end up in the heaps and their space stays there). At 10,000
// services this is 102 → 86 MiB of RSS for the same CPU (docs/RELIABILITY.md, "Load"). Call
// once, before the threads start.
void TuneAllocator();

}  // namespace maiev

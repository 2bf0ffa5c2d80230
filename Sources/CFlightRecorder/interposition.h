// Interposing a runtime entry point: this library defines a function the concurrency runtime
// exports (actor_hops.c, task_origins.c), and calls on to the runtime's own definition.
//
// Invariants:
// - The runtime's definition is the next one after this library's in the dynamic linker's
//   search order (`dlsym(RTLD_NEXT)`), looked up by a constructor before any task exists, and
//   again by the first call if that call came first.
// - When this library's definition is called at all, the runtime's exists (the program links
//   it): not finding it is a broken process, reported once on stderr before aborting.
// Private to the C target (not under include/: nothing here is for Swift).
#ifndef FR_INTERPOSITION_H
#define FR_INTERPOSITION_H

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

/// The definition of `symbol` after `ours`, or NULL when there is none (or it is ours).
static inline void *fr_next_definition(const char *symbol, const void *ours) {
    void *next = dlsym(RTLD_NEXT, symbol);
    return next != ours ? next : NULL;
}

__attribute__((noreturn, cold, noinline)) static void fr_no_next_definition(const char *symbol) {
    fprintf(stderr, "tracexport: %s has no definition after this library's\n", symbol);
    abort();
}

#endif

// The runtime's current-task variable, found once per thread so annotations read it directly
// (see fr_task_slot_refresh in CFlightRecorder.h).
//
// Invariants:
// - `slot_offset` moves from UNKNOWN to an offset once, and to OFF at most once, never back
//   (except through the testing setter).
// - A thread's `task_slot` is set only after `*slot == swift_task_getCurrent()` held on that
//   thread, and is re-checked at each of its chunks; a failed check sets OFF for all threads.
// - Everything here runs on the recorder's slow path, never per event (the id cache's miss
//   runs when the thread's current task changed, at most once per job).
// - A thread's id cache holds a task only with the id the runtime gave for it, and only when
//   the task's job-id word equalled that id's low half; every chunk empties it.
#define _GNU_SOURCE
#include "CFlightRecorder.h"

#include <string.h>
#if defined(__linux__) && defined(__GLIBC__)
#include <dlfcn.h>
#include <link.h>
#define FR_TASK_SLOT_SUPPORTED 1
#endif

#define SLOT_UNKNOWN ((intptr_t)-1)
#define SLOT_OFF ((intptr_t)-2)

static intptr_t slot_offset = SLOT_UNKNOWN;

intptr_t fr_task_slot_offset(void) { return __atomic_load_n(&slot_offset, __ATOMIC_ACQUIRE); }

void fr_task_slot_set_offset_for_testing(intptr_t offset) {
    __atomic_store_n(&slot_offset, offset, __ATOMIC_RELEASE);
}

#if FR_TASK_SLOT_SUPPORTED
static void turn_off(fr_thread_state *s) {
    __atomic_store_n(&slot_offset, SLOT_OFF, __ATOMIC_RELEASE);
    s->task_slot = NULL;
}

struct tls_search {
    uintptr_t address;  // an address inside the wanted module
    int found;          // out: the module was found
    void *block;        // out: the calling thread's TLS block of that module
    size_t size;        // out: its size (0: the module has no thread-local variables)
};

static int find_tls_block(struct dl_phdr_info *info, size_t size, void *context) {
    (void)size;
    struct tls_search *search = context;
    int contains = 0;
    size_t tls_size = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && search->address >= start && search->address < start + ph->p_memsz) contains = 1;
        if (ph->p_type == PT_TLS) tls_size = ph->p_memsz;
    }
    if (!contains) return 0;
    search->found = 1;
    search->block = info->dlpi_tls_data;  // NULL when not allocated for this thread (yet)
    search->size = tls_size;
    return 1;
}

/// The calling thread's TLS block of the module that defines swift_task_getCurrent, in
/// `search`: not found, or without thread-local variables, is final; a block not allocated
/// for this thread yet (NULL with a size) is worth asking again later.
static struct tls_search runtime_tls_block(void) {
    // dlsym finds the definition, where the address of the function could be a PLT stub in
    // the caller's module; a statically linked runtime may not be exported, and then the
    // address is the definition.
    void *definition = dlsym(RTLD_DEFAULT, "swift_task_getCurrent");
    if (definition == NULL) definition = (void *)&swift_task_getCurrent;
    struct tls_search search = {(uintptr_t)definition, 0, NULL, 0};
    dl_iterate_phdr(find_tls_block, &search);
    return search;
}
#endif

uint64_t fr_state_task_id_miss(fr_thread_state *s, void *task) {
    uint64_t id = swift_task_getJobTaskId(task);
    uint32_t word = fr_job_id_word(task);
    if (word == (uint32_t)id) {
        s->cached_task = task;
        s->cached_task_id = id;
    }
    return id;
}

#if FR_TASK_SLOT_SUPPORTED
/// Learns the variable's offset in `block` (the runtime's TLS block of a thread running the
/// task `current`): the one word equal to `current`. Returns the offset all threads now use,
/// or SLOT_OFF.
static intptr_t learn(const unsigned char *block, size_t size, void *current) {
    intptr_t found = SLOT_UNKNOWN;
    int matches = 0;
    for (size_t at = 0; at + sizeof(void *) <= size; at += sizeof(void *)) {
        void *word;
        memcpy(&word, block + at, sizeof word);
        if (word == current) {
            found = (intptr_t)at;
            matches += 1;
        }
    }
    if (matches != 1) {
        __atomic_store_n(&slot_offset, SLOT_OFF, __ATOMIC_RELEASE);
        return SLOT_OFF;
    }
    intptr_t expected = SLOT_UNKNOWN;
    if (!__atomic_compare_exchange_n(&slot_offset, &expected, found, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) &&
        expected != found) {
        // Another thread learned a different place, or turned the direct read off.
        __atomic_store_n(&slot_offset, SLOT_OFF, __ATOMIC_RELEASE);
        return SLOT_OFF;
    }
    return found;
}
#endif

void fr_task_slot_learn(void) {
#if FR_TASK_SLOT_SUPPORTED
    if (fr_task_slot_offset() != SLOT_UNKNOWN) return;
    void *current = swift_task_getCurrent();
    if (current == NULL) return;
    struct tls_search search = runtime_tls_block();
    if (!search.found || search.size == 0) {
        __atomic_store_n(&slot_offset, SLOT_OFF, __ATOMIC_RELEASE);
        return;
    }
    if (search.block == NULL) return;  // not allocated for this thread: a later task may learn
    (void)learn(search.block, search.size, current);
#endif
}

void fr_task_slot_refresh(fr_thread_state *s) {
    s->cached_task = NULL;
#if FR_TASK_SLOT_SUPPORTED
    intptr_t offset = fr_task_slot_offset();
    if (offset == SLOT_OFF) {
        s->task_slot = NULL;
        return;
    }
    void *current = swift_task_getCurrent();
    if (s->task_slot != NULL) {
        if (*s->task_slot != current) turn_off(s);
        return;
    }
    if (offset == SLOT_UNKNOWN && current == NULL) return;  // learn inside a task only
    struct tls_search search = runtime_tls_block();
    if (!search.found || search.size == 0) {
        turn_off(s);
        return;
    }
    unsigned char *block = search.block;
    size_t size = search.size;
    if (block == NULL) return;  // not allocated for this thread yet: try at the next chunk
    if (offset == SLOT_UNKNOWN) {
        offset = learn(block, size, current);
        if (offset == SLOT_OFF) {
            s->task_slot = NULL;
            return;
        }
    }
    if ((size_t)offset + sizeof(void *) > size) {  // a negative offset wraps past `size` too
        turn_off(s);
        return;
    }
    void *const *slot = (void *const *)(block + offset);
    if (*slot != current) {
        turn_off(s);
        return;
    }
    s->task_slot = slot;
#else
    (void)s;
#endif
}

// C helpers of the flight recorder (see CFlightRecorder.h for the invariants).
#define _GNU_SOURCE
#include "CFlightRecorder.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif
#if defined(__x86_64__)
#include <cpuid.h>
#endif
#include <dlfcn.h>

FR_THREAD_LOCAL fr_thread_state *fr_tls_state = NULL;
uint64_t fr_switches = 0;
const void *fr_logical_task_key = NULL;
uint32_t fr_thread_cpu_time_flag = 0;
static uint64_t fr_next_logical_task = (1ull << 62) + 1;

fr_chunk *fr_chunk_alloc(uint64_t capacity) {
    void *p = NULL;
    if (posix_memalign(&p, 64, sizeof(fr_chunk) + (size_t)capacity) != 0) return NULL;
    fr_chunk *c = (fr_chunk *)p;
    memset(c, 0, sizeof(fr_chunk));
    c->capacity = capacity;
    return c;
}

void fr_chunk_free(fr_chunk *chunk) { free(chunk); }

fr_thread_state *fr_thread_state_alloc(void) {
    void *p = NULL;
    if (posix_memalign(&p, 64, sizeof(fr_thread_state)) != 0) return NULL;
    memset(p, 0, sizeof(fr_thread_state));
    return (fr_thread_state *)p;
}

void fr_thread_state_free(fr_thread_state *state) { free(state); }

// The pthread key exists only for its destructor: C11 thread-locals have none.
static pthread_key_t fr_exit_key;
static pthread_once_t fr_exit_key_once = PTHREAD_ONCE_INIT;
static void (*fr_exit_hook)(fr_thread_state *) = NULL;

static void fr_on_thread_exit(void *value) {
    fr_thread_state *state = (fr_thread_state *)value;
    void (*hook)(fr_thread_state *) = __atomic_load_n(&fr_exit_hook, __ATOMIC_ACQUIRE);
    if (state != NULL && hook != NULL) hook(state);
}

static void fr_make_exit_key(void) { pthread_key_create(&fr_exit_key, fr_on_thread_exit); }

void fr_thread_exit_hook_install(void (*hook)(fr_thread_state *)) {
    __atomic_store_n(&fr_exit_hook, hook, __ATOMIC_RELEASE);
}

void fr_thread_attach(fr_thread_state *state) {
    pthread_once(&fr_exit_key_once, fr_make_exit_key);
    fr_tls_state = state;
    pthread_setspecific(fr_exit_key, state);
}

uint64_t fr_reserve_logical_task_ids(uint64_t count) {
    return __atomic_fetch_add(&fr_next_logical_task, count, __ATOMIC_RELAXED);
}

uint32_t fr_clock_init(void) {
#if defined(__x86_64__)
    unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
    // CPUID 0x80000007 EDX bit 8: invariant TSC (constant rate, runs in every C/P-state), so
    // ticks from different cores are comparable.
    if (__get_cpuid(0x80000000u, &eax, &ebx, &ecx, &edx) && eax >= 0x80000007u) {
        __get_cpuid(0x80000007u, &eax, &ebx, &ecx, &edx);
        if (edx & (1u << 8)) {
            fr_switch(FR_SWITCH_TSC, true);
            return 1;
        }
    }
#endif
    fr_switch(FR_SWITCH_TSC, false);
    return 0;
}

int64_t fr_wall_clock_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000ll + (int64_t)ts.tv_nsec;
}

uint64_t fr_thread_cpu_ns(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t fr_thread_id(void) {
#if defined(__linux__)
    return (uint64_t)syscall(SYS_gettid);
#elif defined(__APPLE__)
    uint64_t tid = 0;
    pthread_threadid_np(NULL, &tid);
    return tid;
#else
    return (uint64_t)(uintptr_t)pthread_self();
#endif
}

size_t fr_thread_name(char *buffer, size_t capacity) {
    if (capacity == 0) return 0;
    buffer[0] = 0;
#if defined(__linux__) || defined(__APPLE__)
    if (pthread_getname_np(pthread_self(), buffer, capacity) != 0) {
        buffer[0] = 0;
        return 0;
    }
#endif
    buffer[capacity - 1] = 0;
    return strlen(buffer);
}

void fr_set_thread_name(const char *name) {
    char buffer[16];
    strncpy(buffer, name, sizeof buffer - 1);
    buffer[sizeof buffer - 1] = 0;
#if defined(__linux__)
    pthread_setname_np(pthread_self(), buffer);
#elif defined(__APPLE__)
    pthread_setname_np(buffer);
#endif
}

void fr_thread_stack_bounds(fr_thread_state *state) {
    state->stack_low = 0;
    state->stack_high = 0;
#if defined(__linux__)
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
    void *address = NULL;
    size_t size = 0;
    if (pthread_attr_getstack(&attr, &address, &size) == 0) {
        state->stack_low = (uintptr_t)address;
        state->stack_high = (uintptr_t)address + size;
    }
    pthread_attr_destroy(&attr);
#elif defined(__APPLE__)
    state->stack_high = (uintptr_t)pthread_get_stackaddr_np(pthread_self());
    state->stack_low = state->stack_high - pthread_get_stacksize_np(pthread_self());
#endif
}

__attribute__((noinline))
size_t fr_capture_stack(const fr_thread_state *state, uintptr_t *pcs, size_t capacity) {
    uintptr_t low = state->stack_low, high = state->stack_high;
    if (low == 0 || high <= low) return 0;
    uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
    size_t n = 0;
    bool skipped = false;  // the first return address is in the recorder's capture function
    // Each frame: [fp] = caller's frame pointer, [fp + 8] = return address (x86-64 and arm64).
    while (n < capacity && fp >= low && fp + 2 * sizeof(uintptr_t) <= high && (fp & (sizeof(uintptr_t) - 1)) == 0) {
        uintptr_t *frame = (uintptr_t *)fp;
        uintptr_t ret = frame[1];
        if (ret == 0) break;
        if (skipped) pcs[n++] = ret; else skipped = true;
        uintptr_t next = frame[0];
        if (next <= fp) break;
        fp = next;
    }
    return n;
}

#if defined(__linux__)
#include <link.h>

/// The main program's load address (its ELF header) and its file's absolute path: dladdr names
/// the main program by argv[0], which may be relative to a directory the process has left.
static const void *fr_main_base = NULL;
static char fr_main_path[4096];
static pthread_once_t fr_main_once = PTHREAD_ONCE_INIT;

static int fr_first_image(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    (void)data;
    // The first object dl_iterate_phdr reports is the main program; its lowest PT_LOAD maps
    // the ELF header.
    uintptr_t lowest = UINTPTR_MAX;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        if (info->dlpi_phdr[i].p_type == PT_LOAD && info->dlpi_phdr[i].p_vaddr < lowest) {
            lowest = info->dlpi_phdr[i].p_vaddr & ~(uintptr_t)0xFFF;
        }
    }
    if (lowest != UINTPTR_MAX) fr_main_base = (const void *)(info->dlpi_addr + lowest);
    return 1;
}

static void fr_find_main_image(void) {
    ssize_t n = readlink("/proc/self/exe", fr_main_path, sizeof fr_main_path - 1);
    if (n <= 0) return;
    fr_main_path[n] = 0;
    dl_iterate_phdr(fr_first_image, NULL);
}
#endif

bool fr_symbol_info(uintptr_t pc, const char **symbol, const char **image, uintptr_t *image_offset) {
    Dl_info info;
    *symbol = NULL;
    *image = NULL;
    *image_offset = 0;
    if (dladdr((const void *)pc, &info) == 0) return false;
    *symbol = info.dli_sname;
    *image = info.dli_fname;
    *image_offset = pc - (uintptr_t)info.dli_fbase;
#if defined(__linux__)
    pthread_once(&fr_main_once, fr_find_main_image);
    if (fr_main_base != NULL && info.dli_fbase == fr_main_base) *image = fr_main_path;
#endif
    return true;
}

extern char *swift_demangle(const char *mangledName, size_t mangledNameLength, char *outputBuffer,
                            size_t *outputBufferSize, uint32_t flags);

typedef char *(*fr_cxa_demangle_function)(const char *, char *, size_t *, int *);

char *fr_demangle(const char *name) {
    if (name[0] == '_' && name[1] == 'Z') {
        // The C++ runtime's demangler, found at run time: the Swift runtime loads the C++
        // library, but this library does not link it.
        static fr_cxa_demangle_function cxa = NULL;
        static int looked = 0;
        if (!__atomic_load_n(&looked, __ATOMIC_ACQUIRE)) {
            __atomic_store_n(&cxa, (fr_cxa_demangle_function)dlsym(RTLD_DEFAULT, "__cxa_demangle"), __ATOMIC_RELAXED);
            __atomic_store_n(&looked, 1, __ATOMIC_RELEASE);
        }
        fr_cxa_demangle_function demangle = __atomic_load_n(&cxa, __ATOMIC_RELAXED);
        int status = 0;
        return demangle != NULL ? demangle(name, NULL, NULL, &status) : NULL;
    }
    return swift_demangle(name, strlen(name), NULL, NULL, 0);
}

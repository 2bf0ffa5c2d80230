// Test support: enqueue hooks of someone else's (SwiftNIO's event-loop takeover, a tracing
// library), installed on the Swift runtime's global-executor hooks, to check how
// GlobalExecutorTakeover installs beside them and gives them back.
//
// Each foreign hook counts its calls and passes the job on to what the runtime hands it
// (`original`), so jobs keep running while it is in place.
#ifndef FOREIGN_HOOKS_H
#define FOREIGN_HOOKS_H

#include <stdbool.h>

/// Installs the foreign global enqueue hook (an executor's takeover).
void foreign_hooks_install_global(void);
/// Installs the foreign delay and deadline hooks (over whatever is in place).
void foreign_hooks_install_timers(void);
/// Removes whichever foreign hooks are still in place (each back to none).
void foreign_hooks_remove(void);

/// Whether each foreign hook is the one the runtime calls now.
bool foreign_hooks_global_in_place(void);
bool foreign_hooks_delay_in_place(void);
bool foreign_hooks_deadline_in_place(void);
/// Whether the hooks in place are none (the runtime's own executor).
bool foreign_hooks_none_in_place(void);

/// Calls of each foreign hook so far.
long foreign_hooks_global_calls(void);
long foreign_hooks_delay_calls(void);
long foreign_hooks_deadline_calls(void);

/// Calls the delay hook in place, then the deadline hook in place, as the runtime does when a
/// job is enqueued after a delay, with a job that is no task and an `original` that only
/// counts (the job is never run). Returns how many times `original` was reached (2 when each
/// chain ends in the runtime).
long foreign_hooks_call_timer_hooks(void);

#endif

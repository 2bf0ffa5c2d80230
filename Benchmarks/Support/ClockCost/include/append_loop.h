// The recorder's append in C (append-loop.c), callable from Swift: the floor the annotations
// are measured against, in the same process and the same minutes.
#ifndef APPEND_LOOP_H
#define APPEND_LOOP_H

/// Allocates and touches the 16 MiB ring; 0 on success, -1 without memory or off x86_64.
int append_loop_setup(void);

/// Appends `count` region begin+end pairs (two records each) on the calling thread.
void append_loop_pairs(long count);

/// Appends `count` log records with a 14-byte message on the calling thread.
void append_loop_logs(long count);

#endif

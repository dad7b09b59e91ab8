#pragma once
#include <sys/types.h>
#include <stddef.h>

/* Small POSIX/Linux calls Swift cannot make directly (variadic prctl, ucred needs _GNU_SOURCE). */

/* RLIMIT_CORE 0 and PR_SET_DUMPABLE 0: no core file, /proc/PID/mem not readable by same-uid peers. */
int sg_harden_process(void);
/* Restore the soft core limit that was in force before sg_harden_process (before sg-exec's execve). */
int sg_restore_core_limit(void);
int sg_memfd_create(const char *name, unsigned int flags);
int sg_memfd_seal_all(int fd);
/* SO_PEERCRED of a connected unix socket. */
int sg_peer_credentials(int fd, uid_t *uid, pid_t *pid);
int sg_set_pdeathsig(int sig);
/* Is the file descriptor a terminal we may prompt on? */
int sg_isatty(int fd);
int sg_pipe_cloexec(int fds[2]);

/* ---- starting programs: the one spawner (ProcessSpawn is its Swift face) ------------------- */
#include <signal.h>
/* What a child's stream is: the caller's own, /dev/null, or (any value >= 0) that descriptor. */
enum { SG_STREAM_INHERIT = -1, SG_STREAM_NULL = -2 };
struct sg_spawn_options {
    int streams[3];              /* stdin, stdout, stderr: SG_STREAM_INHERIT, SG_STREAM_NULL or a descriptor */
    int new_process_group;       /* 1: the child leads a process group of its own */
    const sigset_t *signal_mask; /* the child's signal mask; NULL: the calling thread's */
    int parent_death_signal;     /* PR_SET_PDEATHSIG (0: none); sent when the calling thread ends */
    int restore_core_limit;      /* 1: the soft core limit from before sg_harden_process */
};
/* fork + execve of `path` (already looked up: no PATH search here) for a multi-threaded parent:
   only async-signal-safe calls in the child, signal handlers reset to default there, signals
   blocked in the parent around the fork. Returns once the child has exec'd: its pid; or -1 with
   errno from fork, or from the child's setup or execve (reported over a CLOEXEC pipe). */
pid_t sg_spawn(const char *path, char *const argv[], char *const envp[], const struct sg_spawn_options *options);
/* A CLOEXEC, non-blocking signalfd for `mask`. */
int sg_signalfd(const sigset_t *mask);
/* Reads one signal from a signalfd: its number, si_code and sending pid. 1 = read, 0 = none, -1 = error. */
int sg_signalfd_read(int fd, int *signo, int *code, pid_t *pid);
/* si_code of signals the kernel raised itself (a terminal's ^C, hang-up, SIGWINCH). */
int sg_si_kernel(void);
/* 1 when `path` is on tmpfs or ramfs (memory, never written to disk), 0 when not, -1 on error. */
int sg_path_is_memory_backed(const char *path);

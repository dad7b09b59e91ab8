#pragma once
#include <sys/types.h>
#include <stddef.h>

/* Small POSIX/Linux calls Swift cannot make directly (variadic prctl, ucred needs _GNU_SOURCE). */

/* RLIMIT_CORE 0 and PR_SET_DUMPABLE 0: no core file, /proc/PID/mem not readable by same-uid peers. */
int sg_harden_process(void);
/* Restore the soft core limit that was in force before sg_harden_process (for children). */
int sg_restore_core_limit(void);
int sg_memfd_create(const char *name, unsigned int flags);
int sg_memfd_seal_all(int fd);
/* SO_PEERCRED of a connected unix socket. */
int sg_peer_credentials(int fd, uid_t *uid, pid_t *pid);
int sg_set_pdeathsig(int sig);
/* Is the file descriptor a terminal we may prompt on? */
int sg_isatty(int fd);
int sg_pipe_cloexec(int fds[2]);

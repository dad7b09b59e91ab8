#define _GNU_SOURCE
#include "sgsys.h"
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <unistd.h>
#include <errno.h>

static struct rlimit saved_core;
static int saved_core_valid = 0;

int sg_harden_process(void) {
    struct rlimit zero = {0, 0};
    int rc = 0;
    if (getrlimit(RLIMIT_CORE, &saved_core) == 0) saved_core_valid = 1;
    /* Keep the hard limit so a child can get its old soft limit back. */
    zero.rlim_max = saved_core_valid ? saved_core.rlim_max : 0;
    if (setrlimit(RLIMIT_CORE, &zero) != 0) rc = -1;
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) rc = -1;
    return rc;
}

int sg_restore_core_limit(void) {
    if (!saved_core_valid) return 0;
    return setrlimit(RLIMIT_CORE, &saved_core);
}

int sg_memfd_create(const char *name, unsigned int flags) { return memfd_create(name, flags); }

int sg_memfd_seal_all(int fd) {
    return fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
}

int sg_peer_credentials(int fd, uid_t *uid, pid_t *pid) {
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return -1;
    if (uid) *uid = cred.uid;
    if (pid) *pid = cred.pid;
    return 0;
}

int sg_isatty(int fd) { return isatty(fd); }
int sg_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

/* ---- the one spawner ----------------------------------------------------------------------- */
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <pthread.h>
#include <string.h>

/* The child between fork and execve: async-signal-safe calls only (the parent has threads).
   A failure is reported to the parent as an errno over `report`, then the child exits. */
__attribute__((noreturn)) static void spawn_child(const char *path, char *const argv[], char *const envp[],
                        const struct sg_spawn_options *o, const sigset_t *caller_mask,
                        pid_t parent, int null_fd, int report) {
    int e = 0;
    /* A handler of sg's must not run in the child: exec would reset it, but a signal may come first.
       Ignored signals stay ignored, as exec keeps them (`nohup sg-exec …`). */
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction sa;
        if (sigaction(sig, NULL, &sa) != 0 || sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN) continue;
        sa.sa_handler = SIG_DFL;
        sa.sa_flags = 0;
        sigaction(sig, &sa, NULL);
    }
    if (o->parent_death_signal > 0) {
        if (prctl(PR_SET_PDEATHSIG, o->parent_death_signal, 0, 0, 0) != 0) { e = errno; goto fail; }
        /* The parent may have died before the prctl: then nobody sends the signal. */
        if (getppid() != parent) _exit(128 + o->parent_death_signal);
    }
    if (o->new_process_group && setpgid(0, 0) != 0) { e = errno; goto fail; }
    if (o->restore_core_limit && saved_core_valid && setrlimit(RLIMIT_CORE, &saved_core) != 0) { e = errno; goto fail; }
    /* A source that is itself a standard stream an earlier dup2 replaces is moved out of the way first. */
    int source[3];
    for (int fd = 0; fd < 3; fd++) {
        source[fd] = o->streams[fd] == SG_STREAM_NULL ? null_fd : o->streams[fd];
        if (source[fd] >= 0 && source[fd] < fd) {
            source[fd] = fcntl(source[fd], F_DUPFD_CLOEXEC, 3);
            if (source[fd] < 0) { e = errno; goto fail; }
        }
    }
    for (int fd = 0; fd < 3; fd++) {
        if (source[fd] < 0) continue;
        /* dup2 onto itself keeps close-on-exec: clear it instead. */
        int rc = source[fd] == fd ? fcntl(fd, F_SETFD, 0) : dup2(source[fd], fd);
        if (rc < 0) { e = errno; goto fail; }
    }
    sigprocmask(SIG_SETMASK, o->signal_mask ? o->signal_mask : caller_mask, NULL);
    execve(path, argv, envp);
    e = errno;
fail:
    while (write(report, &e, sizeof e) < 0 && errno == EINTR) {}
    _exit(127);
}

pid_t sg_spawn(const char *path, char *const argv[], char *const envp[], const struct sg_spawn_options *o) {
    int null_fd = -1, report[2];
    int wants_null = o->streams[0] == SG_STREAM_NULL || o->streams[1] == SG_STREAM_NULL || o->streams[2] == SG_STREAM_NULL;
    if (wants_null && (null_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) return -1;
    if (pipe2(report, O_CLOEXEC) != 0) {
        int e = errno;
        if (null_fd >= 0) close(null_fd);
        errno = e;
        return -1;
    }
    /* All signals blocked across the fork, so none reaches the child before its handlers are reset. */
    sigset_t all, caller_mask;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &caller_mask);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) spawn_child(path, argv, envp, o, &caller_mask, parent, null_fd, report[1]);
    int e = errno;
    pthread_sigmask(SIG_SETMASK, &caller_mask, NULL);
    close(report[1]);
    if (null_fd >= 0) close(null_fd);
    if (pid < 0) {
        close(report[0]);
        errno = e;
        return -1;
    }
    /* The pipe closes at a successful execve; an errno on it means the child never ran the program. */
    ssize_t n;
    do { n = read(report[0], &e, sizeof e); } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == (ssize_t)sizeof e) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        errno = e;
        return -1;
    }
    return pid;
}

int sg_signalfd(const sigset_t *mask) { return signalfd(-1, mask, SFD_CLOEXEC | SFD_NONBLOCK); }

int sg_signalfd_read(int fd, int *signo, int *code, pid_t *pid) {
    struct signalfd_siginfo si;
    ssize_t n;
    do { n = read(fd, &si, sizeof si); } while (n < 0 && errno == EINTR);
    if (n < 0) return (errno == EAGAIN) ? 0 : -1;
    if (n != (ssize_t)sizeof si) return 0;
    *signo = (int)si.ssi_signo;
    *code = si.ssi_code;
    *pid = (pid_t)si.ssi_pid;
    return 1;
}

int sg_si_kernel(void) { return SI_KERNEL; }

#include <sys/vfs.h>
int sg_path_is_memory_backed(const char *path) {
    struct statfs fs;
    if (statfs(path, &fs) != 0) return -1;
    return (fs.f_type == 0x01021994 /* TMPFS_MAGIC */ || fs.f_type == (long)0x858458f6 /* RAMFS_MAGIC */) ? 1 : 0;
}

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

int sg_set_pdeathsig(int sig) { return prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0); }

int sg_isatty(int fd) { return isatty(fd); }
int sg_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

/* ---- sg-exec ------------------------------------------------------------------------------ */
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <string.h>

pid_t sg_spawn(const char *path, char *const argv[], char *const envp[], const sigset_t *mask,
               int deathsig, int out_fd, int err_fd) {
    int ep[2];
    if (pipe2(ep, O_CLOEXEC) != 0) return -1;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(ep[0]); close(ep[1]);
        errno = e;
        return -1;
    }
    if (pid == 0) {
        close(ep[0]);
        if (deathsig > 0) {
            prctl(PR_SET_PDEATHSIG, deathsig, 0, 0, 0);
            if (getppid() != parent) _exit(128 + deathsig);
        }
        if (saved_core_valid) setrlimit(RLIMIT_CORE, &saved_core);
        if (out_fd >= 0) { if (out_fd == 1) fcntl(1, F_SETFD, 0); else dup2(out_fd, 1); }
        if (err_fd >= 0) { if (err_fd == 2) fcntl(2, F_SETFD, 0); else dup2(err_fd, 2); }
        sigprocmask(SIG_SETMASK, mask, NULL);
        execve(path, argv, envp);
        int e = errno;
        ssize_t w;
        do { w = write(ep[1], &e, sizeof e); } while (w < 0 && errno == EINTR);
        _exit(127);
    }
    close(ep[1]);
    int e = 0;
    ssize_t n;
    do { n = read(ep[0], &e, sizeof e); } while (n < 0 && errno == EINTR);
    close(ep[0]);
    if (n == (ssize_t)sizeof e) {
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
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

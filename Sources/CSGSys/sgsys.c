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

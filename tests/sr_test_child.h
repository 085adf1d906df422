/* sr_test_child.h: runs part of a test in a child process under an address-space limit (RLIMIT_AS, what
 * `ulimit -v` sets), where allocating what a file only promises fails at once instead of succeeding lazily.
 *
 * Under AddressSanitizer, whose shadow memory needs far more address space than any such limit, the child runs
 * without it (SR_TEST_AS_LIMITED is 0): the part checks what holds either way, and what needs the limit only
 * when SR_TEST_AS_LIMITED. */
#ifndef SR_TEST_CHILD_H
#define SR_TEST_CHILD_H

#include <stdlib.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define SR_TEST_AS_LIMITED 0
#else
#define SR_TEST_AS_LIMITED 1
#endif

/* Runs fn(arg) in a child under an address-space limit of as_bytes; returns fn's return value (its exit
 * status: 0 for success, by convention), 125 when the limit cannot be set, 128 + N when the child died of
 * signal N, -1 when fork or waitpid failed. */
static inline int sr_test_in_child(size_t as_bytes, int (*fn)(void *), void *arg)
{
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        if (SR_TEST_AS_LIMITED) {
            struct rlimit rl = {(rlim_t)as_bytes, (rlim_t)as_bytes};
            if (setrlimit(RLIMIT_AS, &rl) != 0) _exit(125);
        }
        _exit(fn(arg) & 0xff);
    }
    int ws = 0;
    if (waitpid(pid, &ws, 0) != pid) return -1;
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : -1;
}

#endif

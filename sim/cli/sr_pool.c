/* sr_pool.c: worker processes that simulate run points and send them back through pipes (see sr_pool.h). */
#include "sr_pool.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "sr_engine.h"
#include "sr_progress_hook.h"
#include "sr_worker_guard.h"

/* What a worker shares with the pool while it runs (one per slot, in a MAP_SHARED mapping). */
typedef struct shared_slot {
    double now_s;      /* simulated clock of the running point */
    double duration_s; /* the experiment's duration (0 until the worker has built it) */
    char cause[256];   /* why the worker died, written by its guard (sr_worker_guard.h); "" when unknown */
} shared_slot;

typedef struct slot {
    pid_t pid; /* 0: free */
    int fd;    /* read end of the worker's pipe */
    int point;
    int stopped; /* SIGTERM sent by sr_pool_stop */
    double t0;
    uint8_t *buf;
    size_t n, cap;
} slot;

struct sr_pool {
    const sr_config *c;
    int jobs, running;
    uint64_t memory_limit_bytes; /* RLIMIT_AS of each worker; 0: inherited */
    pid_t owner;                 /* the process that owns the pool: workers die with it */
    slot *slots;
    shared_slot *shm;
};

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

sr_status sr_pool_create(const sr_config *c, int jobs, sr_pool **out)
{
    *out = NULL;
    if (jobs < 1) return SR_ERR_INVALID;
    sr_pool *p = calloc(1, sizeof *p);
    if (!p) return SR_ERR_NOMEM;
    p->c = c;
    p->jobs = jobs;
    p->owner = getpid();
    p->slots = calloc((size_t)jobs, sizeof *p->slots);
    p->shm =
        mmap(NULL, (size_t)jobs * sizeof *p->shm, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (!p->slots || p->shm == MAP_FAILED) {
        if (p->shm == MAP_FAILED) p->shm = NULL;
        sr_pool_free(p);
        return SR_ERR_NOMEM;
    }
    *out = p;
    return SR_OK;
}

static void clear_slot(slot *s)
{
    if (s->fd >= 0) close(s->fd);
    free(s->buf);
    memset(s, 0, sizeof *s);
}

void sr_pool_free(sr_pool *p)
{
    if (!p) return;
    if (p->slots) {
        sr_pool_stop(p);
        for (int k = 0; k < p->jobs; k++) {
            if (!p->slots[k].pid) continue;
            close(p->slots[k].fd);
            p->slots[k].fd = -1;
            while (waitpid(p->slots[k].pid, NULL, 0) < 0 && errno == EINTR) {
            }
            clear_slot(&p->slots[k]);
        }
    }
    if (p->shm) munmap(p->shm, (size_t)p->jobs * sizeof *p->shm);
    free(p->slots);
    free(p);
}

void sr_pool_set_memory_limit(sr_pool *p, uint64_t bytes)
{
    p->memory_limit_bytes = bytes;
}

int sr_pool_idle_slots(const sr_pool *p)
{
    return p->jobs - p->running;
}

int sr_pool_running(const sr_pool *p)
{
    return p->running;
}

int sr_pool_slots(const sr_pool *p)
{
    return p->jobs;
}

static int write_all(int fd, const uint8_t *b, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        b += w, n -= (size_t)w;
    }
    return 0;
}

/* GSL's default error handler aborts (e.g. "failed to allocate space for rng state" when memory runs out): in a
 * worker the error becomes the point's cause instead, out of memory said as such. No allocation here. */
static void worker_gsl_error(const char *reason, const char *file, int line, int gsl_errno)
{
    char text[224];
    if (gsl_errno == GSL_ENOMEM)
        snprintf(text, sizeof text, "out of memory (GSL: %s)", reason);
    else
        snprintf(text, sizeof text, "GSL error %d: %s (%s:%d)", gsl_errno, reason, file, line);
    sr_worker_guard_cause(text);
    _exit(SR_WORKER_EXIT_CAUSE);
}

/* Body of a worker: simulate point i, send it on fd. Returns the exit code (0: sent). */
static int worker(const sr_config *c, int i, int fd, shared_slot *shm, pid_t owner, uint64_t memory_limit_bytes)
{
    /* A worker dies with the process that owns the pool (kill -9 included): nobody would read its point, and a
     * --resume started meanwhile must not find its points being computed twice. The owner may already be gone
     * between fork and prctl: then the worker stops here. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != owner) return 4;
    if (memory_limit_bytes > 0) {
        struct rlimit rl = {.rlim_cur = (rlim_t)memory_limit_bytes, .rlim_max = (rlim_t)memory_limit_bytes};
        setrlimit(RLIMIT_AS, &rl);
    }
    sr_worker_guard_install(shm->cause, sizeof shm->cause);
    gsl_set_error_handler(worker_gsl_error);
    /* SIGINT is the runner's business. Blocked, not only ignored: SimGrid installs its own SIGINT handler
     * when its engine starts, which exits the process in the middle of the simulation (seen as "killed by
     * signal 11"); a blocked signal is never delivered, whatever handler is installed later. */
    signal(SIGINT, SIG_IGN);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, NULL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    sr_progress_hook_install(&shm->now_s);
    double t0 = mono_s();
    const sr_point *pt = sr_config_point(c, i);
    sr_run_wire w;
    memset(&w, 0, sizeof w);
    w.point_index = i;
    sr_experiment *e = NULL;
    sr_run_output out;
    sr_run_output_init(&out);
    sr_status st = sr_config_experiment_err(c, i, &e, w.error, sizeof w.error);
    if (e) {
        shm->duration_s = e->duration_s;
        snprintf(w.net_model, sizeof w.net_model, "%s", sr_net_model_name(e->net_model));
    }
    if (st == SR_OK) st = sr_engine_run(e, pt->seed, &out, w.error, sizeof w.error);
    if (st == SR_OK) {
        /* The summary metrics are computed; keep only the rows the experiment asked for. */
        if (!e->metrics.frames) out.n_frames = 0, out.n_tasks = 0;
        if (!e->metrics.links) out.n_links = 0;
        if (!e->metrics.hosts) out.n_hosts = 0;
    }
    if (st != SR_OK && w.error[0] == '\0') snprintf(w.error, sizeof w.error, "%s", sr_status_message(st));
    w.ok = st == SR_OK;
    w.wall_s = mono_s() - t0;
    uint8_t *buf = NULL;
    size_t n = 0;
    int code = 0;
    sr_status enc = sr_run_wire_encode(&w, w.ok ? &out : NULL, &buf, &n);
    if (enc == SR_ERR_NOMEM) sr_worker_guard_cause("out of memory while sending the finished point");
    if (enc != SR_OK || write_all(fd, buf, n) != 0) code = enc == SR_ERR_NOMEM ? SR_WORKER_EXIT_CAUSE : 3;
    close(fd);
    free(buf);
    sr_run_output_clear(&out);
    sr_experiment_free(e);
    return code;
}

sr_status sr_pool_start(sr_pool *p, int i)
{
    int k = 0;
    while (k < p->jobs && p->slots[k].pid)
        k++;
    if (k == p->jobs) return SR_ERR_RANGE;
    int fds[2];
    if (pipe(fds) != 0) return SR_ERR_CHILD;
    p->shm[k].now_s = 0;
    p->shm[k].duration_s = 0;
    p->shm[k].cause[0] = '\0';
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]), close(fds[1]);
        return SR_ERR_CHILD;
    }
    if (pid == 0) {
        close(fds[0]);
        _exit(worker(p->c, i, fds[1], &p->shm[k], p->owner, p->memory_limit_bytes));
    }
    close(fds[1]);
    slot *s = &p->slots[k];
    memset(s, 0, sizeof *s);
    s->pid = pid;
    s->fd = fds[0];
    s->point = i;
    s->t0 = mono_s();
    p->running++;
    return SR_OK;
}

void sr_pool_stop(sr_pool *p)
{
    for (int k = 0; k < p->jobs; k++)
        if (p->slots[k].pid && !p->slots[k].stopped) {
            kill(p->slots[k].pid, SIGTERM);
            p->slots[k].stopped = 1;
        }
}

/* The address-space limit this process (and so every worker) inherited, in bytes; 0 when there is none. */
static unsigned long long shell_limit_bytes(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 0;
    return (unsigned long long)rl.rlim_cur;
}

/* The worker of slot s closed its pipe: reap it and turn what it sent into *r. */
static void finish(sr_pool *p, slot *s, sr_pool_result *r)
{
    int ws = 0;
    while (waitpid(s->pid, &ws, 0) < 0 && errno == EINTR) {
    }
    memset(r, 0, sizeof *r);
    sr_run_output_init(&r->out);
    r->point = s->point;
    r->wire.point_index = s->point;
    int sent = WIFEXITED(ws) && WEXITSTATUS(ws) == 0 &&
               sr_run_wire_decode(s->buf, s->n, &r->wire, &r->out) == SR_OK &&
               r->wire.point_index == s->point;
    if (sent) {
        r->outcome = SR_POOL_DONE;
        r->bytes = s->buf, r->n_bytes = s->n;
        s->buf = NULL;
    } else {
        sr_run_output_clear(&r->out);
        memset(&r->wire, 0, sizeof r->wire);
        r->wire.point_index = s->point;
        r->wire.wall_s = mono_s() - s->t0;
        r->outcome = s->stopped ? SR_POOL_STOPPED : SR_POOL_CRASHED;
        const char *cause = p->shm[s - p->slots].cause;
        if (cause[0])
            snprintf(r->wire.error, sizeof r->wire.error, "worker process failed: %.*s", 200, cause);
        else if (WIFSIGNALED(ws) && (WTERMSIG(ws) == SIGKILL || WTERMSIG(ws) == SIGABRT) &&
                 p->memory_limit_bytes > 0)
            snprintf(r->wire.error, sizeof r->wire.error,
                     "worker process killed by signal %d (%s) under --point-memory %llu bytes: most likely out "
                     "of memory (a library that aborts when an allocation fails; its message is on stderr)",
                     WTERMSIG(ws), strsignal(WTERMSIG(ws)), (unsigned long long)p->memory_limit_bytes);
        else if (WIFSIGNALED(ws) && WTERMSIG(ws) == SIGABRT && shell_limit_bytes() > 0)
            snprintf(r->wire.error, sizeof r->wire.error,
                     "worker process killed by signal %d (%s) under an address-space limit of %llu bytes (ulimit "
                     "-v): most likely out of memory (a library that aborts when an allocation fails; its "
                     "message is on stderr)",
                     WTERMSIG(ws), strsignal(WTERMSIG(ws)), shell_limit_bytes());
        else if (WIFSIGNALED(ws))
            snprintf(r->wire.error, sizeof r->wire.error, "worker process killed by signal %d (%s)",
                     WTERMSIG(ws), strsignal(WTERMSIG(ws)));
        else if (WIFEXITED(ws) && WEXITSTATUS(ws) != 0)
            snprintf(r->wire.error, sizeof r->wire.error, "worker process exited with code %d",
                     WEXITSTATUS(ws));
        else
            snprintf(r->wire.error, sizeof r->wire.error, "worker process sent an incomplete result");
    }
    clear_slot(s);
    p->running--;
}

int sr_pool_wait(sr_pool *p, int timeout_ms, sr_pool_result *r)
{
    if (p->running == 0) return 0;
    struct pollfd *pf = calloc((size_t)p->jobs, sizeof *pf);
    int *which = calloc((size_t)p->jobs, sizeof *which);
    int n = 0, got = 0;
    if (!pf || !which) goto done;
    for (int k = 0; k < p->jobs; k++)
        if (p->slots[k].pid) {
            pf[n] = (struct pollfd){.fd = p->slots[k].fd, .events = POLLIN};
            which[n++] = k;
        }
    if (poll(pf, (nfds_t)n, timeout_ms) <= 0) goto done; /* timeout, or a signal (EINTR) */
    for (int j = 0; j < n && !got; j++) {
        if (!(pf[j].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        slot *s = &p->slots[which[j]];
        if (s->cap - s->n < 65536) {
            size_t cap = s->cap ? s->cap * 2 : 131072;
            uint8_t *b = realloc(s->buf, cap);
            if (!b) continue; /* try again on the next call */
            s->buf = b, s->cap = cap;
        }
        ssize_t rd = read(s->fd, s->buf + s->n, s->cap - s->n);
        if (rd > 0) {
            s->n += (size_t)rd;
        } else if (rd == 0 || errno != EINTR) {
            finish(p, s, r);
            got = 1;
        }
    }
done:
    free(pf);
    free(which);
    return got;
}

int sr_pool_progress(const sr_pool *p, int k, int *point, double *now_s, double *duration_s)
{
    if (k < 0 || k >= p->jobs || !p->slots[k].pid) return 0;
    *point = p->slots[k].point;
    __atomic_load(&p->shm[k].now_s, now_s, __ATOMIC_RELAXED);
    *duration_s = p->shm[k].duration_s;
    return 1;
}

void sr_pool_result_clear(sr_pool_result *r)
{
    if (!r) return;
    sr_run_output_clear(&r->out);
    free(r->bytes);
    r->bytes = NULL;
    r->n_bytes = 0;
}

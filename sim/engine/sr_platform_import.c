/* sr_platform_import.c: SimGrid XML platform -> simrun platform YAML (sr_platform_import.h). */
#include "sr_platform_import.h"

#include <errno.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xbt/dynar.h>

#include "sr_experiment.h"

static int is_internal_link(const_sg_link_t l)
{
    return strncmp(sg_link_get_name(l), "__", 2) == 0; /* SimGrid's loopback links */
}

/* name with every character outside [A-Za-z0-9_-] replaced by '_' into buf. */
static const char *clean_name(const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s", name);
    for (char *p = buf; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              *p == '-'))
            *p = '_';
    return buf;
}

static const char *device_class_of(const_sg_host_t h)
{
    const char *c = sg_host_get_property_value(h, "simrun_class");
    if (!c) c = sg_host_get_property_value(h, "class");
    for (int k = 0; c && k < SR_DEV_CLASS_COUNT; k++)
        if (strcmp(sr_device_class_name((sr_device_class)k), c) == 0) return c;
    return "edge";
}

sr_status sr_platform_import_simgrid(const char *xml_path, FILE *out, char *err, size_t err_size)
{
    int argc = 2;
    char *argv[] = {"simrun", "--log=root.thres:error", NULL};
    simgrid_init(&argc, argv);
    simgrid_load_platform(xml_path);
    size_t nh = sg_host_count(), nl = sg_link_count();
    if (nh > SR_PLATFORM_IMPORT_MAX_HOSTS) {
        snprintf(err, err_size, "%s has %zu hosts; at most %d can be listed route by route", xml_path, nh,
                 SR_PLATFORM_IMPORT_MAX_HOSTS);
        return SR_ERR_UNSUPPORTED;
    }
    sg_host_t *hosts = sg_host_list();
    sg_link_t *links = sg_link_list();
    xbt_dynar_t route = xbt_dynar_new(sizeof(sg_link_t), NULL);
    sr_status st = SR_OK;
    /* hosts and links in SimGrid's order (the file's): a sum over hosts then adds in the same order */
    /* names must stay distinct once cleaned */
    char a[256], b[256];
    for (size_t i = 0; i + 1 < nh; i++)
        for (size_t j = i + 1; j < nh; j++)
            if (strcmp(clean_name(sg_host_get_name(hosts[i]), a, sizeof a),
                       clean_name(sg_host_get_name(hosts[j]), b, sizeof b)) == 0) {
                snprintf(err, err_size, "hosts '%s' and '%s' both become '%s'", sg_host_get_name(hosts[i]),
                         sg_host_get_name(hosts[j]), a);
                st = SR_ERR_UNSUPPORTED;
                goto done;
            }
    size_t n_links = 0, n_routes = 0;
    for (size_t i = 0; i < nl; i++)
        n_links += !is_internal_link(links[i]);
    fprintf(out, "# converted from %s by `simrun platform --from-simgrid` (SimGrid's own reading of it)\n",
            xml_path);
    fprintf(out, "platform:\n  devices:\n");
    for (size_t i = 0; i < nh; i++) {
        const_sg_host_t h = hosts[i];
        double idle = 0, busy = 0;
        const char *w = sg_host_get_property_value(h, "wattage_per_state");
        if (w) {
            idle = strtod(w, NULL);
            const char *last = strrchr(w, ':');
            busy = last ? strtod(last + 1, NULL) : idle;
        }
        fprintf(
            out,
            "    - { name: %s, class: %s, speed: %.17gf, cores: %d, power_idle: %.17gW, power_busy: %.17gW }",
            clean_name(sg_host_get_name(h), a, sizeof a), device_class_of(h), sg_host_get_speed(h),
            sg_host_core_count(h), idle, busy);
        if (strcmp(a, sg_host_get_name(h)) != 0) fprintf(out, "  # %s", sg_host_get_name(h));
        fputc('\n', out);
    }
    if (n_links) fprintf(out, "  links:\n");
    for (size_t i = 0; i < nl; i++) {
        const_sg_link_t l = links[i];
        if (is_internal_link(l)) continue;
        fprintf(out, "    - { name: %s, type: ethernet, bandwidth: %.17gbps, latency: %.17gs, sharing: %s }",
                clean_name(sg_link_get_name(l), a, sizeof a), sg_link_get_bandwidth(l) * 8,
                sg_link_get_latency(l), sg_link_is_shared(l) ? "shared" : "fatpipe");
        if (strcmp(a, sg_link_get_name(l)) != 0) fprintf(out, "  # %s", sg_link_get_name(l));
        fputc('\n', out);
    }
    for (size_t i = 0; i < nh; i++)
        for (size_t j = 0; j < nh; j++) {
            if (i == j) continue;
            xbt_dynar_reset(route);
            sg_host_get_route(hosts[i], hosts[j], route);
            int shown = 0;
            for (unsigned k = 0; k < xbt_dynar_length(route); k++) {
                sg_link_t l = xbt_dynar_get_as(route, k, sg_link_t);
                if (is_internal_link(l)) continue;
                if (!shown++) {
                    if (n_routes++ == 0) fprintf(out, "  routes:\n");
                    fprintf(out, "    - { src: %s, ", clean_name(sg_host_get_name(hosts[i]), a, sizeof a));
                    fprintf(out, "dst: %s, symmetric: false, links: [",
                            clean_name(sg_host_get_name(hosts[j]), b, sizeof b));
                } else {
                    fputs(", ", out);
                }
                fputs(clean_name(sg_link_get_name(l), a, sizeof a), out);
            }
            if (shown) fputs("] }\n", out);
        }
    if (ferror(out)) {
        snprintf(err, err_size, "cannot write the YAML");
        st = SR_ERR_IO;
    }
done:
    xbt_dynar_free(&route);
    free(hosts);
    free(links);
    return st;
}

/* SimGrid's last error line without its "[time] file:line: [category/ERROR] " prefix, or "". */
static void simgrid_message(FILE *log, char *msg, size_t size)
{
    msg[0] = '\0';
    char line[1024];
    rewind(log);
    while (fgets(line, sizeof line, log)) {
        line[strcspn(line, "\n")] = '\0';
        const char *text = strstr(line, "/ERROR] ");
        text = text ? text + 8 : line;
        if (!text[0] || strcmp(text, "Exiting now.") == 0) continue;
        size_t k = strlen(text) < size ? strlen(text) : size - 1;
        memcpy(msg, text, k);
        msg[k] = '\0';
    }
}

sr_status sr_platform_import_simgrid_text(const char *xml_path, char **yaml, char *err, size_t err_size)
{
    *yaml = NULL;
    err[0] = '\0';
    if (access(xml_path, R_OK) != 0) {
        snprintf(err, err_size, "%s: %s", xml_path, strerror(errno));
        return SR_ERR_IO;
    }
    FILE *log = tmpfile(); /* the child's stderr: SimGrid's messages */
    int fds[2] = {-1, -1};
    if (!log || pipe(fds) != 0) {
        snprintf(err, err_size, "cannot start the SimGrid reader: %s", strerror(errno));
        if (log) fclose(log);
        return SR_ERR_IO;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, err_size, "cannot start the SimGrid reader: fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        fclose(log);
        return SR_ERR_IO;
    }
    if (pid == 0) {
        close(fds[0]);
        dup2(fileno(log), STDERR_FILENO);
        FILE *out = fdopen(fds[1], "w");
        char cerr[512] = "";
        sr_status st = out ? sr_platform_import_simgrid(xml_path, out, cerr, sizeof cerr) : SR_ERR_IO;
        if (st != SR_OK && cerr[0]) fprintf(stderr, "/ERROR] %s\n", cerr);
        int bad = !out || fclose(out) != 0;
        _exit(st == SR_ERR_UNSUPPORTED ? 3 : st != SR_OK || bad ? 4 : 0); /* 3, 4: ours; SimGrid exits otherwise */
    }
    close(fds[1]);
    size_t n = 0, cap = 4096;
    char *buf = malloc(cap);
    for (;;) {
        if (buf && n + 1 >= cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            } else {
                buf = nb;
            }
        }
        char sink[4096];
        ssize_t r = buf ? read(fds[0], buf + n, cap - n - 1) : read(fds[0], sink, sizeof sink);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        if (buf) n += (size_t)r;
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    sr_status st = SR_OK;
    if (!buf) {
        snprintf(err, err_size, "out of memory reading the converted platform");
        st = SR_ERR_NOMEM;
    } else if (code != 0) {
        char msg[768];
        simgrid_message(log, msg, sizeof msg);
        if (code == 3 || code == 4)
            snprintf(err, err_size, "%s", msg[0] ? msg : "cannot convert the platform");
        else
            snprintf(err, err_size, "SimGrid cannot read %s: %s", xml_path, msg[0] ? msg : "(no message)");
        st = code == 3 ? SR_ERR_UNSUPPORTED : code == 4 ? SR_ERR_IO : SR_ERR_PARSE;
    }
    fclose(log);
    if (st != SR_OK) {
        free(buf);
        return st;
    }
    buf[n] = '\0';
    *yaml = buf;
    return SR_OK;
}

/* sr_learntab_cli.c: the `simrun train` command: train a net from scratch on Fashion-MNIST (per-epoch test
 * accuracy), or with --stages run In-situ AI's incremental stages and store their rows (--db).
 * Options come from one table (name, kind, target, range, what a bad value should have been). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sr_learntab.h"

typedef enum { O_INT, O_I64, O_U64, O_FLOAT, O_DOUBLE, O_STR, O_LIST, O_FLAG } opt_kind;

typedef struct opt {
    const char *name;
    opt_kind kind;
    void *target;
    double lo, hi;
    const char *help;
} opt;

static void usage(FILE *f, const opt *opts, int n)
{
    fprintf(f, "usage: simrun train [options]            train from scratch, print test accuracy per epoch\n"
               "       simrun train --stages --db F.db [options]   In-situ AI's incremental stages into F.db\n\n");
    for (int i = 0; i < n; i++)
        fprintf(f, "  %-18s %s\n", opts[i].name, opts[i].help);
    fprintf(f, "\nData: Fashion-MNIST (Debian: dataset-fashion-mnist). Docs: docs/papers/insitu.md\n");
}

/* "5000,10000,..." into sp (strictly checked later by sr_learn_stages). */
static int parse_list(const char *s, sr_stage_params *sp)
{
    int n = 0;
    const char *p = s;
    while (*p) {
        char *end = NULL;
        errno = 0;
        if (*p < '0' || *p > '9' || n >= SR_LEARN_MAX_STAGES)
            return -1;
        long long v = strtoll(p, &end, 10);
        if (errno || end == p || v < 1)
            return -1;
        sp->acquired[n++] = v;
        if (*end == ',')
            p = end + 1;
        else if (*end == '\0')
            p = end;
        else
            return -1;
    }
    if (n == 0)
        return -1;
    sp->n_stages = n;
    return 0;
}

static int parse_value(const opt *o, const char *val, sr_stage_params *sp)
{
    char *end = NULL;
    errno = 0;
    switch (o->kind) {
    case O_INT:
    case O_I64:
    case O_U64: {
        if (!val[0] || val[0] == '-' || val[0] == '+')
            return -1;
        unsigned long long v = strtoull(val, &end, 10);
        if (errno || *end || (double)v < o->lo || (double)v > o->hi)
            return -1;
        if (o->kind == O_INT)
            *(int *)o->target = (int)v;
        else if (o->kind == O_I64)
            *(int64_t *)o->target = (int64_t)v;
        else
            *(uint64_t *)o->target = (uint64_t)v;
        return 0;
    }
    case O_FLOAT:
    case O_DOUBLE: {
        double v = strtod(val, &end);
        if (errno || end == val || *end || !isfinite(v) || v < o->lo || v > o->hi)
            return -1;
        if (o->kind == O_FLOAT)
            *(float *)o->target = (float)v;
        else
            *(double *)o->target = v;
        return 0;
    }
    case O_STR:
        *(const char **)o->target = val;
        return 0;
    case O_LIST:
        return parse_list(val, sp);
    case O_FLAG:
        return 0;
    }
    return -1;
}

static void print_rows(FILE *f, const sr_stage_row *rows, int n)
{
    fprintf(f, "%5s %8s %6s %3s %8s %8s %7s %7s %7s %9s %5s %11s %9s\n", "stage", "acquired", "new", "sys", "uploaded",
            "fraction", "unrec", "wrong", "caught", "trained", "from", "push_bytes", "accuracy");
    for (int i = 0; i < n; i++) {
        const sr_stage_row *r = &rows[i];
        fprintf(f, "%5d %8lld %6lld %3s %8lld %8.4f %7lld %7lld %7lld %9lld %5d %11lld %9.4f\n", r->stage,
                (long long)r->acquired, (long long)r->new_images, r->system, (long long)r->uploaded,
                r->upload_fraction, (long long)r->unrecognised, (long long)r->misclassified,
                (long long)r->unrec_and_wrong, (long long)r->train_images, r->trainable_from,
                (long long)r->push_bytes, r->test_accuracy);
    }
}

int sr_learntab_main(int argc, char **argv, const char *simrun_version, FILE *out, FILE *errf)
{
    sr_learn_params p = sr_learn_default_params();
    sr_stage_params sp = sr_stage_default_params();
    const char *db_path = NULL, *criterion = "confidence";
    int stages = 0, epochs = p.epochs;
    const opt opts[] = {
        {"--net", O_STR, &p.net, 0, 0, "architecture (lenet5)"},
        {"--data", O_STR, &p.data_dir, 0, 0, "Fashion-MNIST folder (default " SR_FASHION_MNIST_DIR ")"},
        {"--epochs", O_INT, &epochs, 1, 1000, "epochs from scratch, 1..1000 (10)"},
        {"--batch", O_INT, &p.batch, 1, 4096, "mini-batch, 1..4096 (64)"},
        {"--lr", O_FLOAT, &p.sgd.lr, 1e-6, 10, "learning rate (0.01)"},
        {"--momentum", O_FLOAT, &p.sgd.momentum, 0, 0.999, "SGD momentum, 0..0.999 (0.9)"},
        {"--decay", O_FLOAT, &p.sgd.decay, 0, 1, "L2 weight decay, 0..1 (5e-4)"},
        {"--seed", O_U64, &p.seed, 0, 1.8e19, "weights and image order (1)"},
        {"--train-limit", O_I64, &p.train_limit, 0, 1e9, "use the first N training images (0: all 60000)"},
        {"--test-limit", O_I64, &p.test_limit, 0, 1e9, "use the first N test images (0: all 10000)"},
        {"--stages", O_FLAG, &stages, 0, 0, "run the incremental stages (needs --db)"},
        {"--db", O_STR, &db_path, 0, 0, "SQLite file for the insitu_stages rows"},
        {"--acquired", O_LIST, NULL, 0, 0, "images acquired by each stage's end (5000,10000,20000,40000,60000)"},
        {"--init-epochs", O_INT, &sp.init_epochs, 1, 1000, "epochs of the initial model (10)"},
        {"--update-epochs", O_INT, &sp.update_epochs, 0, 1000, "epochs of each update (3)"},
        {"--threshold", O_DOUBLE, &sp.threshold, 1e-9, 1, "unrecognised below this softmax confidence (0.9)"},
        {"--criterion", O_STR, &criterion, 0, 0,
         "confidence (below --threshold) or error (misclassified: the paper's split, needs the labels)"},
        {"--transfer-from", O_INT, &sp.transfer_from, 0, 1000, "system (d): first retrained layer (3)"},
    };
    const int n_opts = (int)(sizeof opts / sizeof opts[0]);
    sr_dataset train = {0}, test = {0};
    sr_learn_epoch *ep = NULL;
    sr_stage_row *rows = NULL;
    int n_rows = 0, rc = 2;
    char err[1024] = "";

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(out, opts, n_opts);
            rc = 0;
            goto done;
        }
        const char *eq = strchr(a, '=');
        const size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        const opt *o = NULL;
        for (int k = 0; k < n_opts; k++)
            if (strlen(opts[k].name) == nlen && strncmp(opts[k].name, a, nlen) == 0)
                o = &opts[k];
        if (!o) {
            fprintf(errf, "train: unknown option '%.*s'\n", (int)nlen, a);
            usage(errf, opts, n_opts);
            goto done;
        }
        if (o->kind == O_FLAG) {
            if (eq) {
                fprintf(errf, "train: %s takes no value\n", o->name);
                goto done;
            }
            *(int *)o->target = 1;
            continue;
        }
        const char *val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!val) {
            fprintf(errf, "train: option %s needs a value\n", o->name);
            goto done;
        }
        if (parse_value(o, val, &sp) != 0) {
            fprintf(errf, "train: bad value '%s' for %s: %s\n", val, o->name, o->help);
            goto done;
        }
    }
    p.epochs = epochs;
    if (strcmp(criterion, "error") == 0) {
        sp.threshold = 0; /* stored as threshold 0: the error criterion */
    } else if (strcmp(criterion, "confidence") != 0) {
        fprintf(errf, "train: bad value '%s' for --criterion: confidence or error\n", criterion);
        goto done;
    }
    if (stages && !db_path) {
        fprintf(errf, "train: --stages needs --db FILE\n");
        goto done;
    }
    sr_status st = sr_dataset_fashion_mnist(p.data_dir, 1, p.train_limit, &train, err, sizeof err);
    if (st == SR_OK)
        st = sr_dataset_fashion_mnist(p.data_dir, 0, p.test_limit, &test, err, sizeof err);
    if (st != SR_OK) {
        fprintf(errf, "train: %s\n", err);
        rc = st == SR_ERR_NOMEM ? 1 : 2;
        goto done;
    }
    if (!stages) {
        ep = calloc((size_t)p.epochs, sizeof *ep);
        if (!ep) {
            rc = 1;
            goto done;
        }
        fprintf(out, "# %s on Fashion-MNIST: %lld training, %lld test images, batch %d, lr %g, momentum %g, seed %llu\n",
                p.net, (long long)train.count, (long long)test.count, p.batch, (double)p.sgd.lr,
                (double)p.sgd.momentum, (unsigned long long)p.seed);
        fprintf(out, "%5s %10s %9s %13s %7s\n", "epoch", "train_loss", "test_loss", "test_accuracy", "wall_s");
        st = sr_learn_train(&p, &train, &test, ep, NULL, NULL, err, sizeof err);
        if (st != SR_OK) {
            fprintf(errf, "train: %s\n", err);
            rc = (st == SR_ERR_NOMEM) ? 1 : 2;
            goto done;
        }
        for (int e = 0; e < p.epochs; e++)
            fprintf(out, "%5d %10.4f %9.4f %13.4f %7.1f\n", ep[e].epoch, ep[e].train_loss, ep[e].test_loss,
                    ep[e].test_accuracy, ep[e].wall_s);
        rc = 0;
        goto done;
    }
    st = sr_learn_stages(&p, &sp, &train, &test, &rows, &n_rows, errf, err, sizeof err);
    if (st != SR_OK) {
        fprintf(errf, "train: %s\n", err);
        rc = st == SR_ERR_NOMEM ? 1 : 2;
        goto done;
    }
    st = sr_learntab_store(db_path, rows, n_rows, simrun_version, err, sizeof err);
    if (st != SR_OK) {
        fprintf(errf, "train: %s\n", err);
        rc = st == SR_ERR_DB ? 2 : 1;
        goto done;
    }
    print_rows(out, rows, n_rows);
    rc = 0;
done:
    free(rows);
    free(ep);
    sr_dataset_free(&train);
    sr_dataset_free(&test);
    return rc;
}

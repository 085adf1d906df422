/* sr_learntab.h: models that really learn, for In-situ AI (`simrun train`, docs/papers/insitu.md).
 *
 * Two measurements on a labelled image set (Fashion-MNIST, workloads/sr_idx.h) with the training net of
 * models/dnn/sr_train.h:
 *  - training from scratch: test accuracy and loss per epoch (sr_learn_train);
 *  - In-situ AI's incremental stages (sr_learn_stages): an initial model trained on the first images, then
 *    one update per stage as more images arrive. Before each update the current model diagnoses every new
 *    image on its own: an image is UNRECOGNISED when the model's softmax confidence (largest class
 *    probability) is below a threshold; only those are uploaded by systems (c) and (d) of the paper's
 *    Fig. 24, all of them by (a) and (b). The cloud fine-tunes the model on the stage's training images:
 *    all new images for (a), the unrecognised ones for (b) and (c), the unrecognised ones with the layers
 *    below transfer_from frozen for (d) (weight sharing: only the last layers are retrained and pushed).
 *    Three model chains follow from that, (a), (b)=(c) and (d); each stage's row per system says what it
 *    uploaded, trained, pushed and what accuracy the updated model reached on the test set.
 * The stage rows go to an SQLite table insitu_stages (a new file or a simrun results DB, whose other tables
 * are never touched), where the insitu policy reads them (sr_learntab_lookup). Same seed, same rows (wall
 * times aside). */
#ifndef SR_LEARNTAB_H
#define SR_LEARNTAB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sr_idx.h"
#include "sr_status.h"
#include "sr_train.h"

#define SR_LEARN_MAX_STAGES 16

/* Training setup. Strings borrowed. */
typedef struct sr_learn_params {
    const char *net;      /* sr_tnet_preset name */
    const char *data_dir; /* Fashion-MNIST folder (NULL: SR_FASHION_MNIST_DIR) */
    int epochs;           /* from-scratch epochs (sr_learn_train) */
    int batch;            /* mini-batch */
    sr_sgd_params sgd;
    uint64_t seed;                   /* weights and the order of images */
    int64_t train_limit, test_limit; /* first images of each set (0: all) */
} sr_learn_params;

/* lenet5, the Debian folder, 10 epochs, batch 64, lr 0.01, momentum 0.9, decay 5e-4, seed 1, no limits. */
sr_learn_params sr_learn_default_params(void);

typedef struct sr_learn_epoch {
    int epoch; /* 1-based */
    double train_loss, test_loss, test_accuracy;
    double wall_s; /* this epoch's training time on this machine */
} sr_learn_epoch;

/* Trains p->net from scratch on train for p->epochs epochs (images in a fresh seeded shuffle each epoch)
 * and evaluates it on test after each: ep gets p->epochs entries. *net_out (may be NULL) gets the trained
 * net (caller frees, sr_tnet_free). progress (may be NULL): one line per epoch. */
sr_status sr_learn_train(const sr_learn_params *p, const sr_dataset *train, const sr_dataset *test,
                         sr_learn_epoch *ep, sr_tnet **net_out, FILE *progress, char *err, size_t err_size);

/* The incremental stages. acquired[k]: images acquired in total by the end of stage k (strictly
 * increasing; stage 0 trains the initial model on acquired[0] images from scratch). */
typedef struct sr_stage_params {
    int n_stages;
    int64_t acquired[SR_LEARN_MAX_STAGES];
    int init_epochs;   /* epochs of the initial model */
    int update_epochs; /* epochs of each update over that stage's training images */
    double threshold;  /* confidence below which an image is unrecognised, (0, 1]; 0: the ERROR criterion, an image
                        * is unrecognised when the model misclassifies it (the paper's "recognized class (could be
                        * correctly recognized) and unrecognized class", Sec. III-A; an oracle: it needs the label) */
    int transfer_from; /* system (d): first trainable layer */
} sr_stage_params;

/* The paper's 100k, 200k, 400k, 800k, 1200k scaled by 1/20 to Fashion-MNIST's 60 000 training images
 * (5k, 10k, 20k, 40k, 60k); 10 initial epochs, 3 per update, threshold 0.9, transfer_from 3 (LeNet-5's
 * second convolution: the first conv block stays shared). */
sr_stage_params sr_stage_default_params(void);

typedef enum { SR_INSITU_A, SR_INSITU_B, SR_INSITU_C, SR_INSITU_D, SR_INSITU_N } sr_insitu_system;
/* "a".."d" */
const char *sr_insitu_system_name(sr_insitu_system s);

/* One stage of one system. */
typedef struct sr_stage_row {
    int64_t id;  /* row id in the DB (0 before storing) */
    int64_t run; /* rows stored together share it: 1 + the largest before them (0 before storing) */
    char created_utc[32];
    char net[32];
    char dataset[32];
    uint64_t seed;
    double threshold;
    int stage;                /* 0 = initial model */
    int64_t acquired;         /* images acquired by the end of the stage */
    int64_t new_images;       /* images that arrived in this stage */
    char system[2];           /* "a".."d" */
    int64_t uploaded;         /* images sent to the cloud */
    double upload_fraction;   /* uploaded / new_images */
    int64_t unrecognised;     /* new images the system's diagnosis marked unrecognised (all at stage 0) */
    int64_t misclassified;    /* new images the pre-update model classifies wrongly (all at stage 0) */
    int64_t unrec_and_wrong;  /* both: how many of the errors the diagnosis caught */
    int64_t diagnosed_cloud;  /* images the cloud diagnoses (system b), else 0 */
    int64_t train_images;     /* images of the update's training set */
    int epochs;               /* passes over them */
    int trainable_from;       /* first trained layer */
    int64_t train_macs_per_image; /* sr_tnet_train_macs at trainable_from */
    int64_t infer_macs_per_image; /* forward MACs of the whole net */
    int64_t push_bytes;       /* fp32 weights pushed to the node: the trained layers' parameters */
    double test_accuracy;     /* of the updated model, on the test set */
    double train_wall_s;      /* this machine's training time of the update */
    char simrun_version[32];
} sr_stage_row;

/* Runs the stages on train (images taken in a seeded shuffle: the arrival order) and evaluates on test.
 * *rows gets n_stages * SR_INSITU_N rows (stage-major, systems a..d), malloc'ed, caller frees. Stage 0's
 * rows are equal for all systems (one initial model). SR_ERR_INVALID with a message for bad stage
 * parameters (not increasing, more images than the set holds, threshold outside (0, 1], transfer_from
 * outside the net). progress (may be NULL): one line per stage. */
sr_status sr_learn_stages(const sr_learn_params *p, const sr_stage_params *sp, const sr_dataset *train,
                          const sr_dataset *test, sr_stage_row **rows, int *n_rows, FILE *progress, char *err,
                          size_t err_size);

/* Appends rows to db_path's insitu_stages table (file and table created when absent) in one transaction:
 * all rows or none; sets id, run, created_utc, simrun_version. A file that is not SQLite, or whose insitu_stages
 * has other columns, is refused (SR_ERR_DB) before anything is written. */
sr_status sr_learntab_store(const char *db_path, sr_stage_row *rows, int n_rows, const char *simrun_version,
                            char *err, size_t err_size);

/* Reads the most recent run's rows (largest run) for net of system sys
 * ordered by stage: *rows malloc'ed (caller frees), *n_rows stages. SR_ERR_NOT_FOUND with the command that
 * makes them when the file, table or rows are absent; SR_ERR_DB for a non-SQLite file. Read-only. */
sr_status sr_learntab_lookup(const char *db_path, const char *net, const char *sys, sr_stage_row **rows,
                             int *n_rows, char *err, size_t err_size);

/* The whole `simrun train` command (argv[0] = "train"). 0 success, 1 the work failed, 2 bad input/usage. */
int sr_learntab_main(int argc, char **argv, const char *simrun_version, FILE *out, FILE *errf);

#endif

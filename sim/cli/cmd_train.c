/* cmd_train.c: `simrun train`: a net trained for real on Fashion-MNIST, from scratch or in In-situ AI's
 * incremental stages (the work is in calibration/learntab; docs/papers/insitu.md). */
#include <stdio.h>

#include "sr_cmd.h"
#include "sr_learntab.h"

int sr_cmd_train(int argc, char **argv)
{
    return sr_learntab_main(argc, argv, SR_VERSION, stdout, stderr);
}

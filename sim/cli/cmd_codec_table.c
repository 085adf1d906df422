/* cmd_codec_table.c: `simrun codec-table`: measures activation codecs on a model's split layers and stores
 * the codec table for the cost model (the work is in calibration/codectab; docs/codec-table.md). */
#include <stdio.h>

#include "sr_cmd.h"
#include "sr_codectab.h"

int sr_cmd_codec_table(int argc, char **argv)
{
    return sr_codectab_main(argc, argv, SR_VERSION, stdout, stderr);
}

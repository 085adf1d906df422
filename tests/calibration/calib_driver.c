/* calib_driver.c: a stand-alone `calibrate` command (sr_cmd_calibrate from sim/cli/cmd_calibrate.c)
 * so that the calibration can be run and tested without the whole simrun binary:
 *     build/tests/calibration/sr_calibrate_driver --out host.yaml [--quick] */
#include "sr_cmd.h"

int main(int argc, char **argv)
{
    argv[0] = (char *)"calibrate";
    return sr_cmd_calibrate(argc, argv);
}

/* sr_stats.c: order statistics (sr_stats.h). */
#include "sr_stats.h"

#include <stdlib.h>

int sr_cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double sr_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, sr_cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

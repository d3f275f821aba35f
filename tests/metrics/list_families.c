/*
 * Prints the name of every series the renderer can emit, one a line (a
 * counter's with its _total), for check_dashboard.py: the list comes
 * from the renderer's own family table, not from a copy of it.
 */
#include <stdio.h>

#include "metrics/metrics_int.h"

int main(void)
{
    for (size_t i = 0; i < PSC__FAM_COUNT; i++)
        printf("%s%s\n", psc__fams[i].name, psc__fams[i].counter ? "_total" : "");
    return 0;
}

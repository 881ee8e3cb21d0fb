/*  `codeworm version`: print the version. */
#include <czmq.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cw_cli_int.h"

static int s_cmd_version(cw_cli_t *cli, int argc, char **argv)
{
    (void)cli;
    for (int i = 1; i < argc; i++)
        return cw_cli_usage_error("version", "unexpected argument '%s'", argv[i]);
    printf("codeworm %s\n", CW_VERSION);
    return 0;
}

const cw_cli_command_t cw_cmd_version = {
    "version", "version", "print the version", "Print the version.", "", s_cmd_version};

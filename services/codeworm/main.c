/*  codeworm — the command line (see cw_cli.h). */
#include "cw_cli.h"

int main(int argc, char **argv)
{
    return cw_cli_main(argc, argv);
}

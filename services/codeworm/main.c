/*  codeworm — the command line (see cw_cli.h). */
#include "cw_cli.h"
#include "cw_service.h"

int main(int argc, char **argv)
{
    cw_service_private_files(); /* data_dir, logs, the DevLog it creates: the user's only */
    return cw_cli_main(argc, argv);
}

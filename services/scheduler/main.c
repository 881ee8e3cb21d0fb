/*  codeworm-scheduler — decides when to document and conducts each cycle. */
#include "cw_scheduler.h"
#include "cw_service.h"

int main(int argc, char **argv)
{
    cw_service_info_t info = {
        .name = "scheduler",
        .summary = "Decides when to document (a human-like daily schedule in "
                   "schedule.timezone, or schedule.interval_seconds) and conducts each cycle "
                   "over the bus: analyzer -> committer (dedup + claim) -> generator -> "
                   "committer, up to schedule.max_in_flight cycles at once. Owns the cycle "
                   "log and stats (<data_dir>/cycles.db) and the backoff.",
        .need_repos = true,
    };
    cw_config_t *config = cw_service_start(&info, argc, argv);
    if (!config)
        return 2;
    cw_scheduler_t *scheduler = cw_scheduler_new(config);
    if (!scheduler) {
        cw_config_destroy(&config);
        return 1;
    }
    int rc = cw_scheduler_run(scheduler);
    cw_scheduler_destroy(&scheduler);
    cw_config_destroy(&config);
    return rc;
}

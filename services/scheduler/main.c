/*  codeworm-scheduler — decides when to document and conducts each cycle. */
#include "cw_scheduler.h"
#include "cw_service.h"

static cw_config_t *s_config = NULL;

static int s_apply(void *self, const cw_config_t *config)
{
    return cw_scheduler_reload((cw_scheduler_t *)self, config);
}

/* between cycles: SIGHUP reloads the schedule, weights and repositories */
static int s_reload_hook(cw_scheduler_t *scheduler, void *arg)
{
    (void)arg;
    return cw_service_reload_step(&s_config, s_apply, scheduler) == 1;
}

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
    bool dry_run = false;
    const cw_service_flag_t flags[] = {
        {"--dry-run", "generate documents but never commit them (they are logged)", &dry_run},
        {NULL, NULL, NULL}};
    s_config = cw_service_start_flags(&info, flags, argc, argv);
    if (!s_config)
        return 2;
    cw_scheduler_t *scheduler = cw_scheduler_new(s_config);
    if (!scheduler) {
        cw_config_destroy(&s_config);
        return 1;
    }
    cw_scheduler_set_dry_run(scheduler, dry_run);
    cw_scheduler_set_reload_hook(scheduler, s_reload_hook, NULL);
    int rc = cw_scheduler_run(scheduler);
    cw_scheduler_destroy(&scheduler);
    cw_config_destroy(&s_config);
    return rc;
}

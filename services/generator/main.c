/*  codeworm-generator — worker "generator": prompt -> LLM -> cleaned markdown.
    Thin: options and config via cw_service_start, the logic is in cw_generator.c. */
#include "cw_bus.h"
#include "cw_generator.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_service.h"

static void s_publish(const char *event, cw_value_t **fields, void *arg)
{
    cw_publisher_t *pub = arg;
    if (pub)
        cw_publisher_send(pub, event, fields);
}

typedef struct {
    cw_generator_t *gen;
    cw_publisher_t *pub;
} s_app_t;

static cw_value_t *s_handle(void *self, const cw_value_t *request)
{
    return cw_generator_handle(((s_app_t *)self)->gen, request);
}

/* re-checks a down LLM when it is time */
static int64_t s_tick(void *self)
{
    return cw_generator_tick(((s_app_t *)self)->gen);
}

/* SIGHUP, between requests: a generator built from the new configuration (llm.backend,
   ollama.*, openai.*, prompts) replaces the old one and checks the LLM again. */
static int s_reload(void *self, const cw_config_t *config)
{
    s_app_t *app = self;
    cw_generator_t *fresh = cw_generator_new(config);
    if (!fresh)
        return -1;
    cw_generator_set_event_hook(fresh, s_publish, app->pub);
    cw_generator_destroy(&app->gen);
    app->gen = fresh;
    cw_generator_start(app->gen);
    cw_info("generator_reloaded", CW_LS("backend", cw_llm_backend_name(cw_generator_llm(fresh))),
            CW_LS("model", cw_llm_model(cw_generator_llm(fresh))), CW_LEND);
    return 0;
}

int main(int argc, char **argv)
{
    cw_service_info_t info = {
        .name = "generator",
        .summary =
            "Worker \"generator\": builds the prompt for a documentation target, calls the LLM "
            "(llm.backend: ollama, openai or offline), cleans the answer and replies with the "
            "documentation and a commit message. Run as many instances as you like.",
        .need_repos = false,
        .need_devlog = false};
    cw_config_t *config = cw_service_start(&info, argc, argv);
    if (!config)
        return 2;
    cw_generator_t *gen = cw_generator_new(config);
    if (!gen) {
        cw_config_destroy(&config);
        return 2;
    }
    cw_publisher_t *pub = cw_publisher_new(config->bus.events_in, CW_SERVICE_GENERATOR);
    if (!pub)
        cw_warn("publisher_failed", CW_LS("endpoint", config->bus.events_in), CW_LEND);
    cw_generator_set_event_hook(gen, s_publish, pub);
    cw_service_announce(pub, CW_EV_SERVICE_STARTED, NULL);
    cw_generator_start(gen);

    int rc = 0;
    cw_worker_t *worker = cw_worker_new(config->bus.broker, CW_SERVICE_GENERATOR);
    if (!worker) {
        cw_error("worker_failed", CW_LS("endpoint", config->bus.broker), CW_LEND);
        rc = 1;
    } else {
        cw_info("generator_ready", CW_LS("broker", config->bus.broker),
                CW_LS("backend", cw_llm_backend_name(cw_generator_llm(gen))),
                CW_LS("model", cw_llm_model(cw_generator_llm(gen))), CW_LEND);
        s_app_t app = {gen, pub};
        cw_service_serve_reload(worker, s_handle, s_tick, s_reload, &app, &config);
        gen = app.gen;
        cw_info("generator_stopping", CW_LEND);
        cw_service_announce(pub, CW_EV_SERVICE_STOPPING, "signal");
    }
    cw_worker_destroy(&worker);
    cw_publisher_destroy(&pub);
    cw_generator_destroy(&gen);
    cw_config_destroy(&config);
    return rc;
}

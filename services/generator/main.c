/*  codeworm-generator — worker "generator": prompt -> LLM -> cleaned markdown.
    Thin: options and config via cw_service_start, the logic is in cw_generator.c. */
#include <czmq.h>
#include <unistd.h>

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

static void s_lifecycle(cw_publisher_t *pub, const char *event, const char *reason)
{
    cw_value_t *f = cw_value_new_map();
    if (!f)
        return;
    cw_map_set_int(f, "pid", (int64_t)getpid());
    if (reason)
        cw_map_set_str(f, "reason", reason);
    else
        cw_map_set_str(f, "version", CW_VERSION);
    cw_publisher_send(pub, event, &f);
    cw_value_destroy(&f);
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
    cw_publisher_t *pub = cw_publisher_new(config->bus.events_in, "generator");
    if (!pub)
        cw_warn("publisher_failed", CW_LS("endpoint", config->bus.events_in), CW_LEND);
    cw_generator_set_event_hook(gen, s_publish, pub);
    if (pub)
        s_lifecycle(pub, CW_EV_SERVICE_STARTED, NULL);
    cw_generator_start(gen);

    cw_worker_t *worker = cw_worker_new(config->bus.broker, CW_SERVICE_GENERATOR);
    if (!worker) {
        cw_error("worker_failed", CW_LS("endpoint", config->bus.broker), CW_LEND);
        cw_publisher_destroy(&pub);
        cw_generator_destroy(&gen);
        cw_config_destroy(&config);
        return 1;
    }
    cw_info("generator_ready", CW_LS("broker", config->bus.broker),
            CW_LS("backend", cw_llm_backend_name(cw_generator_llm(gen))),
            CW_LS("model", cw_llm_model(cw_generator_llm(gen))), CW_LEND);
    while (!zsys_interrupted) {
        int64_t due = cw_generator_tick(gen); /* re-checks a down LLM when it is time */
        int timeout = due < 0 || due > 1000 ? 1000 : (int)due;
        cw_value_t *request = cw_worker_recv(worker, timeout);
        if (!request)
            continue;
        cw_value_t *reply = cw_generator_handle(gen, request);
        cw_value_destroy(&request);
        if (reply)
            cw_worker_send(worker, &reply);
        cw_value_destroy(&reply);
    }
    cw_info("generator_stopping", CW_LEND);
    if (pub)
        s_lifecycle(pub, CW_EV_SERVICE_STOPPING, "signal");
    cw_worker_destroy(&worker);
    cw_publisher_destroy(&pub);
    cw_generator_destroy(&gen);
    cw_config_destroy(&config);
    return 0;
}

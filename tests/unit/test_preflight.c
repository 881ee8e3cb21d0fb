/*  Preflight checks of `run` / `run-once` (cw_preflight): each names the real cause and the
    fix; the LLM check only warns.
    cw-test-libs: cw_codeworm cw_analyzer cw_generator cw_committer cw_scheduler */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cw_config.h"
#include "cw_log.h"
#include "cw_preflight.h"

static char s_dir[64];
static int s_port;

static cw_config_t *s_config(void)
{
    cw_config_t *c = cw_config_new_defaults();
    assert_non_null(c);
    char err[256], buf[512];
    snprintf(buf, sizeof buf, "%s/devlog", s_dir);
    assert_int_equal(cw_config_set(c, "devlog.repo_path", buf, err, sizeof err), 0);
    snprintf(buf, sizeof buf, "%s/data", s_dir);
    assert_int_equal(cw_config_set(c, "data_dir", buf, err, sizeof err), 0);
    return c;
}

static void s_set(cw_config_t *c, const char *key, const char *value)
{
    char err[256];
    assert_int_equal(cw_config_set(c, key, value, err, sizeof err), 0);
}

static void test_directories(void **state)
{
    (void)state;
    cw_config_t *c = s_config();
    char msg[1536], path[512];
    /* missing, under a writable directory: it will be created */
    assert_int_equal(cw_preflight_devlog(c, msg, sizeof msg), CW_PREFLIGHT_OK);
    snprintf(path, sizeof path, "%s/deep/er/devlog", s_dir);
    s_set(c, "devlog.repo_path", path);
    assert_int_equal(cw_preflight_devlog(c, msg, sizeof msg), CW_PREFLIGHT_OK);
    /* a file where the DevLog should be */
    snprintf(path, sizeof path, "%s/file", s_dir);
    FILE *f = fopen(path, "w");
    fclose(f);
    s_set(c, "devlog.repo_path", path);
    assert_int_equal(cw_preflight_devlog(c, msg, sizeof msg), CW_PREFLIGHT_FAILED);
    assert_non_null(strstr(msg, "is not a directory"));
    assert_non_null(strstr(msg, "devlog.repo_path"));
    /* below a file: it cannot be created */
    snprintf(path, sizeof path, "%s/file/devlog", s_dir);
    s_set(c, "devlog.repo_path", path);
    assert_int_equal(cw_preflight_devlog(c, msg, sizeof msg), CW_PREFLIGHT_FAILED);
    assert_non_null(strstr(msg, "cannot be created"));
    /* the same rules for data_dir */
    s_set(c, "data_dir", path);
    assert_int_equal(cw_preflight_data(c, msg, sizeof msg), CW_PREFLIGHT_FAILED);
    assert_non_null(strstr(msg, "data_dir"));
    s_set(c, "data_dir", s_dir);
    assert_int_equal(cw_preflight_data(c, msg, sizeof msg), CW_PREFLIGHT_OK);
    cw_config_destroy(&c);
}

static void test_remote(void **state)
{
    (void)state;
    cw_config_t *c = s_config();
    char msg[1536], cmd[1200], devlog[128];
    snprintf(devlog, sizeof devlog, "%s/remote-devlog", s_dir);
    s_set(c, "devlog.repo_path", devlog);
    /* never push */
    assert_int_equal(cw_preflight_remote(c, msg, sizeof msg), CW_PREFLIGHT_OK);
    /* a remote name, no repository yet */
    s_set(c, "devlog.remote", "origin");
    assert_int_equal(cw_preflight_remote(c, msg, sizeof msg), CW_PREFLIGHT_FAILED);
    assert_non_null(strstr(msg, "not a git repository yet"));
    /* a repository with another remote */
    snprintf(cmd, sizeof cmd, "git init -q '%s' && git -C '%s' remote add backup /srv/backup.git",
             devlog, devlog);
    assert_int_equal(system(cmd), 0);
    s_set(c, "devlog.remote", "upstream");
    assert_int_equal(cw_preflight_remote(c, msg, sizeof msg), CW_PREFLIGHT_FAILED);
    assert_non_null(strstr(msg, "'upstream' is not a remote"));
    assert_non_null(strstr(msg, "its remotes: backup"));
    assert_non_null(strstr(msg, "remote add upstream"));
    s_set(c, "devlog.remote", "backup");
    assert_int_equal(cw_preflight_remote(c, msg, sizeof msg), CW_PREFLIGHT_OK);
    /* URLs are not checked; a missing local path is a warning */
    s_set(c, "devlog.remote", "https://example.com/me/devlog.git");
    assert_int_equal(cw_preflight_remote(c, msg, sizeof msg), CW_PREFLIGHT_OK);
    s_set(c, "devlog.remote", "/nonexistent/devlog.git");
    assert_int_equal(cw_preflight_remote(c, msg, sizeof msg), CW_PREFLIGHT_WARNING);
    cw_config_destroy(&c);
}

static void test_ports(void **state)
{
    (void)state;
    cw_config_t *c = s_config();
    char msg[1536], ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", s_port);
    s_set(c, "bus.broker", ep);
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", s_port + 1);
    s_set(c, "bus.events_in", ep);
    snprintf(ep, sizeof ep, "tcp://*:%d", s_port + 2);
    s_set(c, "bus.events_out", ep);
    assert_int_equal(cw_preflight_ports(c, msg, sizeof msg), CW_PREFLIGHT_OK);
    /* something listens on events_in */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)(s_port + 1)),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(fd, 1), 0);
    assert_int_equal(cw_preflight_ports(c, msg, sizeof msg), CW_PREFLIGHT_FAILED);
    char want[64];
    snprintf(want, sizeof want, "port %d (bus.events_in", s_port + 1);
    assert_non_null(strstr(msg, want));
    assert_non_null(strstr(msg, "already in use"));
    close(fd);
    assert_int_equal(cw_preflight_ports(c, msg, sizeof msg), CW_PREFLIGHT_OK);
    /* an address of another machine */
    snprintf(ep, sizeof ep, "tcp://192.0.2.7:%d", s_port);
    s_set(c, "bus.broker", ep);
    assert_int_equal(cw_preflight_ports(c, msg, sizeof msg), CW_PREFLIGHT_FAILED);
    assert_non_null(strstr(msg, "not an address of this machine"));
    cw_config_destroy(&c);
}

static void test_llm_and_run(void **state)
{
    (void)state;
    cw_config_t *c = s_config();
    char msg[1536];
    s_set(c, "llm.backend", "offline");
    assert_int_equal(cw_preflight_llm(c, msg, sizeof msg), CW_PREFLIGHT_OK);
    s_set(c, "llm.backend", "ollama");
    s_set(c, "ollama.host", "127.0.0.1");
    s_set(c, "ollama.port", "1");
    assert_int_equal(cw_preflight_llm(c, msg, sizeof msg), CW_PREFLIGHT_WARNING);
    assert_non_null(strstr(msg, "the LLM does not answer"));
    assert_non_null(strstr(msg, "llm.backend: offline"));
    /* all checks: the warning is printed but does not count; a failure does */
    char out_path[128];
    snprintf(out_path, sizeof out_path, "%s/out.txt", s_dir);
    FILE *out = fopen(out_path, "w+");
    assert_int_equal(cw_preflight_run(c, CW_PREFLIGHT_LLM | CW_PREFLIGHT_DEVLOG, out), 0);
    s_set(c, "devlog.remote", "origin");
    assert_int_equal(cw_preflight_run(c, CW_PREFLIGHT_ALL, out), 1);
    rewind(out);
    char text[8192];
    size_t n = fread(text, 1, sizeof text - 1, out);
    text[n] = '\0';
    fclose(out);
    assert_non_null(strstr(text, "codeworm: preflight warning: the LLM does not answer"));
    assert_non_null(strstr(text, "codeworm: preflight: devlog.remote 'origin'"));
    assert_non_null(strstr(text, "nothing was started (1 preflight check failed)"));
    cw_config_destroy(&c);
}

int main(void)
{
    cw_log_set_format(1);
    snprintf(s_dir, sizeof s_dir, "/tmp/cw-test-preflight-XXXXXX");
    if (!mkdtemp(s_dir))
        return 1;
    const char *base = getenv("CW_PORT_BASE");
    s_port = (base && atoi(base) > 0 ? atoi(base) : 24900) + 15;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_directories),
        cmocka_unit_test(test_remote),
        cmocka_unit_test(test_ports),
        cmocka_unit_test(test_llm_and_run),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}

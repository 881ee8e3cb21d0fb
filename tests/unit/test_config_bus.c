/*  test_config_bus — issue 10: who may use the bus. By default work and event input go
    through Unix sockets in <data_dir>/run (0700, the user's only); a broker refuses to
    bind a non-loopback address without CURVE unless bus.allow_insecure says so; data_dir
    and its files are made private.                                                    */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cw_broker.h"
#include "cw_config.h"
#include "cw_log.h"

static char s_tmp[64];

static int setup(void **state)
{
    (void)state;
    snprintf(s_tmp, sizeof(s_tmp), "/tmp/cw-test-configbus-XXXXXX");
    return mkdtemp(s_tmp) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s_tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static void s_set(cw_config_t *c, const char *key, const char *value)
{
    char err[256];
    if (cw_config_set(c, key, value, err, sizeof(err)) != 0)
        fail_msg("%s: %s", key, err);
}

static mode_t s_mode(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

static void test_private_endpoints(void **state)
{
    (void)state;
    const char *private_eps[] = {
        "ipc:///run/x.sock",    "inproc://x",       "tcp://127.0.0.1:5555", "tcp://127.0.0.53:1",
        "tcp://localhost:5555", "tcp://[::1]:5555", "tcp://lo:5555"};
    const char *public_eps[] = {"tcp://*:5555",
                                "tcp://0.0.0.0:5555",
                                "tcp://10.1.2.3:5555",
                                "tcp://broker:5555",
                                "tcp://[::]:5555",
                                "tcp://eth0:5555",
                                "tcp://192.168.1.9:1",
                                "pgm://x",
                                ""};
    for (size_t i = 0; i < sizeof(private_eps) / sizeof(private_eps[0]); i++)
        if (!cw_config_endpoint_is_private(private_eps[i]))
            fail_msg("%s should count as private", private_eps[i]);
    for (size_t i = 0; i < sizeof(public_eps) / sizeof(public_eps[0]); i++)
        if (cw_config_endpoint_is_private(public_eps[i]))
            fail_msg("%s should not count as private", public_eps[i]);
}

static void test_defaults_follow_data_dir(void **state)
{
    (void)state;
    cw_config_t *c = cw_config_new_defaults();
    char data[128], want[256];
    snprintf(data, sizeof(data), "%s/data", s_tmp);
    s_set(c, "data_dir", data);
    snprintf(want, sizeof(want), "ipc://%s/run/broker.sock", data);
    assert_string_equal(c->bus.broker, want);
    snprintf(want, sizeof(want), "ipc://%s/run/events.sock", data);
    assert_string_equal(c->bus.events_in, want);
    assert_string_equal(c->bus.events_out, "tcp://127.0.0.1:5557"); /* read-only, for anyone */
    /* a data_dir too deep for a Unix socket path: a private folder under /tmp */
    char deep[400];
    snprintf(deep, sizeof(deep), "/srv/%0150d/data", 7);
    s_set(c, "data_dir", deep);
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "ipc:///tmp/codeworm-%u/", (unsigned)getuid());
    assert_true(strncmp(c->bus.events_in, prefix, strlen(prefix)) == 0);
    assert_true(strlen(c->bus.events_in) - 6 <= 107);
    assert_non_null(strstr(c->bus.events_in, "/events.sock"));
    /* a configured TCP broker: the events follow it (ports +1, +2) unless set themselves,
       and stay where they are when data_dir changes */
    s_set(c, "bus.broker", "tcp://127.0.0.1:6000");
    s_set(c, "data_dir", "/srv/elsewhere");
    assert_string_equal(c->bus.broker, "tcp://127.0.0.1:6000");
    assert_string_equal(c->bus.events_in, "tcp://127.0.0.1:6001");
    assert_string_equal(c->bus.events_out, "tcp://127.0.0.1:6002");
    cw_config_destroy(&c);
}

static void test_exposure_needs_curve_or_consent(void **state)
{
    (void)state;
    cw_config_t *c = cw_config_new_defaults();
    char err[1024] = "";
    assert_int_equal(cw_config_check_bus_exposure(c, err, sizeof(err)), 0);
    s_set(c, "bus.broker", "tcp://0.0.0.0:5555");
    assert_int_equal(cw_config_check_bus_exposure(c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "bus.broker = tcp://0.0.0.0:5555"));
    assert_non_null(strstr(err, "CURVE"));
    assert_non_null(strstr(err, "bus.allow_insecure: true"));
    /* the broker itself refuses, before binding anything */
    assert_null(cw_broker_new_config(c));
    s_set(c, "bus.allow_insecure", "true");
    assert_int_equal(cw_config_check_bus_exposure(c, err, sizeof(err)), 0);
    s_set(c, "bus.allow_insecure", "false");
    s_set(c, "bus.broker", "tcp://127.0.0.1:5555");
    s_set(c, "bus.events_out", "tcp://*:5557"); /* any of the three */
    assert_int_equal(cw_config_check_bus_exposure(c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "bus.events_out"));
    cw_config_destroy(&c);
}

static void test_ipc_folder_is_private(void **state)
{
    (void)state;
    char dir[128], ep[192], err[512] = "";
    snprintf(dir, sizeof(dir), "%s/data/run", s_tmp);
    snprintf(ep, sizeof(ep), "ipc://%s/broker.sock", dir);
    assert_int_equal(cw_config_prepare_ipc(ep, err, sizeof(err)), 0);
    assert_int_equal(s_mode(dir), 0700);
    /* a folder someone opened up is closed again */
    assert_int_equal(chmod(dir, 0777), 0);
    assert_int_equal(cw_config_prepare_ipc(ep, err, sizeof(err)), 0);
    assert_int_equal(s_mode(dir), 0700);
    /* a live listener on the path: another broker, refused */
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    assert_true(strlen(dir) + 13 < sizeof(sa.sun_path));
    memcpy(sa.sun_path, dir, strlen(dir));
    memcpy(sa.sun_path + strlen(dir), "/broker.sock", 13);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 1), 0);
    assert_int_equal(cw_config_prepare_ipc(ep, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "another broker"));
    /* a socket file left by a dead broker is no obstacle */
    close(fd);
    assert_int_equal(cw_config_prepare_ipc(ep, err, sizeof(err)), 0);
    /* other transports need nothing */
    assert_int_equal(cw_config_prepare_ipc("tcp://127.0.0.1:1", err, sizeof(err)), 0);
    /* a folder the configuration names that is not CodeWorm's own (like /tmp) is never
       changed: the socket file keeps others out */
    char shared[128], sep[192];
    snprintf(shared, sizeof(shared), "%s/shared-sockets", s_tmp);
    assert_int_equal(mkdir(shared, 0755), 0);
    assert_int_equal(chmod(shared, 01777), 0);
    snprintf(sep, sizeof(sep), "ipc://%s/cw-42-1", shared);
    assert_int_equal(cw_config_prepare_ipc(sep, err, sizeof(err)), 0);
    assert_int_equal(s_mode(shared), 01777);
    snprintf(sep, sizeof(sep), "ipc://%s/broker.sock", shared);
    assert_int_equal(cw_config_prepare_ipc(sep, err, sizeof(err)), 0);
    assert_int_equal(s_mode(shared), 01777);
}

static void test_data_dir_made_private(void **state)
{
    (void)state;
    char data[128], db[192], sub[192];
    snprintf(data, sizeof(data), "%s/shared", s_tmp);
    assert_int_equal(mkdir(data, 0755), 0);
    assert_int_equal(chmod(data, 0755), 0);
    snprintf(db, sizeof(db), "%s/codeworm.db", data);
    FILE *f = fopen(db, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(chmod(db, 0644), 0);
    snprintf(sub, sizeof(sub), "%s/analyzer-git", data);
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(chmod(sub, 0755), 0);
    cw_config_t *c = cw_config_new_defaults();
    s_set(c, "data_dir", data);
    char err[256] = "";
    assert_int_equal(cw_config_secure_data_dir(c, err, sizeof(err)), 0);
    assert_int_equal(s_mode(data), 0700);
    assert_int_equal(s_mode(db), 0600);
    assert_int_equal(s_mode(sub), 0700);
    /* what else data_dir holds is not CodeWorm's: left as it is */
    char other[192];
    snprintf(other, sizeof(other), "%s/notes.txt", data);
    f = fopen(other, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(chmod(other, 0644), 0);
    assert_int_equal(chmod(data, 0755), 0);
    assert_int_equal(cw_config_secure_data_dir(c, err, sizeof(err)), 0);
    assert_int_equal(s_mode(other), 0644);
    assert_int_equal(s_mode(data), 0700);
    /* a shared folder (/tmp) as data_dir: nothing is changed */
    s_set(c, "data_dir", "/tmp");
    assert_int_equal(cw_config_secure_data_dir(c, err, sizeof(err)), 0);
    assert_int_equal(s_mode("/tmp") & 01777, 01777);
    /* a data_dir created by CodeWorm starts private */
    char fresh[128], path[256];
    snprintf(fresh, sizeof(fresh), "%s/fresh/data", s_tmp);
    s_set(c, "data_dir", fresh);
    assert_int_equal(cw_config_data_path(c, "x.db", path, sizeof(path)), 0);
    assert_int_equal(s_mode(fresh), 0700);
    cw_config_destroy(&c);
}

int main(void)
{
    cw_log_init("test_config_bus");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_private_endpoints),
        cmocka_unit_test(test_defaults_follow_data_dir),
        cmocka_unit_test(test_exposure_needs_curve_or_consent),
        cmocka_unit_test(test_ipc_folder_is_private),
        cmocka_unit_test(test_data_dir_made_private),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*  `codeworm stats`: documentation statistics, from the committer or the ledger file. */
#include <czmq.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cw_cli_int.h"
#include <sqlite3.h>
#include <time.h>

#include "cw_bus.h"
#include "cw_json.h"
#include "cw_log.h"
#include "cw_proto.h"
#include "cw_value.h"

static cw_value_t *s_stats_from_bus(const cw_config_t *config)
{
    cw_client_t *client = cw_client_new(config->bus.broker);
    if (!client)
        return NULL;
    cw_value_t *result = NULL;
    cw_value_t *status = cw_client_broker_status(client, CW_CLI_STATUS_TIMEOUT_MS);
    if (status && cw_cli_service_workers(status, CW_SERVICE_COMMITTER) > 0) {
        cw_value_t *req = cw_proto_new(CW_MSG_STATS_REQUEST);
        char job[33];
        cw_bus_new_job_id(job);
        cw_map_set_str(req, "job_id", job);
        char err[256] = "";
        cw_value_t *reply =
            cw_client_request(client, CW_SERVICE_COMMITTER, &req, 3000, 1, err, sizeof(err));
        cw_value_destroy(&req);
        if (reply && cw_proto_type(reply) && strcmp(cw_proto_type(reply), CW_MSG_STATS_REPLY) == 0)
            result = reply;
        else {
            cw_warn("stats_over_bus_failed",
                    CW_LS("reason", reply ? cw_map_str(reply, "message", "error") : err), CW_LEND);
            cw_value_destroy(&reply);
        }
    }
    cw_value_destroy(&status);
    cw_client_destroy(&client);
    return result;
}

static int s_sql_groups(sqlite3 *db, const char *sql, cw_value_t *out)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW && rows < 10000) {
        const char *key = (const char *)sqlite3_column_text(st, 0);
        cw_map_set_int(out, key ? key : "(none)", sqlite3_column_int64(st, 1));
        rows++;
    }
    sqlite3_finalize(st);
    return 0;
}

static int64_t s_sql_count(sqlite3 *db, const char *sql, const char *arg, bool *ok)
{
    sqlite3_stmt *st = NULL;
    int64_t n = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        *ok = false;
        return 0;
    }
    if (arg)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    else
        *ok = false;
    sqlite3_finalize(st);
    return n;
}

/* Read <data_dir>/codeworm.db read-only. NULL + message if it cannot be read. */
static cw_value_t *s_stats_from_db(const cw_config_t *config, char *where, size_t wherelen)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/codeworm.db", config->data_dir ? config->data_dir : "data");
    snprintf(where, wherelen, "%s", path);
    cw_value_t *out = cw_value_new_map();
    cw_value_t *by_repo = cw_value_new_map();
    cw_value_t *by_type = cw_value_new_map();
    if (access(path, F_OK) != 0) {
        cw_map_set_int(out, "total", 0);
        cw_map_set_int(out, "last_7_days", 0);
        cw_map_set(out, "by_repo", by_repo);
        cw_map_set(out, "by_doc_type", by_type);
        return out;
    }
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "codeworm stats: cannot open %s: %s\n", path,
                db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        cw_value_destroy(&out);
        cw_value_destroy(&by_repo);
        cw_value_destroy(&by_type);
        return NULL;
    }
    sqlite3_busy_timeout(db, 2000);
    /* documented_at is local time, Python isoformat */
    char cutoff[32];
    time_t week_ago = time(NULL) - 7 * 86400;
    struct tm tm;
    localtime_r(&week_ago, &tm);
    strftime(cutoff, sizeof(cutoff), "%Y-%m-%dT%H:%M:%S", &tm);
    bool ok = true;
    int64_t total = s_sql_count(db, "SELECT COUNT(*) FROM documented_snippets", NULL, &ok);
    int64_t recent = s_sql_count(db,
                                 "SELECT COUNT(*) FROM documented_snippets WHERE "
                                 "julianday(documented_at) >= julianday(?1)",
                                 cutoff, &ok);
    if (ok)
        ok = s_sql_groups(db,
                          "SELECT source_repo, COUNT(*) FROM documented_snippets GROUP BY "
                          "source_repo ORDER BY COUNT(*) DESC, source_repo",
                          by_repo) == 0 &&
             s_sql_groups(db,
                          "SELECT doc_type, COUNT(*) FROM documented_snippets GROUP BY doc_type "
                          "ORDER BY COUNT(*) DESC, doc_type",
                          by_type) == 0;
    if (!ok)
        fprintf(stderr, "codeworm stats: %s is not a CodeWorm ledger (%s)\n", path,
                sqlite3_errmsg(db));
    sqlite3_close(db);
    if (!ok) {
        cw_value_destroy(&out);
        cw_value_destroy(&by_repo);
        cw_value_destroy(&by_type);
        return NULL;
    }
    cw_map_set_int(out, "total", total);
    cw_map_set_int(out, "last_7_days", recent);
    cw_map_set(out, "by_repo", by_repo);
    cw_map_set(out, "by_doc_type", by_type);
    return out;
}

static void s_print_group(const char *title, const cw_value_t *map)
{
    printf("%s:\n", title);
    size_t n = map ? cw_value_size(map) : 0;
    if (n == 0)
        printf("  (none)\n");
    for (size_t i = 0; i < n; i++)
        printf("  %-32s %lld\n", cw_map_key_at(map, i),
               (long long)cw_value_int(cw_map_value_at(map, i)));
}

static int s_cmd_stats(cw_cli_t *cli, int argc, char **argv)
{
    bool json = false;
    for (int i = 1; i < argc; i++) {
        int r = cw_cli_parse_stack_option(cli, "stats", argc, argv, &i, false, false);
        if (r < 0)
            return 2;
        if (r == 1)
            continue;
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else
            return cw_cli_usage_error("stats", "unknown option '%s'", argv[i]);
    }
    int rc = 0;
    cw_config_t *config = cw_cli_load(cli, 0, &rc);
    if (!config)
        return rc;
    char source[PATH_MAX + 32] = "";
    cw_value_t *stats = s_stats_from_bus(config);
    if (stats)
        snprintf(source, sizeof(source), "committer via %s", config->bus.broker);
    else {
        char where[PATH_MAX];
        stats = s_stats_from_db(config, where, sizeof(where));
        snprintf(source, sizeof(source), "%s", where);
    }
    if (!stats) {
        cw_config_destroy(&config);
        return 2;
    }
    if (json) {
        cw_value_t *copy = cw_value_clone(stats);
        cw_map_set_str(copy, "source", source);
        if (!cw_map_get(copy, "devlog_path") && config->devlog.repo_path)
            cw_map_set_str(copy, "devlog_path", config->devlog.repo_path);
        char *text = cw_json_encode(copy);
        printf("%s\n", text ? text : "{}");
        free(text);
        cw_value_destroy(&copy);
    } else {
        const char *devlog = cw_map_str(stats, "devlog_path", config->devlog.repo_path);
        printf("CodeWorm statistics (%s)\n", source);
        if (devlog && *devlog)
            printf("DevLog:            %s\n", devlog);
        printf("Total documented:  %lld\n", (long long)cw_map_int(stats, "total", 0));
        printf("Last 7 days:       %lld\n", (long long)cw_map_int(stats, "last_7_days", 0));
        s_print_group("By repository", cw_map_get(stats, "by_repo"));
        s_print_group("By doc type", cw_map_get(stats, "by_doc_type"));
    }
    cw_value_destroy(&stats);
    cw_config_destroy(&config);
    return 0;
}

const cw_cli_command_t cw_cmd_stats = {
    "stats",
    "stats [--devlog PATH] [--json]",
    "documentation statistics",
    "Documentation statistics: from the committer if a stack runs, else read from\n"
    "<data_dir>/codeworm.db (read-only).",
    "  --devlog PATH         DevLog repository (shown)\n"
    "  --json                one JSON object\n",
    s_cmd_stats};

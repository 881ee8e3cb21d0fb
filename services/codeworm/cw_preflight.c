/*  cw_preflight — checks before `run` / `run-once` start anything. See cw_preflight.h. */
#include "cw_preflight.h"

#include <errno.h>
#include <git2.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cw_cli_int.h"
#include "cw_http.h"
#include "cw_json.h"
#include "../generator/cw_llm.h"

#define S_LLM_TIMEOUT_MS 3000

/* ------------------------------------------------------------------ directories */
/* A directory we (will) write into: an existing writable directory, or a path whose
   nearest existing ancestor is a writable directory. `what` names it in the message. */
static cw_preflight_status_t s_writable_dir(const char *path, const char *what, const char *fix,
                                            char *msg, size_t len)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            snprintf(msg, len, "%s %s exists but is not a directory. Fix: %s", what, path, fix);
            return CW_PREFLIGHT_FAILED;
        }
        if (access(path, W_OK | X_OK) != 0) {
            snprintf(msg, len, "%s %s is not writable by this user (uid %d): %s. Fix: %s", what,
                     path, (int)geteuid(), strerror(errno), fix);
            return CW_PREFLIGHT_FAILED;
        }
        return CW_PREFLIGHT_OK;
    }
    if (errno != ENOENT && errno != ENOTDIR) {
        snprintf(msg, len, "%s %s cannot be reached: %s. Fix: %s", what, path, strerror(errno),
                 fix);
        return CW_PREFLIGHT_FAILED;
    }
    /* missing: it will be created; the nearest existing ancestor must allow that */
    char parent[PATH_MAX];
    snprintf(parent, sizeof(parent), "%s", path);
    for (;;) {
        char *slash = strrchr(parent, '/');
        if (!slash) {
            snprintf(parent, sizeof(parent), ".");
        } else if (slash == parent) {
            parent[1] = '\0';
        } else
            *slash = '\0';
        if (stat(parent, &st) == 0)
            break;
        if ((errno != ENOENT && errno != ENOTDIR) || strcmp(parent, ".") == 0 ||
            strcmp(parent, "/") == 0) {
            snprintf(msg, len, "%s %s cannot be created: %s: %s. Fix: %s", what, path, parent,
                     strerror(errno), fix);
            return CW_PREFLIGHT_FAILED;
        }
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(msg, len, "%s %s cannot be created: %s is not a directory. Fix: %s", what, path,
                 parent, fix);
        return CW_PREFLIGHT_FAILED;
    }
    if (access(parent, W_OK | X_OK) != 0) {
        snprintf(msg, len,
                 "%s %s cannot be created: %s is not writable by this user (uid %d): %s. Fix: %s",
                 what, path, parent, (int)geteuid(), strerror(errno), fix);
        return CW_PREFLIGHT_FAILED;
    }
    return CW_PREFLIGHT_OK;
}

cw_preflight_status_t cw_preflight_devlog(const cw_config_t *config, char *msg, size_t len)
{
    const char *path = config->devlog.repo_path;
    const char *fix = "give this user write access to it (chown/chmod), or point "
                      "devlog.repo_path (or --devlog) at a writable place";
    if (!path || !*path) {
        snprintf(msg, len,
                 "devlog.repo_path is not set. Fix: set it in config.yaml, with "
                 "CODEWORM_DEVLOG__REPO_PATH or --devlog PATH");
        return CW_PREFLIGHT_FAILED;
    }
    cw_preflight_status_t st = s_writable_dir(path, "the DevLog", fix, msg, len);
    if (st != CW_PREFLIGHT_OK)
        return st;
    /* an existing repository: git writes under .git (objects, refs, index) */
    const char *inner[] = {".git", ".git/objects", ".git/refs/heads"};
    for (size_t i = 0; i < sizeof(inner) / sizeof(inner[0]); i++) {
        char sub[PATH_MAX];
        snprintf(sub, sizeof(sub), "%s/%s", path, inner[i]);
        struct stat sb;
        if (stat(sub, &sb) == 0 && S_ISDIR(sb.st_mode) && access(sub, W_OK | X_OK) != 0) {
            snprintf(msg, len,
                     "the DevLog %s is not writable: %s is not writable by this user (uid %d): "
                     "%s. Fix: %s",
                     path, sub, (int)geteuid(), strerror(errno), fix);
            return CW_PREFLIGHT_FAILED;
        }
    }
    return CW_PREFLIGHT_OK;
}

cw_preflight_status_t cw_preflight_data(const cw_config_t *config, char *msg, size_t len)
{
    const char *dir = config->data_dir && *config->data_dir ? config->data_dir : "data";
    return s_writable_dir(dir, "data_dir",
                          "give this user write access to it, or set data_dir "
                          "(config.yaml or CODEWORM_DATA_DIR) to a writable place",
                          msg, len);
}

/* ------------------------------------------------------------------ remote */
cw_preflight_status_t cw_preflight_remote(const cw_config_t *config, char *msg, size_t len)
{
    const char *remote = config->devlog.remote;
    const char *devlog = config->devlog.repo_path;
    if (!remote || !*remote || !devlog || !*devlog)
        return CW_PREFLIGHT_OK;                 /* never push */
    if (remote[0] == '/' || remote[0] == '.') { /* a local path */
        struct stat st;
        if (stat(remote, &st) != 0) {
            snprintf(msg, len,
                     "devlog.remote %s does not exist (%s): commits stay local until it does "
                     "(an unmounted disk?)",
                     remote, strerror(errno));
            return CW_PREFLIGHT_WARNING;
        }
        return CW_PREFLIGHT_OK;
    }
    git_libgit2_init();
    int valid = 0;
    if (strchr(remote, '/') || strchr(remote, ':') ||
        git_remote_name_is_valid(&valid, remote) != 0 || !valid) {
        git_libgit2_shutdown();
        return CW_PREFLIGHT_OK; /* a URL: the push itself tells */
    }
    git_repository *repo = NULL;
    cw_preflight_status_t result = CW_PREFLIGHT_OK;
    if (git_repository_open_ext(&repo, devlog, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) != 0) {
        snprintf(msg, len,
                 "devlog.remote '%s' names a remote, but the DevLog %s is not a git repository "
                 "yet (it would be created without remotes). Fix: `codeworm init`, then `git -C %s "
                 "remote add %s URL`; or set devlog.remote to the URL, or to \"\" to never push",
                 remote, devlog, devlog, remote);
        result = CW_PREFLIGHT_FAILED;
    } else {
        git_config *cfg = NULL;
        char key[300];
        snprintf(key, sizeof(key), "remote.%s.url", remote);
        const char *url = NULL;
        bool found = git_repository_config_snapshot(&cfg, repo) == 0 &&
                     git_config_get_string(&url, cfg, key) == 0 && url && *url;
        if (!found) {
            /* name the remotes it does have ("remote.<name>.url" entries; walked by hand:
               git_remote_list's regex leaks pcre2 match data in libgit2 1.5) */
            char names[256] = "";
            git_config_iterator *it = NULL;
            git_config_entry *entry = NULL;
            if (cfg && git_config_iterator_new(&it, cfg) == 0) {
                while (git_config_next(&entry, it) == 0) {
                    const char *n = entry->name;
                    size_t nl = strlen(n);
                    if (strncmp(n, "remote.", 7) != 0 || nl < 12 || strcmp(n + nl - 4, ".url") != 0)
                        continue;
                    size_t used = strlen(names);
                    snprintf(names + used, sizeof(names) - used, "%s%.*s", used ? ", " : "",
                             (int)(nl - 11), n + 7);
                }
                git_config_iterator_free(it);
            }
            snprintf(msg, len,
                     "devlog.remote '%s' is not a remote of the DevLog %s (%s%s). Fix: `git -C %s "
                     "remote add %s URL`, or set devlog.remote to an existing remote, a URL, or "
                     "\"\" to never push",
                     remote, devlog, names[0] ? "its remotes: " : "it has no remotes", names,
                     devlog, remote);
            result = CW_PREFLIGHT_FAILED;
        }
        git_config_free(cfg);
        git_repository_free(repo);
    }
    git_libgit2_shutdown();
    return result;
}

/* ------------------------------------------------------------------ ports */
static const char *s_bind_hint =
    "another program (or another CodeWorm stack: `codeworm status` tells) uses it. Fix: stop "
    "it, or move the bus to free ports with bus.broker, bus.events_in and bus.events_out";

/* Can the broker bind `endpoint`? */
static cw_preflight_status_t s_check_bind(const char *key, const char *endpoint, char *msg,
                                          size_t len)
{
    if (!endpoint || !*endpoint)
        return CW_PREFLIGHT_OK;
    if (strncmp(endpoint, "ipc://", 6) == 0) {
        const char *path = endpoint + 6;
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(sa.sun_path))
            return CW_PREFLIGHT_OK;
        strcpy(sa.sun_path, path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool in_use = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
        if (fd >= 0)
            close(fd);
        if (in_use) {
            snprintf(msg, len, "%s %s is already in use: %s", key, endpoint, s_bind_hint);
            return CW_PREFLIGHT_FAILED;
        }
        return CW_PREFLIGHT_OK;
    }
    char host[256], port[16];
    if (!cw_cli_tcp_endpoint(endpoint, host, sizeof(host), port, sizeof(port)))
        return CW_PREFLIGHT_OK;
    const char *h = host;
    bool any = strcmp(h, "*") == 0;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res = NULL;
    int gai = getaddrinfo(any ? NULL : h, port, &hints, &res);
    if (gai != 0 || !res) {
        snprintf(msg, len,
                 "%s %s: cannot resolve '%s': %s. Fix: set %s to an address of this "
                 "machine, e.g. tcp://127.0.0.1:%s",
                 key, endpoint, h, gai_strerror(gai), key, port);
        return CW_PREFLIGHT_FAILED;
    }
    cw_preflight_status_t result = CW_PREFLIGHT_OK;
    int fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
        int one = 1; /* as libzmq's listeners: a port in TIME_WAIT is free */
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
            int e = errno;
            if (e == EADDRINUSE)
                snprintf(msg, len, "port %s (%s %s) is already in use: %s", port, key, endpoint,
                         s_bind_hint);
            else if (e == EADDRNOTAVAIL)
                snprintf(msg, len,
                         "%s %s is not an address of this machine, so the broker `run` starts "
                         "here cannot listen on it. Fix: use a local address (tcp://127.0.0.1:%s "
                         "or tcp://0.0.0.0:%s), or run the broker on that machine",
                         key, endpoint, port, port);
            else
                snprintf(msg, len, "%s %s cannot be listened on: %s. Fix: choose another port", key,
                         endpoint, strerror(e));
            result = CW_PREFLIGHT_FAILED;
        }
        close(fd);
    }
    freeaddrinfo(res);
    return result;
}

cw_preflight_status_t cw_preflight_ports(const cw_config_t *config, char *msg, size_t len)
{
    const char *keys[] = {"bus.broker", "bus.events_in", "bus.events_out"};
    const char *endpoints[] = {config->bus.broker, config->bus.events_in, config->bus.events_out};
    for (size_t i = 0; i < 3; i++) {
        cw_preflight_status_t st = s_check_bind(keys[i], endpoints[i], msg, len);
        if (st != CW_PREFLIGHT_OK)
            return st;
    }
    return CW_PREFLIGHT_OK;
}

/* ------------------------------------------------------------------ llm */
/* Is `model` among Ollama's pulled models (GET /api/tags)? -1 when that cannot be told. */
static int s_ollama_has_model(const cw_config_t *config, const char *model)
{
    char url[512];
    snprintf(url, sizeof(url), "http://%s:%d/api/tags",
             config->ollama.host && *config->ollama.host ? config->ollama.host : "localhost",
             config->ollama.port > 0 ? config->ollama.port : 11434);
    cw_http_options_t opts = {.connect_timeout_ms = S_LLM_TIMEOUT_MS,
                              .timeout_ms = S_LLM_TIMEOUT_MS,
                              .max_response = 1024 * 1024};
    cw_http_response_t resp;
    int rc = cw_http_get(url, NULL, &opts, &resp);
    int found = -1;
    if (rc == 0 && resp.status == 200 && resp.body) {
        char err[64];
        cw_value_t *root = cw_json_parse(resp.body, resp.body_len, err, sizeof(err));
        const cw_value_t *models = cw_map_get(root, "models");
        if (cw_value_kind(models) == CW_VAL_ARRAY) {
            found = 0;
            size_t want = strlen(model);
            for (size_t i = 0; i < cw_value_size(models) && !found; i++) {
                const char *name = cw_map_str(cw_array_at(models, i), "name", "");
                /* "qwen2.5:7b" or "llama3" = "llama3:latest" */
                found = strcmp(name, model) == 0 ||
                        (!strchr(model, ':') && strncmp(name, model, want) == 0 &&
                         strcmp(name + want, ":latest") == 0);
            }
        }
        cw_value_destroy(&root);
    }
    cw_http_response_clear(&resp);
    return found;
}

cw_preflight_status_t cw_preflight_llm(const cw_config_t *config, char *msg, size_t len)
{
    char err[400] = "";
    cw_llm_t *llm = cw_llm_new(config, err, sizeof(err));
    if (!llm) {
        snprintf(msg, len, "the LLM settings are not usable: %s", err);
        return CW_PREFLIGHT_WARNING;
    }
    cw_preflight_status_t result = CW_PREFLIGHT_OK;
    const char *backend = cw_llm_backend_name(llm);
    if (!cw_llm_is_offline(llm)) {
        bool ollama = strcmp(backend, "ollama") == 0;
        if (!cw_llm_health(llm, err, sizeof(err))) {
            snprintf(msg, len,
                     "the LLM does not answer (%s, model %s): %s. Documentation waits for it and "
                     "retries (10 s, doubling to 5 min). Fix: %s, or set llm.backend: offline",
                     backend, cw_llm_model(llm), err,
                     ollama ? "start it (`ollama serve`) or set ollama.host / ollama.port"
                            : "start the server or set openai.base_url");
            result = CW_PREFLIGHT_WARNING;
        } else if (ollama && s_ollama_has_model(config, cw_llm_model(llm)) == 0) {
            snprintf(msg, len,
                     "Ollama answers but has no model '%s': every document will fail. Fix: "
                     "`ollama pull %s`, or set ollama.model to one it has",
                     cw_llm_model(llm), cw_llm_model(llm));
            result = CW_PREFLIGHT_WARNING;
        }
    }
    cw_llm_destroy(&llm);
    return result;
}

/* ------------------------------------------------------------------ all */
int cw_preflight_run(const cw_config_t *config, unsigned checks, FILE *out)
{
    typedef cw_preflight_status_t(check_fn)(const cw_config_t *, char *, size_t);
    struct {
        unsigned bit;
        check_fn *fn;
    } all[] = {
        {CW_PREFLIGHT_DEVLOG, cw_preflight_devlog}, {CW_PREFLIGHT_DATA, cw_preflight_data},
        {CW_PREFLIGHT_REMOTE, cw_preflight_remote}, {CW_PREFLIGHT_PORTS, cw_preflight_ports},
        {CW_PREFLIGHT_LLM, cw_preflight_llm},
    };
    int failures = 0;
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (!(checks & all[i].bit))
            continue;
        char msg[1536] = "";
        cw_preflight_status_t st = all[i].fn(config, msg, sizeof(msg));
        if (st == CW_PREFLIGHT_FAILED) {
            failures++;
            fprintf(out, "codeworm: preflight: %s\n", msg);
        } else if (st == CW_PREFLIGHT_WARNING)
            fprintf(out, "codeworm: preflight warning: %s\n", msg);
    }
    if (failures)
        fprintf(out, "codeworm: nothing was started (%d preflight check%s failed)\n", failures,
                failures == 1 ? "" : "s");
    fflush(out);
    return failures;
}

/*  cw_devlog_int — what cw_devlog.c and cw_devlog_push.c share: the repository object. Not
    for other files. */
#ifndef CW_DEVLOG_INT_H
#define CW_DEVLOG_INT_H

#include <git2.h>
#include <stdbool.h>

struct _cw_devlog_t {
    git_repository *repo;
    char *path;
    char *branch;
    char *branch_ref; /* refs/heads/<branch> */
    char *author_name;
    char *author_email;
    bool created;
    int push_failures;
};

/* libgit2's last error message, never NULL. */
const char *cw_devlog_git_error(void);

#endif

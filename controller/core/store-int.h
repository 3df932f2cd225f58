/* What store_group.c needs of the mirror in store.c: put, drop, and the end of a commit. */
#ifndef FULCRUM_STORE_INT_H
#define FULCRUM_STORE_INT_H

#include "controller/core/store.h"

/*
 * The mirror takes vs / rs as committed (replacing the object with its id,
 * or adding it) and notes its id as given out. 0 or -ENOMEM (then the mirror
 * may lack the object: store_mirror_committed() with that rc reloads it).
 */
int store_mirror_put_vs(struct store *st, const struct fulcrum_vs *vs);
int store_mirror_put_rs(struct store *st, const struct fulcrum_rs *rs);

/* The mirror drops service id (and its real servers) / real server id; absent is fine. */
void store_mirror_drop_vs(struct store *st, int64_t id);
void store_mirror_drop_rs(struct store *st, int64_t id);

/*
 * After the mirror took one committed command, whose result is res: rc not 0 (the mirror could not follow), or another process's commit
 * since the mirror last looked, reloads it all from the database. The
 * commit event (a reload event after a reload) is published when the
 * revision moved.
 */
void store_mirror_committed(struct store *st, int rc, const struct command_result *res);

#endif

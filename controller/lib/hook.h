/* Typed subscriber lists: a module publishes an event, whoever subscribed hears it, in order. */
#ifndef FULCRUM_LIB_HOOK_H
#define FULCRUM_LIB_HOOK_H

#include <stddef.h>

/*
 * One mechanism for every "tell me when" in fulcrumd: the store's commit
 * event, the health checks' state changes, the operational state's changes
 * (and, with failover, role changes). A publisher keeps a struct hook and
 * declares its event type once with HOOK_DECLARE(); subscribers get a typed
 * add function, so a subscriber of the wrong type does not compile.
 *
 *   HOOK_DECLARE(store_commit_hook, struct store_commit)
 *     -> typedef void (*store_commit_hook_fn)(void *arg, const struct store_commit *ev);
 *        int  store_commit_hook_add(struct hook *h, store_commit_hook_fn fn, void *arg);
 *        void store_commit_hook_remove(struct hook *h, store_commit_hook_fn fn, void *arg);
 *        void store_commit_hook_run(const struct hook *h, const struct store_commit *ev);
 *
 * Subscribers run in the order they were added, on the publisher's thread;
 * a subscriber must not add to or remove from the hook it is called from.
 * A subscriber that goes away before its publisher removes itself.
 */

/* A function pointer of no particular type: HOOK_DECLARE's wrappers cast it back before calling. */
typedef void (*hook_any_fn)(void);

struct hook_sub {
	hook_any_fn fn;
	void *arg;
};

struct hook {
	struct hook_sub *subs; /* malloc'ed, n of them */
	size_t n;
};

/* Adds fn with arg at the end of h (zero-initialised before its first use). 0 or -ENOMEM. */
int hook_add(struct hook *h, hook_any_fn fn, void *arg);

/* Removes the subscriber fn with arg (the first such), if there is one. */
void hook_remove(struct hook *h, hook_any_fn fn, void *arg);

/* Forgets every subscriber and frees the list; h can be used again. */
void hook_clear(struct hook *h);

#define HOOK_DECLARE(name, evtype)                                                                 \
	typedef void (*name##_fn)(void *arg, const evtype *ev);                                    \
	static inline int name##_add(struct hook *h, name##_fn fn, void *arg)                      \
	{                                                                                          \
		return hook_add(h, (hook_any_fn)fn, arg);                                          \
	}                                                                                          \
	static inline void name##_remove(struct hook *h, name##_fn fn, void *arg)                  \
	{                                                                                          \
		hook_remove(h, (hook_any_fn)fn, arg);                                              \
	}                                                                                          \
	static inline void name##_run(const struct hook *h, const evtype *ev)                      \
	{                                                                                          \
		for (size_t i_ = 0; i_ < h->n; i_++)                                               \
			((name##_fn)h->subs[i_].fn)(h->subs[i_].arg, ev);                          \
	}

#endif

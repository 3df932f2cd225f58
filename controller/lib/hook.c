/* Typed subscriber lists: the storage behind HOOK_DECLARE(). */
#include "controller/lib/hook.h"

#include <errno.h>
#include <stdlib.h>

int hook_add(struct hook *h, hook_any_fn fn, void *arg)
{
	struct hook_sub *subs = realloc(h->subs, (h->n + 1) * sizeof(*subs));

	if (!subs)
		return -ENOMEM;
	subs[h->n].fn = fn;
	subs[h->n].arg = arg;
	h->subs = subs;
	h->n++;
	return 0;
}

void hook_remove(struct hook *h, hook_any_fn fn, void *arg)
{
	for (size_t i = 0; i < h->n; i++) {
		if (h->subs[i].fn != fn || h->subs[i].arg != arg)
			continue;
		for (size_t k = i + 1; k < h->n; k++)
			h->subs[k - 1] = h->subs[k];
		h->n--;
		return;
	}
}

void hook_clear(struct hook *h)
{
	free(h->subs);
	h->subs = NULL;
	h->n = 0;
}

/* Prints fulcrumd's settings table (controller/core/conf.c), one setting a line, for tests/host/man.sh. */
#include "controller/core/conf.h"

#include <stdio.h>

/* The words the man page uses for a setting's type. */
static const char *conf_settings_type(enum conf_type type)
{
	switch (type) {
	case CONF_ULONG:
		return "number";
	case CONF_BOOL:
		return "boolean";
	case CONF_LOG_LEVEL:
	case CONF_REPL_MODE:
		return "choice";
	case CONF_STRING:
	case CONF_LISTEN:
	case CONF_PEER:
	case CONF_ADDR:
	case CONF_ADDRS:
	case CONF_NAME:
		break;
	}
	return "text";
}

/*
 * Usage: conf-settings
 * Prints "NAME<TAB>TYPE<TAB>DEFAULT<TAB>MIN<TAB>MAX" for every setting, in the
 * table's order; TYPE is number, boolean, choice or text; DEFAULT is as the
 * file spells it (empty for none); MIN and MAX are empty but for numbers.
 */
int main(void)
{
	size_t n;
	const struct conf_setting *s = conf_settings(&n);

	for (size_t i = 0; i < n; i++) {
		if (s[i].type == CONF_ULONG)
			printf("%s\t%s\t%s\t%lu\t%lu\n", s[i].name, conf_settings_type(s[i].type),
			       s[i].def, s[i].min, s[i].max);
		else
			printf("%s\t%s\t%s\t\t\n", s[i].name, conf_settings_type(s[i].type),
			       s[i].def);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

/* Logging: stderr in the foreground, syslog as a daemon, or a file that SIGHUP reopens. */
#include "controller/lib/log.h"
#include "controller/lib/utf8.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static const char *const level_names[] = {"error", "warning", "notice", "info", "debug"};
static const int level_syslog[] = {LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG};

static struct {
	enum log_target target;
	enum log_level level;
	FILE *file;
	char path[4096];
	char ident[32];
} lg = {.target = LOG_TARGET_STDERR, .level = LOG_LEVEL_INFO, .ident = "fulcrum"};

/*
 * The failover engine logs from threads of its own: the file is written and
 * swapped (SIGHUP) under this lock, so a reopen never closes it under a write.
 */
static pthread_mutex_t lg_lock = PTHREAD_MUTEX_INITIALIZER;

int log_init(const char *ident, enum log_target target, const char *path, enum log_level level)
{
	log_close();
	snprintf(lg.ident, sizeof(lg.ident), "%s", ident ? ident : "fulcrum");
	lg.level = level;
	lg.target = target;
	if (target == LOG_TARGET_SYSLOG) {
		openlog(lg.ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		return 0;
	}
	if (target == LOG_TARGET_FILE) {
		snprintf(lg.path, sizeof(lg.path), "%s", path ? path : "");
		return log_reopen();
	}
	return 0;
}

int log_reopen(void)
{
	FILE *f;

	if (lg.target != LOG_TARGET_FILE)
		return 0;
	f = fopen(lg.path, "ae");
	if (!f) {
		int rc = -errno;

		log_warn("log", "cannot open log file %s", lg.path);
		return rc;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	pthread_mutex_lock(&lg_lock);
	FILE *old = lg.file;
	lg.file = f;
	pthread_mutex_unlock(&lg_lock);
	if (old)
		fclose(old);
	return 0;
}

void log_close(void)
{
	if (lg.target == LOG_TARGET_SYSLOG)
		closelog();
	pthread_mutex_lock(&lg_lock);
	if (lg.file) {
		fclose(lg.file);
		lg.file = NULL;
	}
	lg.target = LOG_TARGET_STDERR;
	pthread_mutex_unlock(&lg_lock);
}

void log_set_level(enum log_level level)
{
	lg.level = level;
}

enum log_level log_get_level(void)
{
	return lg.level;
}

int log_level_parse(const char *name, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (name && strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *log_level_name(enum log_level level)
{
	if ((unsigned)level >= sizeof(level_names) / sizeof(level_names[0]))
		return "?";
	return level_names[level];
}

/*
 * Copies in to out (len bytes) with what a client may have put in it made
 * harmless for a log: control characters (a newline would forge a line)
 * and bytes that are no valid UTF-8 become \xHH (a backslash stays as it
 * is: a regex in a check's message reads as written). Cut to fit.
 */
static void log_escape(const char *in, char *out, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;

	while (*s && o + 5 < len) {
		uint32_t cp;
		size_t n = utf8_decode(s, strnlen((const char *)s, 4), &cp);

		if (n == 0 || cp < 0x20 || cp == 0x7f) {
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", *s);
			s++;
		} else {
			if (o + n >= len)
				break;
			memcpy(out + o, s, n);
			o += n;
			s += n;
		}
	}
	out[o] = '\0';
}

static void log_vemit(enum log_level level, const char *token, int errnum, const char *fmt,
		      va_list ap)
{
	char raw[2048], msg[4096];
	int n;

	if (level > lg.level)
		return;
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	if (n >= 0 && errnum && (size_t)n < sizeof(raw))
		snprintf(raw + n, sizeof(raw) - (size_t)n, ": %s", strerror(errnum));
	log_escape(raw, msg, sizeof(msg));
	if (lg.target == LOG_TARGET_SYSLOG) {
		syslog(level_syslog[level], "[%s] %s", token, msg);
		return;
	}
	struct timespec ts;
	struct tm tm;
	char when[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	pthread_mutex_lock(&lg_lock);
	FILE *out = lg.target == LOG_TARGET_FILE && lg.file ? lg.file : stderr;
	fprintf(out, "%s.%03ld %s[%s] %s: %s\n", when, ts.tv_nsec / 1000000, lg.ident,
		level_names[level], token, msg);
	pthread_mutex_unlock(&lg_lock);
}

#define LOG_DEFINE(fn, level, with_errno)                                                          \
	void fn(const char *token, const char *fmt, ...)                                           \
	{                                                                                          \
		int saved = errno;                                                                 \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		log_vemit(level, token, with_errno ? saved : 0, fmt, ap);                          \
		va_end(ap);                                                                        \
		errno = saved;                                                                     \
	}

LOG_DEFINE(log_debug, LOG_LEVEL_DEBUG, 0)
LOG_DEFINE(log_info, LOG_LEVEL_INFO, 0)
LOG_DEFINE(log_notice, LOG_LEVEL_NOTICE, 0)
LOG_DEFINE(log_warn, LOG_LEVEL_WARNING, 1)
LOG_DEFINE(log_warnx, LOG_LEVEL_WARNING, 0)
LOG_DEFINE(log_errx, LOG_LEVEL_ERROR, 0)

noreturn void fatalx(const char *token, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_ERROR, token, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

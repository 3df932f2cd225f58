/* Logging: stderr in the foreground, syslog as a daemon, or a file that SIGHUP reopens. */
#ifndef FULCRUM_LOG_H
#define FULCRUM_LOG_H

#include <stdbool.h>
#include <stdnoreturn.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_NOTICE,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

enum log_target {
	LOG_TARGET_STDERR = 0,
	LOG_TARGET_SYSLOG,
	LOG_TARGET_FILE,
};

/*
 * Starts logging as ident to target (path only for LOG_TARGET_FILE). Returns 0,
 * or a negative errno when the file cannot be opened (logging then stays on stderr).
 */
int log_init(const char *ident, enum log_target target, const char *path, enum log_level level);

/* Reopens the log file (for log rotation on SIGHUP); a no-op for stderr and syslog. */
int log_reopen(void);

/* Closes syslog or the log file. */
void log_close(void);

void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Parses "error", "warning", "notice", "info" or "debug"; 0 or -EINVAL. */
int log_level_parse(const char *name, enum log_level *out);
const char *log_level_name(enum log_level level);

/*
 * token names the module that speaks ("db", "ipvs"). log_warn and log_err
 * append ": strerror(errno)"; the x variants do not.
 */
void log_debug(const char *token, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_info(const char *token, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_notice(const char *token, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_warn(const char *token, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_warnx(const char *token, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_errx(const char *token, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Logs and exits with status 1. */
noreturn void fatalx(const char *token, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

/* The external check: a command run without a shell, killed at its timeout, reaped without blocking. */
#include "controller/health/health_int.h"
#include "controller/lib/looplag.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXT_ARGS_MAX 32
#define EXT_POLL_MS  20 /* how often to look for the exit when the kernel has no pidfd */

extern char **environ;

/* A command started by a check; p is NULL once the check no longer wants its result. */
struct hl_child {
	struct health *h;
	struct hl_probe *p;
	pid_t pid;
	int pidfd;          /* readable when the process exits; -1: polled instead */
	struct event *ev;   /* the exit (pidfd, or the poll tick) */
	struct event *kill; /* the timeout */
	bool timed_out;
	struct hl_child *prev, *next;
};

static void ext_child_free(struct hl_child *c)
{
	struct health *h = c->h;

	if (c->ev)
		event_free(c->ev);
	c->ev = NULL;
	if (c->kill)
		event_free(c->kill);
	c->kill = NULL;
	if (c->pidfd >= 0)
		close(c->pidfd);
	if (c->prev)
		c->prev->next = c->next;
	else if (h->children == c)
		h->children = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

/* Kills the command and anything it started (its own process group). */
static void ext_kill(struct hl_child *c)
{
	kill(-c->pid, SIGKILL);
	kill(c->pid, SIGKILL);
}

static void ext_result(struct hl_child *c, int status, char *why, size_t len)
{
	const struct hl_probe *p = c->p;

	if (c->timed_out)
		snprintf(why, len, "external: timed out after %u s, killed", p->timeout);
	else if (WIFEXITED(status))
		snprintf(why, len, "external: exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(why, len, "external: killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(why, len, "external: ended with wait status %d", status);
}

static void ext_on_exit(evutil_socket_t fd, short what, void *arg)
{
	struct hl_child *c = arg;
	struct hl_probe *p = c->p;
	char why[sizeof(p->state.reason)];
	int status = 0;
	bool ok;
	pid_t r;

	looplag_mark();
	(void)fd;
	(void)what;
	r = waitpid(c->pid, &status, WNOHANG);
	if (r == 0 || (r < 0 && errno == EINTR))
		return;
	if (!p) {
		ext_child_free(c);
		return;
	}
	p->run.ext = NULL;
	if (r < 0)
		snprintf(why, sizeof(why), "external: lost track of the command: %s",
			 strerror(errno));
	else
		ext_result(c, status, why, sizeof(why));
	ok = r > 0 && !c->timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	ext_child_free(c);
	health_probe_done(p->owner, p, ok, why);
}

static void ext_on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct hl_child *c = arg;

	looplag_mark();
	(void)fd;
	(void)what;
	c->timed_out = true;
	ext_kill(c);
}

/* Splits p's command on spaces and adds the address and the port. */
static int ext_argv(const struct hl_probe *p, char *buf, size_t buflen, char *addr, char *port,
		    char **argv)
{
	size_t n = 0;
	char *save = NULL;

	snprintf(buf, buflen, "%s", p->command);
	for (char *tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (n == EXT_ARGS_MAX)
			return -E2BIG;
		argv[n++] = tok;
	}
	if (n == 0)
		return -EINVAL;
	argv[n++] = addr;
	argv[n++] = port;
	argv[n] = NULL;
	return 0;
}

/* Starts the command with stdin, stdout and stderr on /dev/null, in its own process group. */
static int ext_spawn(char **argv, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int rc;

	sigemptyset(&none);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	/* fulcrumd's sockets and database stay out of the command */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
					    POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	rc = posix_spawnp(pid, argv[0], &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return -rc;
}

/* Watches c's exit and its timeout; 0 or -ENOMEM. */
static int ext_watch(struct health *h, struct hl_child *c)
{
	struct timeval tv = {(time_t)c->p->timeout, 0}, tick = {0, EXT_POLL_MS * 1000};

	c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
	if (c->pidfd >= 0)
		c->ev = event_new(h->base, c->pidfd, EV_READ | EV_PERSIST, ext_on_exit, c);
	else
		c->ev = event_new(h->base, -1, EV_PERSIST, ext_on_exit, c);
	c->kill = evtimer_new(h->base, ext_on_timeout, c);
	if (!c->ev || !c->kill || event_add(c->ev, c->pidfd >= 0 ? NULL : &tick) != 0 ||
	    event_add(c->kill, &tv) != 0)
		return -ENOMEM;
	return 0;
}

void health_ext_start(struct health *h, struct hl_probe *p)
{
	char buf[FULCRUM_CHECK_COMMAND_MAX + 1], addr[64], port[8], why[sizeof(p->state.reason)];
	char *argv[EXT_ARGS_MAX + 3];
	struct hl_child *c;
	int rc;

	p->run.ext = NULL;
	health_addr_text(p, addr, sizeof(addr));
	snprintf(port, sizeof(port), "%u", p->port);
	rc = ext_argv(p, buf, sizeof(buf), addr, port, argv);
	if (rc != 0) {
		snprintf(why, sizeof(why), "external: the command has %s",
			 rc == -E2BIG ? "too many arguments" : "no program");
		health_probe_done(h, p, false, why);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		health_probe_done(h, p, false, "external: cannot start the command: out of memory");
		return;
	}
	c->h = h;
	c->p = p;
	c->pidfd = -1;
	rc = ext_spawn(argv, &c->pid);
	if (rc != 0) {
		free(c);
		snprintf(why, sizeof(why), "external: cannot run %s: %s", argv[0], strerror(-rc));
		health_probe_done(h, p, false, why);
		return;
	}
	c->next = h->children;
	if (h->children)
		h->children->prev = c;
	h->children = c;
	p->run.ext = c;
	if (ext_watch(h, c) != 0) {
		/* it cannot be watched: kill it now and wait for it at health_free() at worst */
		health_ext_cancel(h, p);
		health_probe_done(h, p, false, "external: cannot watch the command: out of memory");
	}
}

void health_ext_cancel(struct health *h, struct hl_probe *p)
{
	struct hl_child *c = p->run.ext;

	(void)h;
	if (!c)
		return;
	p->run.ext = NULL;
	c->p = NULL;
	ext_kill(c);
}

void health_ext_free(struct health *h)
{
	while (h->children) {
		struct hl_child *c = h->children;

		/* after SIGKILL the wait is short: the loop has stopped, nothing else waits */
		ext_kill(c);
		while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
			;
		ext_child_free(c);
	}
}

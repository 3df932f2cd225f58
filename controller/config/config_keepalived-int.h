/* What the keepalived importer's two files share: the statement, the parse state, the LVS objects. */
#ifndef FULCRUM_CONFIG_KEEPALIVED_INT_H
#define FULCRUM_CONFIG_KEEPALIVED_INT_H

#include "controller/config/config_keepalived.h"
#include "controller/model/model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KAD_WORDS_MAX 64    /* words of one statement; more is an error */
#define KAD_FRAMES    8     /* blocks that translate nest at most 4 deep */
#define KAD_DEPTH_MAX 64    /* ignored blocks nested deeper are an error */
#define KAD_NAMES     32768 /* slots of the service name table: a power of 2, > 2 x 10,000 */

/* One statement: the words of a line up to its end, a '{' or a '}'. */
struct kad_stmt {
	unsigned line;
	size_t n;
	char *w[KAD_WORDS_MAX]; /* owned */
	bool open;              /* ends with '{': a block follows */
};

/* A setting keepalived inherits virtual server -> real server -> checker; val < 0: unset. */
struct kad_opt {
	int64_t val;
	unsigned line;
};

/* The timing and failure settings each level of an LVS block may hold. */
struct kad_timing {
	struct kad_opt delay_loop, connect_timeout, retry, inhibit, misc_timeout;
	char *virtualhost; /* owned; NULL: unset */
	unsigned virtualhost_line;
};

/* An lb_kind / lvs_method: forwarding and tunnel as the model spells them. */
struct kad_fwd {
	bool set;
	char fwd[8], tun[8];
	char port[8]; /* gue's port, "" otherwise */
};

struct kad_check {
	enum fulcrum_check_type type;
	unsigned line;                                /* 0: no check */
	char *path, *status, *regex, *host, *command; /* owned; NULL: unset */
	char *connect_ip;                             /* owned; NULL: unset */
	struct kad_opt connect_port;
	bool regex_no_match;
	struct kad_timing t;
};

struct kad_rs {
	struct fulcrum_rs rs;
	unsigned line;
	bool bad, port_given;
	struct kad_fwd fwd;
	struct kad_timing t;
	struct kad_check chk;
};

enum kad_key { KAD_KEY_ADDR, KAD_KEY_FWMARK, KAD_KEY_GROUP };

struct kad_vs {
	struct fulcrum_vs vs; /* the settings; the key is set per service made */
	unsigned line;
	enum kad_key key;
	char *addr, *port, *group; /* owned: the header's words */
	uint32_t fwmark;
	bool bad, proto_set, family6;
	unsigned proto_line;
	struct kad_fwd fwd, sorry_fwd;
	char *sorry_addr, *sorry_port; /* owned */
	struct kad_timing t;
	struct kad_rs *rs;
	size_t nrs, caprs;
};

/* One line of a virtual_server_group: an address (or range) and port, or a mark. */
struct kad_member {
	unsigned line;
	char *addr; /* owned; NULL for a mark */
	char *port; /* owned; NULL: none */
	uint32_t fwmark;
	bool v6;
};

struct kad_group {
	char *name; /* owned */
	unsigned line;
	bool used;
	struct kad_member *m;
	size_t n, cap;
};

/* What a hostile file could make too many of; past the limit, an error and the rest is skipped. */
enum kad_limit {
	KAD_L_VS = 0,   /* virtual_server blocks */
	KAD_L_GROUPS,   /* virtual_server_group blocks */
	KAD_L_MEMBERS,  /* their lines, all groups */
	KAD_L_RS_READ,  /* real_server blocks */
	KAD_L_VIPS,     /* virtual_ipaddress lines */
	KAD_L_SERVICES, /* services made (a group makes many) */
	KAD_L_REALS,    /* real servers made, all services */
	KAD_L_COUNT,
};

enum kad_frame { KAD_F_VS, KAD_F_RS, KAD_F_CHECK, KAD_F_URL, KAD_F_GROUP, KAD_F_VRRP, KAD_F_VIPS };

struct kad_pending_vip {
	struct fulcrum_vip vip;
	unsigned line;
	bool has_dev, bad;
};

struct kad {
	const char *file;
	bool lenient;
	int rc; /* -ENOMEM once memory ran out */
	struct config_doc *doc;
	struct config_msgs *notes, *errors;
	enum kad_frame frame[KAD_FRAMES];
	unsigned frame_line[KAD_FRAMES];
	size_t nframes;
	size_t skip; /* depth inside an ignored block; 0: none */
	unsigned skip_line;
	char skip_what[96];
	char skip_why[160]; /* "": the block was already reported */
	struct kad_vs *vs;  /* every virtual_server, in file order */
	size_t nvs, capvs;
	struct kad_group *groups;
	size_t ngroups, capgroups;
	char *vrrp_if; /* the open vrrp_instance's interface, owned */
	struct kad_pending_vip *pv;
	size_t npv, cappv;
	bool url_done;   /* the open checker already took its url */
	uint32_t *names; /* the name table of the services made (config_keepalived_make.c) */
	size_t count[KAD_L_COUNT];
	bool limit_said[KAD_L_COUNT];
};

/* Messages: "FILE:LINE: " then the rest, printf-style. Failing to allocate sets k->rc. */
void kad_note(struct kad *k, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void kad_error(struct kad *k, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "'word word ...'": the statement, printable ASCII only, cut at 80 bytes, into buf (96 bytes). */
const char *kad_text(const struct kad_stmt *s, char *buf, size_t size);
/* Counts one more of l; true (an error at line, said once) when past its limit: skip it. */
bool kad_full(struct kad *k, enum kad_limit l, unsigned line);
/* An unknown directive: an error, or a note when lenient. */
void kad_unknown(struct kad *k, const struct kad_stmt *s, const char *where);
/* A known directive Fulcrum does without: the note "'...': ignored: why". */
void kad_ignored(struct kad *k, const struct kad_stmt *s, const char *why);
/* Skips the block s opens; why: the note given at its end, NULL when already reported. */
void kad_skip(struct kad *k, const struct kad_stmt *s, const char *why);
/* True when w is one of list (NULL-terminated). */
bool kad_in_list(const char *w, const char *const *list);
/* Parses decimal digits up to max into *out; false otherwise. */
bool kad_uint(const char *s, uint64_t max, uint64_t *out);
/* Copies s into a new string, or NULL (k->rc set). */
char *kad_strdup(struct kad *k, const char *s);
/* Grows *arr (n used of *cap, size bytes each) by one zeroed slot; NULL (k->rc set) on failure. */
void *kad_push(struct kad *k, void **arr, size_t *n, size_t *cap, size_t size);

/* config_keepalived_lvs.c: the LVS blocks. Each handles a statement inside a frame of its kind. */
void kad_lvs_open_vs(struct kad *k, const struct kad_stmt *s);
void kad_lvs_stmt(struct kad *k, enum kad_frame f, const struct kad_stmt *s);
/* A statement with a block inside an LVS frame: true when it pushed a frame of its own. */
bool kad_lvs_open(struct kad *k, enum kad_frame f, const struct kad_stmt *s, enum kad_frame *child);
/* config_keepalived_make.c: turns every virtual_server read into services of k->doc. */
void kad_lvs_finish(struct kad *k);
void kad_lvs_free(struct kad *k);

#endif

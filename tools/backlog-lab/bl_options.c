/* bl_options.c - backlog-lab's command-line parser (see bl_options.h).
 *
 * A table lists every flag with the commands it belongs to and the
 * function that reads its value; the shared driver (args.h) splits argv
 * and finds the row, values go through the shared strict parsers in
 * parse.h, and every message goes through args_fail.  Flags count only
 * after the command word (--help and --version also before it), and a
 * flag that is unknown, or given a value it does not take, is reported
 * as the whole argument.  Defaults are the quick forms (each finishes
 * within 30 s); --long switches the defaults of the slow timers to their
 * long forms, and a flag given explicitly always wins over either.
 */
#include "bl_options.h"

#include <errno.h>
#include <string.h>

#include "args.h"
#include "clock.h"
#include "parse.h"

#define CMD_BIT(c) (1u << (c))
#define FOR_ACCEPTQ CMD_BIT(BL_CMD_ACCEPTQ)
#define FOR_SYNQ CMD_BIT(BL_CMD_SYNQ)
#define FOR_OBSERVE CMD_BIT(BL_CMD_OBSERVE)
#define FOR_SYNSCHED CMD_BIT(BL_CMD_SYNSCHED)
#define FOR_REUSEPORT CMD_BIT(BL_CMD_REUSEPORT)
#define FOR_TIMEWAIT CMD_BIT(BL_CMD_TIMEWAIT)
#define FOR_CLOSE CMD_BIT(BL_CMD_CLOSE)
#define FOR_FLOOD CMD_BIT(BL_CMD_FLOOD)
#define FOR_ALL (FOR_ACCEPTQ | FOR_SYNQ | FOR_OBSERVE | CMD_BIT(BL_CMD_LIFECYCLE) | \
                 FOR_SYNSCHED | FOR_REUSEPORT | FOR_TIMEWAIT | FOR_CLOSE | FOR_FLOOD)
#define FOR_ANY (FOR_ALL | CMD_BIT(BL_CMD_NONE))   /* before a command too */

const char bl_options_usage[] =
    "usage: backlog-lab COMMAND [OPTIONS]\n"
    "\n"
    "See what the kernel does with a listening socket's accept queue and SYN\n"
    "queue, measured with its own instruments (NETLINK_SOCK_DIAG, TCP_INFO,\n"
    "/proc/net/netstat).\n"
    "\n"
    "commands:\n"
    "  accept-queue      listeners that do not accept, then do (loopback of\n"
    "                    a private network namespace)\n"
    "  syn-queue         half-open connections in two network namespaces\n"
    "                    joined by veth (root, ip and nft needed)\n"
    "  observe HOST:PORT watch an existing listener's queues and counters\n"
    "  lifecycle         one connection from SYN to TIME-WAIT, state by state\n"
    "  syn-schedule      when a client retransmits its SYN to a full queue and\n"
    "                    when connect() gives up (root: a namespace of its own)\n"
    "  reuseport         close one listener of an SO_REUSEPORT pair that has\n"
    "                    queued connections (root: a namespace of its own)\n"
    "  time-wait         ephemeral ports used up by TIME-WAIT ends, with\n"
    "                    tcp_tw_reuse 0, 1, 2 (root and ip: namespaces of its own)\n"
    "  close             the four-way close and the simultaneous close, each state\n"
    "                    held with nft (root, ip and nft: two namespaces, veth)\n"
    "  syn-flood         spoofed SYNs against a small backlog while a client\n"
    "                    keeps connecting (root, ip and nft needed)\n"
    "\n"
    "accept-queue options:\n"
    "  --backlog LIST        backlogs to try, e.g. 0,1,8,128,somaxconn+1000\n"
    "                        (default 1,8,128,somaxconn+1000)\n"
    "  --clients N           connects per backlog, 1-8000 (default: backlog+16)\n"
    "  --settle DUR          wait before measuring the full queue (default 500ms)\n"
    "  --accept-window DUR   longest accepting phase (default 4s; --long 40s)\n"
    "  --accept-rate N       accepts per second, 0 = as fast as possible (default 0)\n"
    "  --per-client          list every client in the text output\n"
    "  --host                run on the host's loopback, whose counters other\n"
    "                        sockets move too (default: a private network\n"
    "                        namespace, with root; the host's without)\n"
    "  --abort-on-overflow LIST  net.ipv4.tcp_abort_on_overflow values to try:\n"
    "                        0, 1; runs the final-ACK-meets-a-full-queue\n"
    "                        experiment (backlog 4, 9 clients, then 7 with\n"
    "                        tcp_syncookies=2 for the cookie ACK; root)\n"
    "                        instead of the backlog runs\n"
    "\n"
    "syn-queue options:\n"
    "  --backlog N           the listener's backlog, 1-4096 (default 16)\n"
    "  --clients N           connects per mode, 1-8000 (default 4 x backlog)\n"
    "  --rate N              connects per second, 1-100000 (default 100)\n"
    "  --watch DUR           time per syncookies mode (default 3500ms; --long 70s)\n"
    "  --syncookies LIST     net.ipv4.tcp_syncookies values to try, inside the\n"
    "                        namespace only: 0, 1, 2 (default 0,1,2; --long 0)\n"
    "  --max-syn-backlog N   set net.ipv4.tcp_max_syn_backlog in the namespace,\n"
    "                        1-1000000 (default: leave the namespace's value)\n"
    "\n"
    "syn-schedule options:\n"
    "  --syn-retries N       set net.ipv4.tcp_syn_retries in the namespace, 1-127\n"
    "                        (default 3, a quick form; 0 = the kernel's value)\n"
    "\n"
    "reuseport options:\n"
    "  --migrate LIST        net.ipv4.tcp_migrate_req values to try: 0, 1\n"
    "                        (default 0,1)\n"
    "  --clients N           connects before the close, 1-64 (default 16)\n"
    "\n"
    "time-wait options:\n"
    "  --ports N             ports in net.ipv4.ip_local_port_range, 1-256, from\n"
    "                        40000 (default 8)\n"
    "  --tw-reuse LIST       net.ipv4.tcp_tw_reuse values to try, each on loopback\n"
    "                        and on a veth address: 0, 1, 2 (default 0,1,2)\n"
    "  --long                also watch one TIME-WAIT end until it goes\n"
    "\n"
    "close options:\n"
    "  --long                also watch the TIME-WAIT end until it goes\n"
    "\n"
    "syn-flood options:\n"
    "  --backlog N           the listener's backlog, 1-4096 (default 16)\n"
    "  --rate N              spoofed SYNs per second, 1-100000 (default 1000)\n"
    "  --duration DUR        how long each mode is flooded, 100ms-10m\n"
    "                        (default 3s; --long 30s)\n"
    "  --syncookies LIST     net.ipv4.tcp_syncookies values to try, inside the\n"
    "                        server namespace only: 0, 1, 2 (default 0,1,2)\n"
    "\n"
    "observe options:\n"
    "  --interval DUR        time between samples (default 1s)\n"
    "  --duration DUR        how long to watch, 0 = until Ctrl-C (default 10s)\n"
    "  --plot FILE.png       draw each listener's queue against its limit and\n"
    "                        the drop counters over time (needs gnuplot)\n"
    "\n"
    "accept-queue, syn-queue and syn-flood --plot FILE.png: a panel per run:\n"
    "  accept-queue          clients connected, accepted, connected and not yet\n"
    "                        accepted, failed, against the listener's limit\n"
    "  syn-queue             SYN-RECV sockets, clients started and connected,\n"
    "                        against the listener's limit\n"
    "  syn-flood             SYN-RECV sockets against the listener's limit, the\n"
    "                        client's connects tried and made, the spoofed SYNs\n"
    "                        sent (needs gnuplot)\n"
    "\n"
    "common options:\n"
    "  --long                the slow timers' long forms (a minute or more)\n"
    "  --json                one JSON document on stdout instead of tables\n"
    "  -q, --quiet           no progress lines on stderr\n"
    "  -h, --help            this text\n"
    "  --version             the version\n"
    "\n"
    "DUR is 10s, 500ms, 2m ...  Exit status: 0 done, 1 failed, 2 bad usage,\n"
    "3 needs root or a missing tool, 130 interrupted.\n";

struct parse_ctx {
    struct bl_opts *o;
    struct args_msg msg;
    const char *flag;          /* the flag being read, for its messages */
    bool have_target;          /* observe's HOST:PORT was given */
    bool set_window, set_watch, set_cookies, set_clients, set_duration;
    const char *backlog_run_flag; /* an accept-queue flag that only the
                                   * backlog runs use, for --abort-on-overflow */
};

static int read_count(struct parse_ctx *c, const char *v, uint64_t min,
                      uint64_t max, uint64_t *out)
{
    if (parse_count(v, min, max, out) == 0)
        return 0;
    return args_fail(&c->msg, c->flag, "expected a whole number from %llu to %llu, got '%s'",
                     (unsigned long long)min, (unsigned long long)max, v);
}

static int read_duration(struct parse_ctx *c, const char *v, uint64_t min_ns,
                         uint64_t *out)
{
    uint64_t ns;

    if (parse_duration(v, &ns) == 0 && ns >= min_ns && ns <= 24 * 3600 * CLOCK_NS_PER_SEC) {
        *out = ns;
        return 0;
    }
    if (min_ns >= CLOCK_NS_PER_MS)
        return args_fail(&c->msg, c->flag, "expected a duration such as 500ms, 10s or 2m "
                         "(at least %llums), got '%s'",
                         (unsigned long long)(min_ns / CLOCK_NS_PER_MS), v);
    return args_fail(&c->msg, c->flag, "expected a duration such as 500ms, 10s or 2m%s, "
                     "got '%s'", min_ns > 0 ? " (more than 0)" : "", v);
}

/* One entry of the accept-queue --backlog list. */
static int read_backlog_item(const char *item, struct bl_backlog_spec *b)
{
    static const char word[] = "somaxconn";
    size_t wl = strlen(word);

    b->plus_somaxconn = strncmp(item, word, wl) == 0;
    if (!b->plus_somaxconn)
        return parse_count(item, 0, BL_MAX_BACKLOG, &b->n);
    if (item[wl] == '\0') {
        b->n = 0;
        return 0;
    }
    if (item[wl] != '+')
        return -1;
    return parse_count(item + wl + 1, 0, BL_MAX_BACKLOG, &b->n);
}

/* Splits a comma-separated list into at most max items of at most 31
 * characters, calling fn on each; returns the count or -1. */
static int split_list(const char *v, int max, int (*fn)(const char *, void *, int),
                      void *arg)
{
    int n = 0;
    const char *p = v;

    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        char item[32];
        if (len == 0 || len >= sizeof(item) || n == max)
            return -1;
        memcpy(item, p, len);
        item[len] = '\0';
        if (fn(item, arg, n) < 0)
            return -1;
        n++;
        if (comma == NULL)
            return n;
        p = comma + 1;
    }
}

static int backlog_item_cb(const char *item, void *arg, int i)
{
    struct bl_backlog_spec *list = arg;
    return read_backlog_item(item, &list[i]);
}

/* A list of small whole numbers, each from 0 to max. */
struct small_list {
    int *out;
    uint64_t max;
};

static int small_item_cb(const char *item, void *arg, int i)
{
    const struct small_list *l = arg;
    uint64_t v;

    if (parse_count(item, 0, l->max, &v) < 0)
        return -1;
    l->out[i] = (int)v;
    return 0;
}

/* Reads up to max_items comma-separated values from 0 to max into out. */
static int read_small_list(struct parse_ctx *c, const char *v, int max_items, uint64_t max,
                           int *out, int *n)
{
    struct small_list l = { out, max };
    int got = split_list(v, max_items, small_item_cb, &l);

    if (got < 0)
        return args_fail(&c->msg, c->flag, "expected up to %d comma-separated values "
                         "from 0 to %llu, got '%s'", max_items, (unsigned long long)max, v);
    *n = got;
    return 0;
}

static int opt_backlog(struct parse_ctx *c, const char *v)
{
    if (c->o->cmd == BL_CMD_SYNQ)
        return read_count(c, v, 1, 4096, &c->o->syn_backlog);
    if (c->o->cmd == BL_CMD_FLOOD)
        return read_count(c, v, 1, 4096, &c->o->flood_backlog);
    int n = split_list(v, BL_MAX_BACKLOGS, backlog_item_cb, c->o->backlogs);
    if (n < 0)
        return args_fail(&c->msg, c->flag, "expected up to %d comma-separated backlogs, "
                         "each a whole number from 0 to %d or somaxconn+N, got '%s'",
                         BL_MAX_BACKLOGS, BL_MAX_BACKLOG, v);
    c->o->nbacklogs = n;
    return 0;
}

static int opt_clients(struct parse_ctx *c, const char *v)
{
    c->set_clients = true;
    if (c->o->cmd == BL_CMD_SYNQ)
        return read_count(c, v, 1, BL_MAX_CLIENTS, &c->o->syn_clients);
    if (c->o->cmd == BL_CMD_REUSEPORT)
        return read_count(c, v, 1, BL_REUSEPORT_MAX_CLIENTS, &c->o->rp_clients);
    return read_count(c, v, 1, BL_MAX_CLIENTS, &c->o->clients);
}

static int opt_settle(struct parse_ctx *c, const char *v)
{
    return read_duration(c, v, 0, &c->o->settle_ns);
}

static int opt_window(struct parse_ctx *c, const char *v)
{
    c->set_window = true;
    return read_duration(c, v, 0, &c->o->window_ns);
}

static int opt_accept_rate(struct parse_ctx *c, const char *v)
{
    return read_count(c, v, 0, 1000000, &c->o->accept_rate);
}

static int opt_rate(struct parse_ctx *c, const char *v)
{
    if (c->o->cmd == BL_CMD_FLOOD)
        return read_count(c, v, 1, 100000, &c->o->flood_rate);
    return read_count(c, v, 1, 100000, &c->o->syn_rate);
}

static int opt_migrate(struct parse_ctx *c, const char *v)
{
    return read_small_list(c, v, BL_MAX_MIGRATE_MODES, 1, c->o->migrate, &c->o->nmigrate);
}

static int opt_abort(struct parse_ctx *c, const char *v)
{
    return read_small_list(c, v, BL_MAX_ABORT_MODES, 1, c->o->abort_modes, &c->o->nabort);
}

static int opt_ports(struct parse_ctx *c, const char *v)
{
    return read_count(c, v, 1, BL_MAX_TW_PORTS, &c->o->tw_ports);
}

static int opt_tw_reuse(struct parse_ctx *c, const char *v)
{
    return read_small_list(c, v, BL_MAX_TW_MODES, 2, c->o->tw_reuse, &c->o->ntw_reuse);
}

static int opt_syn_retries(struct parse_ctx *c, const char *v)
{
    return read_count(c, v, 0, 127, &c->o->syn_retries);
}

static int opt_max_syn_backlog(struct parse_ctx *c, const char *v)
{
    return read_count(c, v, 1, 1000000, &c->o->max_syn_backlog);
}

static int opt_watch(struct parse_ctx *c, const char *v)
{
    c->set_watch = true;
    return read_duration(c, v, 1, &c->o->watch_ns);
}

static int opt_syncookies(struct parse_ctx *c, const char *v)
{
    c->set_cookies = true;
    return read_small_list(c, v, BL_MAX_COOKIE_MODES, 2, c->o->cookie_modes,
                           &c->o->ncookie_modes);
}

static int opt_interval(struct parse_ctx *c, const char *v)
{
    return read_duration(c, v, CLOCK_NS_PER_MS, &c->o->interval_ns);
}

static int opt_plot(struct parse_ctx *c, const char *v)
{
    if (v[0] == '\0' || strpbrk(v, "'\n") != NULL)
        return args_fail(&c->msg, c->flag, "expected a file name without ' or a newline "
                         "(gnuplot is given it quoted), got '%s'", v);
    c->o->plot = v;
    return 0;
}

static int opt_duration(struct parse_ctx *c, const char *v)
{
    if (c->o->cmd == BL_CMD_FLOOD) {
        c->set_duration = true;
        if (read_duration(c, v, 100 * CLOCK_NS_PER_MS, &c->o->flood_ns) < 0)
            return -1;
        if (c->o->flood_ns > 600 * CLOCK_NS_PER_SEC)
            return args_fail(&c->msg, c->flag, "at most 10m: the flood is bounded, got '%s'",
                             v);
        return 0;
    }
    return read_duration(c, v, 0, &c->o->duration_ns);
}

struct flag_def {
    struct args_opt arg;
    unsigned cmds;                                   /* CMD_BIT mask */
    int (*fn)(struct parse_ctx *, const char *);     /* NULL: no value */
    size_t bool_off;                                 /* for flags without a value */
};

#define BOOL_AT(field) offsetof(struct bl_opts, field)

/* A flag that takes a value has a setter; one that takes none sets a bool. */
#define VALUE(name, short_name, cmds, fn) { { name, short_name, true }, cmds, fn, 0 }
#define FLAG(name, short_name, cmds, field) \
    { { name, short_name, false }, cmds, NULL, BOOL_AT(field) }

static const struct flag_def flags[] = {
    VALUE("--backlog", 0, FOR_ACCEPTQ | FOR_SYNQ | FOR_FLOOD, opt_backlog),
    VALUE("--clients", 0, FOR_ACCEPTQ | FOR_SYNQ | FOR_REUSEPORT, opt_clients),
    VALUE("--settle", 0, FOR_ACCEPTQ, opt_settle),
    VALUE("--accept-window", 0, FOR_ACCEPTQ, opt_window),
    VALUE("--accept-rate", 0, FOR_ACCEPTQ, opt_accept_rate),
    FLAG("--per-client", 0, FOR_ACCEPTQ, per_client),
    FLAG("--host", 0, FOR_ACCEPTQ, host),
    VALUE("--abort-on-overflow", 0, FOR_ACCEPTQ, opt_abort),
    VALUE("--rate", 0, FOR_SYNQ | FOR_FLOOD, opt_rate),
    VALUE("--watch", 0, FOR_SYNQ, opt_watch),
    VALUE("--max-syn-backlog", 0, FOR_SYNQ, opt_max_syn_backlog),
    VALUE("--syn-retries", 0, FOR_SYNSCHED, opt_syn_retries),
    VALUE("--migrate", 0, FOR_REUSEPORT, opt_migrate),
    VALUE("--syncookies", 0, FOR_SYNQ | FOR_FLOOD, opt_syncookies),
    VALUE("--ports", 0, FOR_TIMEWAIT, opt_ports),
    VALUE("--tw-reuse", 0, FOR_TIMEWAIT, opt_tw_reuse),
    VALUE("--interval", 0, FOR_OBSERVE, opt_interval),
    VALUE("--duration", 0, FOR_OBSERVE | FOR_FLOOD, opt_duration),
    VALUE("--plot", 0, FOR_OBSERVE | FOR_ACCEPTQ | FOR_SYNQ | FOR_FLOOD, opt_plot),
    FLAG("--long", 0, FOR_ALL, long_form),
    FLAG("--json", 0, FOR_ALL, json),
    FLAG("--quiet", 'q', FOR_ALL, quiet),
    FLAG("--help", 'h', FOR_ANY, help),
    FLAG("--version", 0, FOR_ANY, version),
};
#define NFLAGS (sizeof(flags) / sizeof(flags[0]))

const struct args_opt *bl_options_flag(size_t i)
{
    return i < NFLAGS ? &flags[i].arg : NULL;
}

/* The command words, as the messages list them. */
#define COMMAND_WORDS "accept-queue, syn-queue, observe, lifecycle, syn-schedule, " \
    "reuseport, time-wait, close or syn-flood"

static const struct { const char *word; enum bl_cmd cmd; } commands[] = {
    { "accept-queue", BL_CMD_ACCEPTQ },
    { "syn-queue", BL_CMD_SYNQ },
    { "observe", BL_CMD_OBSERVE },
    { "lifecycle", BL_CMD_LIFECYCLE },
    { "syn-schedule", BL_CMD_SYNSCHED },
    { "reuseport", BL_CMD_REUSEPORT },
    { "time-wait", BL_CMD_TIMEWAIT },
    { "close", BL_CMD_CLOSE },
    { "syn-flood", BL_CMD_FLOOD },
};

static const char *command_word(enum bl_cmd cmd)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (commands[i].cmd == cmd)
            return commands[i].word;
    return "?";
}

static void set_defaults(struct bl_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->nbacklogs = 4;
    o->backlogs[0].n = 1;
    o->backlogs[1].n = 8;
    o->backlogs[2].n = 128;
    o->backlogs[3] = (struct bl_backlog_spec){ true, 1000 };
    o->settle_ns = 500 * CLOCK_NS_PER_MS;
    o->window_ns = 4 * CLOCK_NS_PER_SEC;
    o->syn_backlog = 16;
    o->syn_rate = 100;
    o->syn_retries = 3;
    o->migrate[0] = 0;
    o->migrate[1] = 1;
    o->nmigrate = 2;
    o->rp_clients = 16;
    o->tw_ports = 8;
    o->ntw_reuse = 3;
    for (int i = 0; i < 3; i++)
        o->tw_reuse[i] = i;
    o->watch_ns = 3500 * CLOCK_NS_PER_MS;
    o->ncookie_modes = 3;
    for (int i = 0; i < 3; i++)
        o->cookie_modes[i] = i;
    o->interval_ns = CLOCK_NS_PER_SEC;
    o->duration_ns = 10 * CLOCK_NS_PER_SEC;
    o->flood_backlog = 16;
    o->flood_rate = 1000;
    o->flood_ns = 3 * CLOCK_NS_PER_SEC;
}

/* Applies --long and the defaults that depend on other flags. */
static void finish_defaults(struct parse_ctx *c)
{
    struct bl_opts *o = c->o;

    if (o->long_form && !c->set_window)
        o->window_ns = 40 * CLOCK_NS_PER_SEC;
    if (o->long_form && !c->set_watch)
        o->watch_ns = 70 * CLOCK_NS_PER_SEC;
    if (o->long_form && !c->set_duration)
        o->flood_ns = 30 * CLOCK_NS_PER_SEC;
    if (o->long_form && !c->set_cookies && o->cmd != BL_CMD_FLOOD) {
        o->ncookie_modes = 1;
        o->cookie_modes[0] = 0;
    }
    if (o->cmd == BL_CMD_SYNQ && !c->set_clients)
        o->syn_clients = o->syn_backlog * 4 > BL_MAX_CLIENTS ? BL_MAX_CLIENTS
                                                             : o->syn_backlog * 4;
}

/* Handles an option event of the driver, or its error. */
static int one_flag(struct parse_ctx *c, const struct args *a, enum args_kind kind)
{
    const struct flag_def *f = &flags[a->index];
    bool known = kind == ARGS_OPTION || kind == ARGS_NEEDS_VALUE;

    if (c->o->cmd == BL_CMD_NONE && !(known && (f->cmds & CMD_BIT(BL_CMD_NONE))))
        return args_fail(&c->msg, a->arg, "expected a command first (" COMMAND_WORDS ")");
    if (!known)
        return args_fail(&c->msg, a->arg, "unknown option (see --help)");
    c->flag = f->arg.name;
    if (!(f->cmds & CMD_BIT(c->o->cmd)))
        return args_fail(&c->msg, c->flag, "not an option of %s (see --help)",
                         command_word(c->o->cmd));
    if (kind == ARGS_NEEDS_VALUE)
        return args_fail(&c->msg, c->flag, "expected a value");
    if (c->o->cmd == BL_CMD_ACCEPTQ && (f->cmds & FOR_ALL) != FOR_ALL &&
        f->fn != opt_abort && f->bool_off != BOOL_AT(host))
        c->backlog_run_flag = f->arg.name;
    if (f->fn == NULL) {
        *(bool *)((char *)c->o + f->bool_off) = true;
        return 0;
    }
    return f->fn(c, a->value);
}

/* observe's HOST:PORT; a name is resolved, and a message says why one
 * cannot be used (its syntax, or the lookup). */
static int read_target(struct parse_ctx *c, const char *v)
{
    if (parse_resolve(v, &c->o->target, &c->o->target_len) < 0) {
        if (errno == EINVAL || errno == ERANGE)
            return args_fail(&c->msg, "observe", "expected HOST:PORT such as "
                             "127.0.0.1:7007, [::1]:80 or localhost:8080, got '%s'", v);
        return args_fail(&c->msg, "observe", "'%s': %s", v, parse_strerror(errno));
    }
    c->have_target = true;
    return 0;
}

/* Handles an argument that is no option: the command word, or observe's
 * HOST:PORT; any other is an unknown option, as a misspelled flag is. */
static int positional(struct parse_ctx *c, const char *a)
{
    struct bl_opts *o = c->o;

    if (o->cmd == BL_CMD_NONE && a[0] != '-') {
        for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
            if (strcmp(a, commands[k].word) == 0)
                o->cmd = commands[k].cmd;
        if (o->cmd == BL_CMD_NONE)
            return args_fail(&c->msg, a, "unknown command (expected " COMMAND_WORDS ")");
        return 0;
    }
    if (o->cmd == BL_CMD_OBSERVE && !c->have_target && a[0] != '-')
        return read_target(c, a);
    if (o->cmd == BL_CMD_NONE)
        return args_fail(&c->msg, a, "expected a command first (" COMMAND_WORDS ")");
    return args_fail(&c->msg, a, "unknown option (see --help)");
}

int bl_options_parse(int argc, char *const argv[], struct bl_opts *o,
                     char *err, size_t errlen)
{
    struct parse_ctx c = { .o = o, .msg = { err, errlen, NULL, -1 } };
    struct args a;
    enum args_kind kind;

    set_defaults(o);
    args_init(&a, argc, argv, ARGS_TABLE(flags, arg), 0);
    while ((kind = args_next(&a)) != ARGS_END) {
        int rc = kind == ARGS_POSITIONAL ? positional(&c, a.arg) : one_flag(&c, &a, kind);
        if (rc < 0)
            return -1;
    }
    if (o->help || o->version)
        return 0;
    if (o->cmd == BL_CMD_NONE)
        return args_fail(&c.msg, NULL, "expected a command: " COMMAND_WORDS " (see --help)");
    if (o->cmd == BL_CMD_OBSERVE && !c.have_target)
        return args_fail(&c.msg, "observe", "expected HOST:PORT of the listener to watch");
    if (o->nabort > 0 && o->host)
        return args_fail(&c.msg, "--abort-on-overflow", "sets the sysctl in a namespace of "
                         "the lab's own: not with --host");
    if (o->nabort > 0 && c.backlog_run_flag != NULL)
        return args_fail(&c.msg, "--abort-on-overflow", "runs a fixed experiment: %s "
                         "is for the backlog runs", c.backlog_run_flag);
    finish_defaults(&c);
    return 0;
}

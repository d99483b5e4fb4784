/* bl_netstat.c - parser for /proc/net/netstat and /proc/net/snmp (see
 * bl_netstat.h).  The files are small (a few KiB), so each read takes the
 * whole file into one buffer and parses it line by line. */
#include "bl_netstat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bl_err.h"
#include "os.h"

#define BL_NETSTAT_FILE_MAX (256 * 1024)

const char *const bl_netstat_listen_counters[] = {
    "ListenOverflows", "ListenDrops", "TCPReqQFullDrop",
    "TCPReqQFullDoCookies", "SyncookiesSent", "SyncookiesRecv",
    "SyncookiesFailed", "TCPSynRetrans", NULL,
};

void bl_netstat_clear(struct bl_netstat_snap *s)
{
    s->n = 0;
}

static int fail(int err)
{
    errno = err;
    return -1;
}

/* Copies the group name ("TcpExt" of "TcpExt: ...") of line into group;
 * returns a pointer just past the colon, or NULL when there is none. */
static const char *line_group(const char *line, const char *eol,
                              char group[BL_NETSTAT_GROUP_LEN])
{
    const char *colon = memchr(line, ':', (size_t)(eol - line));
    size_t len;

    if (colon == NULL)
        return NULL;
    len = (size_t)(colon - line);
    if (len == 0 || len >= BL_NETSTAT_GROUP_LEN)
        return NULL;
    memcpy(group, line, len);
    group[len] = '\0';
    return colon + 1;
}

/* Reads the next space-separated word of [*p, eol) into word (size cap);
 * returns 1 when a word was read, 0 at the end, -1 when it is too long. */
static int next_word(const char **p, const char *eol, char *word, size_t cap)
{
    const char *s = *p;
    size_t len = 0;

    while (s < eol && *s == ' ')
        s++;
    if (s == eol) {
        *p = s;
        return 0;
    }
    while (s + len < eol && s[len] != ' ')
        len++;
    if (len >= cap)
        return -1;
    memcpy(word, s, len);
    word[len] = '\0';
    *p = s + len;
    return 1;
}

/* Parses a signed decimal word; returns 0 or -1. */
static int parse_value(const char *word, int64_t *out)
{
    char *end;

    errno = 0;
    long long v = strtoll(word, &end, 10);
    if (errno != 0 || end == word || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* Parses one header line and its value line into s. */
static int parse_pair(const char *hdr, const char *hdr_eol, const char *val,
                      const char *val_eol, struct bl_netstat_snap *s)
{
    char group[BL_NETSTAT_GROUP_LEN], vgroup[BL_NETSTAT_GROUP_LEN];
    char name[BL_NETSTAT_NAME_LEN], num[32];
    const char *hp = line_group(hdr, hdr_eol, group);
    const char *vp = line_group(val, val_eol, vgroup);

    if (hp == NULL || vp == NULL || strcmp(group, vgroup) != 0)
        return fail(EINVAL);
    for (;;) {
        int hn = next_word(&hp, hdr_eol, name, sizeof(name));
        int vn = next_word(&vp, val_eol, num, sizeof(num));
        if (hn == 0 && vn == 0)
            return 0;
        if (hn != 1 || vn != 1)
            return fail(EINVAL);
        if (s->n == BL_NETSTAT_MAX_COUNTERS)
            return fail(ENOSPC);
        struct bl_netstat_counter *c = &s->c[s->n];
        if (parse_value(num, &c->value) < 0)
            return fail(EINVAL);
        memcpy(c->group, group, sizeof(group));
        memcpy(c->name, name, sizeof(name));
        s->n++;
    }
}

static const char *line_end(const char *p)
{
    const char *nl = strchr(p, '\n');
    return nl != NULL ? nl : p + strlen(p);
}

int bl_netstat_parse(const char *text, struct bl_netstat_snap *s)
{
    const char *p = text;

    if (text == NULL)
        return fail(EINVAL);
    while (*p != '\0') {
        const char *hdr_eol = line_end(p);
        if (hdr_eol == p) { /* blank line */
            p++;
            continue;
        }
        if (*hdr_eol == '\0')
            return fail(EINVAL); /* a header without its values */
        const char *val = hdr_eol + 1;
        const char *val_eol = line_end(val);
        if (parse_pair(p, hdr_eol, val, val_eol, s) < 0)
            return -1;
        p = *val_eol == '\0' ? val_eol : val_eol + 1;
    }
    return 0;
}

int bl_netstat_read_fd(int fd, struct bl_netstat_snap *s)
{
    size_t cap = 16384, len = 0;
    char *buf = malloc(cap);
    int rc = -1;

    if (buf == NULL)
        return -1;
    if (lseek(fd, 0, SEEK_SET) < 0)
        goto out;
    for (;;) {
        if (len + 1 == cap) {
            if (cap >= BL_NETSTAT_FILE_MAX) {
                errno = EFBIG;
                goto out;
            }
            char *grown = realloc(buf, cap * 2);
            if (grown == NULL)
                goto out;
            buf = grown;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto out;
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    rc = bl_netstat_parse(buf, s);
out:
    free(buf);
    return rc;
}

int bl_netstat_open(int *netstat_fd, int *snmp_fd)
{
    *snmp_fd = -1;
    *netstat_fd = open("/proc/net/netstat", O_RDONLY | O_CLOEXEC);
    if (*netstat_fd < 0)
        return -1;
    *snmp_fd = open("/proc/net/snmp", O_RDONLY | O_CLOEXEC);
    if (*snmp_fd < 0) {
        os_close(*netstat_fd); /* keeps errno; read-only: nothing to lose */
        *netstat_fd = -1;
        return -1;
    }
    return 0;
}

void bl_netstat_close(int netstat_fd, int snmp_fd)
{
    /* read-only /proc files: a failed close cannot lose data */
    if (netstat_fd >= 0)
        os_close(netstat_fd);
    if (snmp_fd >= 0)
        os_close(snmp_fd);
}

int bl_netstat_read(int netstat_fd, int snmp_fd, struct bl_netstat_snap *s)
{
    bl_netstat_clear(s);
    if (bl_netstat_read_fd(netstat_fd, s) < 0)
        return -1;
    return bl_netstat_read_fd(snmp_fd, s);
}

int bl_netstat_get(const struct bl_netstat_snap *s, const char *group,
                   const char *name, int64_t *out)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->c[i].name, name) == 0 &&
            strcmp(s->c[i].group, group) == 0) {
            *out = s->c[i].value;
            return 0;
        }
    }
    return fail(ENOENT);
}

int bl_netstat_delta(const struct bl_netstat_snap *before,
                     const struct bl_netstat_snap *after, const char *group,
                     const char *name, int64_t *out)
{
    int64_t a, b;

    if (bl_netstat_get(before, group, name, &b) < 0 ||
        bl_netstat_get(after, group, name, &a) < 0)
        return -1;
    *out = a - b;
    return 0;
}

void bl_netstat_listen_deltas(const struct bl_netstat_snap *before,
                              const struct bl_netstat_snap *after,
                              int64_t out[BL_NETSTAT_NLISTEN])
{
    for (int k = 0; k < BL_NETSTAT_NLISTEN; k++)
        if (bl_netstat_delta(before, after, "TcpExt", bl_netstat_listen_counters[k], &out[k]) < 0)
            out[k] = -1;
}

int bl_netstat_begin(int *netstat_fd, int *snmp_fd, struct bl_netstat_snap *before,
                     struct bl_err *e)
{
    if (bl_netstat_open(netstat_fd, snmp_fd) < 0)
        return bl_err_set(e, errno, "opening " BL_NETSTAT_FILES);
    if (bl_netstat_read(*netstat_fd, *snmp_fd, before) < 0)
        return bl_err_set(e, errno, "reading " BL_NETSTAT_FILES);
    return 0;
}

/* standin_grpc_link.c - the ray stand-in (a test fixture, not Ray): the
 * head's link to ray-standin-gcs-grpc, the gRPC server of the GCS port.
 * The head starts it with two unix sockets: on fd 3 it receives, with
 * SCM_RIGHTS, every connection of the GCS port that opens with HTTP/2's
 * preface ("PRI * HTTP/2.0"), which it serves itself; on fd 4 it asks the
 * head (standin_autoscaler.c) one line at a time. Without that program
 * (RAY_STANDIN_GCS_GRPC names another; "" turns gRPC off), or after the
 * GCS "crashed", HTTP/2 connections are closed: clients see UNAVAILABLE. */
#include "standin.h"

static pid_t g_grpc_pid;
static int g_grpc_pass = -1;         /* fd 3 of the program, our end */
static struct conn *g_grpc_query;    /* fd 4 of the program, our end */

int gcs_grpc_running(void)
{
    return g_grpc_pid > 0 && !g_gcs_crashed;
}

void gcs_grpc_start(void)
{
    const char *path = getenv("RAY_STANDIN_GCS_GRPC");
    char self[PATH_MAX], prog[PATH_MAX + 32];
    int pass[2], query[2];
    ssize_t n;

    if (path == NULL) {
        n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0)
            return;
        self[n] = '\0';
        *strrchr(self, '/') = '\0';
        snprintf(prog, sizeof prog, "%s/ray-standin-gcs-grpc", self);
        path = prog;
    }
    if (*path == '\0' || access(path, X_OK) != 0)
        return;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pass) != 0 ||
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, query) != 0) {
        perror("socketpair");
        return;
    }
    g_grpc_pid = fork();
    if (g_grpc_pid == 0) {
        int fd;
        dup2(pass[1], 3);
        dup2(query[1], 4);
        for (fd = 5; fd < 1024; fd++)
            close(fd);
        execl(path, "ray-standin-gcs-grpc", (char *)NULL);
        _exit(127);
    }
    close(pass[1]);
    close(query[1]);
    if (g_grpc_pid < 0) {
        perror("fork");
        close(pass[0]);
        close(query[0]);
        g_grpc_pid = 0;
        return;
    }
    g_grpc_pass = pass[0];
    fcntl(query[0], F_SETFL, fcntl(query[0], F_GETFL) | O_NONBLOCK);
    g_grpc_query = new_conn(query[0]);
    g_grpc_query->grpc_query = 1;
}

/* The program ended (the head reaped it). */
int gcs_grpc_reaped(pid_t pid, int status)
{
    if (pid != g_grpc_pid || pid <= 0)
        return 0;
    if (!g_gcs_crashed)
        fprintf(stderr, "ray-standin-gcs-grpc exited (status %d); the GCS port serves no "
                        "gRPC any more.\n", status);
    g_grpc_pid = 0;
    if (g_grpc_pass >= 0)
        close(g_grpc_pass);
    g_grpc_pass = -1;
    return 1;
}

void gcs_grpc_stop(void)
{
    if (g_grpc_pid > 0)
        kill(g_grpc_pid, SIGTERM);
}

/* A new connection of the GCS port that is readable: an HTTP/2 one goes
 * to the gRPC program (returns 1); the line protocol's stays (0). */
int gcs_grpc_handoff(struct conn *c)
{
    char first;
    struct msghdr mh;
    struct iovec iov;
    char ctl[CMSG_SPACE(sizeof(int))];
    struct cmsghdr *cm;

    if (c->in_len > 0 || c->pending != NULL || c->grpc_query)
        return 0;
    if (recv(c->fd, &first, 1, MSG_PEEK) != 1 || first != 'P')
        return 0; /* the line protocol's words: JOIN, SESSION, STATUS, DASHBOARD */
    if (gcs_grpc_running() && g_grpc_pass >= 0) {
        memset(&mh, 0, sizeof mh);
        iov.iov_base = &first;
        iov.iov_len = 1;
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = ctl;
        mh.msg_controllen = sizeof ctl;
        cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &c->fd, sizeof(int));
        if (sendmsg(g_grpc_pass, &mh, MSG_NOSIGNAL) != 1)
            fprintf(stderr, "cannot hand a gRPC connection over: %s\n", strerror(errno));
    }
    close_conn(c); /* the program has its own copy */
    return 1;
}

/* The program's requests: one line each, answered in order. */
void gcs_grpc_readable(struct conn *c)
{
    char *nl;
    if (conn_fill(c, 4 * 1024 * 1024) <= 0) {
        g_grpc_query = NULL; /* closed: the program is gone */
        return;
    }
    while ((nl = memchr(c->in, '\n', c->in_len)) != NULL) {
        struct sbuf out = {NULL, 0, 0};
        size_t used = (size_t)(nl - c->in) + 1;
        *nl = '\0';
        gcs_answer(c->in, &out);
        if (c->out != NULL) { /* one request at a time is the rule; keep both */
            sbuf_add(&out, "", 0);
            {
                struct sbuf both = {NULL, 0, 0};
                sbuf_add(&both, c->out + c->out_off, c->out_len - c->out_off);
                sbuf_add(&both, out.data, out.len);
                free(out.data);
                out = both;
            }
        }
        queue_reply(c, out.data, out.len, 0);
        memmove(c->in, c->in + used, c->in_len - used);
        c->in_len -= used;
        c->in[c->in_len] = '\0';
    }
    if (c->in_len >= c->in_cap - 1) {
        fprintf(stderr, "ray-standin-gcs-grpc sent a request over %zu bytes; closing.\n",
                c->in_cap);
        close_conn(c);
        g_grpc_query = NULL;
    }
}

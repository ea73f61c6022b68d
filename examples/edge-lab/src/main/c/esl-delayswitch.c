// esl-delayswitch: a tiny Ethernet switch that delays frames, for the edge lab.
//
// This kernel has no sch_netem, so the lab puts this switch in a "wan" namespace: every node's
// uplink veth ends there, and each frame from port A to port B is held for half the configured
// round-trip time of the pair (plus jitter) before it is sent on. The delay is real on the wire:
// the nodes' kernels (and the eBPF RTT measurement) see it.
//
// Usage: esl-delayswitch PORT=MAC [PORT=MAC ...]
//   PORT is an interface name in the current namespace, MAC the address of the node behind it.
// Commands on stdin, one per line (EOF or "quit" ends the program):
//   delay A B RTT_US JITTER_US   round trip between ports A and B is RTT_US +- JITTER_US (both directions)
//   stats                        prints "stats forwarded=N dropped=N queued=N"
// Prints "ready" once every port is bound, and "ok" after each command.
//
// Jitter never reorders a pair's frames: delivery = max(previous delivery, now + delay).
// GSO and checksum offload state travel with the frame through a virtio_net_hdr (PACKET_VNET_HDR).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS 16
#define FRAME_MAX (65536 + sizeof(struct virtio_net_hdr))
#define MAX_QUEUED 200000L

struct frame {
    struct frame *next;
    uint64_t deliver_ns;
    size_t len;
    unsigned char data[];
};

struct lane {                 // one direction between two ports, FIFO in delivery order
    struct frame *head, *tail;
    uint64_t last_deliver_ns;
    uint64_t one_way_ns;      // rtt / 2
    uint64_t jitter_ns;       // full width of the one-way window: delay is one_way +- jitter_ns/2
};

struct port {
    char name[IF_NAMESIZE];
    unsigned char mac[ETH_ALEN];
    int ifindex;
    int fd;
};

static struct port ports[MAX_PORTS];
static int port_count;
static struct lane lanes[MAX_PORTS][MAX_PORTS];
static long queued, forwarded, dropped;
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

static uint64_t next_random(void) {   // xorshift64*: fast, and good enough for jitter
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static int parse_mac(const char *text, unsigned char *mac) {
    unsigned int b[ETH_ALEN];
    if (sscanf(text, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != ETH_ALEN) {
        return -1;
    }
    for (int i = 0; i < ETH_ALEN; i++) {
        mac[i] = (unsigned char) b[i];
    }
    return 0;
}

static int find_port(const char *name) {
    for (int i = 0; i < port_count; i++) {
        if (strcmp(ports[i].name, name) == 0) {
            return i;
        }
    }
    return -1;
}

static int open_port(struct port *p) {
    p->ifindex = (int) if_nametoindex(p->name);
    if (p->ifindex == 0) {
        fprintf(stderr, "esl-delayswitch: no interface %s in this namespace: %s\n", p->name, strerror(errno));
        return -1;
    }
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0) {
        fprintf(stderr, "esl-delayswitch: AF_PACKET socket: %s (run as root)\n", strerror(errno));
        return -1;
    }
    int one = 1;
    if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) < 0) {
        fprintf(stderr, "esl-delayswitch: PACKET_VNET_HDR on %s: %s\n", p->name, strerror(errno));
        close(fd);
        return -1;
    }
    // Frames this switch sends must not come back to it as "received".
    if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) < 0) {
        fprintf(stderr, "esl-delayswitch: PACKET_IGNORE_OUTGOING on %s: %s (kernel >= 4.20 needed)\n",
                p->name, strerror(errno));
        close(fd);
        return -1;
    }
    int rcvbuf = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_ll addr = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = p->ifindex};
    if (bind(fd, (struct sockaddr *) &addr, sizeof addr) < 0) {
        fprintf(stderr, "esl-delayswitch: bind %s: %s\n", p->name, strerror(errno));
        close(fd);
        return -1;
    }
    struct packet_mreq mreq = {.mr_ifindex = p->ifindex, .mr_type = PACKET_MR_PROMISC};
    setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof mreq);
    p->fd = fd;
    return 0;
}

static void enqueue(int from, int to, const unsigned char *data, size_t len, uint64_t now) {
    struct lane *undelayed = &lanes[from][to];
    if (undelayed->one_way_ns == 0 && undelayed->jitter_ns == 0 && undelayed->head == NULL) {
        // No delay and nothing queued ahead: send at once (keeps order, saves a copy and a timer round).
        if (send(ports[to].fd, data, len, MSG_DONTWAIT) < 0) {
            dropped++;
        } else {
            forwarded++;
        }
        return;
    }
    if (queued >= MAX_QUEUED) {
        dropped++;
        return;
    }
    struct frame *f = malloc(sizeof *f + len);
    if (f == NULL) {
        dropped++;
        return;
    }
    struct lane *lane = &lanes[from][to];
    uint64_t delay = lane->one_way_ns;
    if (lane->jitter_ns > 0) {
        uint64_t offset = next_random() % (lane->jitter_ns + 1);
        delay = delay + offset >= lane->jitter_ns / 2 ? delay + offset - lane->jitter_ns / 2 : 0;
    }
    uint64_t at = now + delay;
    if (at < lane->last_deliver_ns) {
        at = lane->last_deliver_ns;
    }
    lane->last_deliver_ns = at;
    f->next = NULL;
    f->deliver_ns = at;
    f->len = len;
    memcpy(f->data, data, len);
    if (lane->tail) {
        lane->tail->next = f;
    } else {
        lane->head = f;
    }
    lane->tail = f;
    queued++;
}

static void receive_from(int from, unsigned char *buf) {
    for (int burst = 0; burst < 256; burst++) {
        ssize_t n = recv(ports[from].fd, buf, FRAME_MAX, MSG_TRUNC);
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR) {
                fprintf(stderr, "esl-delayswitch: recv on %s: %s\n", ports[from].name, strerror(errno));
            }
            return;
        }
        if ((size_t) n > FRAME_MAX || (size_t) n < sizeof(struct virtio_net_hdr) + ETH_HLEN) {
            dropped++;
            continue;
        }
        const unsigned char *dst = buf + sizeof(struct virtio_net_hdr);
        uint64_t now = now_ns();
        int unicast = !(dst[0] & 1);
        int matched = 0;
        for (int to = 0; to < port_count; to++) {
            if (to == from) {
                continue;
            }
            if (unicast && memcmp(dst, ports[to].mac, ETH_ALEN) != 0) {
                continue;
            }
            enqueue(from, to, buf, (size_t) n, now);
            matched = 1;
        }
        if (unicast && !matched) {   // unknown destination: flood, like a learning switch before it learns
            for (int to = 0; to < port_count; to++) {
                if (to != from) {
                    enqueue(from, to, buf, (size_t) n, now);
                }
            }
        }
    }
}

static uint64_t deliver_due(void) {
    uint64_t now = now_ns();
    uint64_t next = UINT64_MAX;
    for (int a = 0; a < port_count; a++) {
        for (int b = 0; b < port_count; b++) {
            struct lane *lane = &lanes[a][b];
            while (lane->head && lane->head->deliver_ns <= now) {
                struct frame *f = lane->head;
                lane->head = f->next;
                if (!lane->head) {
                    lane->tail = NULL;
                }
                if (send(ports[b].fd, f->data, f->len, MSG_DONTWAIT) < 0) {
                    dropped++;
                } else {
                    forwarded++;
                }
                queued--;
                free(f);
            }
            if (lane->head && lane->head->deliver_ns < next) {
                next = lane->head->deliver_ns;
            }
        }
    }
    return next;
}

static void arm(int timer_fd, uint64_t at_ns) {
    struct itimerspec spec = {0};
    if (at_ns != UINT64_MAX) {
        spec.it_value.tv_sec = (time_t) (at_ns / 1000000000ULL);
        spec.it_value.tv_nsec = (long) (at_ns % 1000000000ULL);
        if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) {
            spec.it_value.tv_nsec = 1;
        }
    }
    timerfd_settime(timer_fd, TFD_TIMER_ABSTIME, &spec, NULL);
}

// Returns 0 to go on, 1 to quit.
static int handle_command(char *line) {
    char a[IF_NAMESIZE + 1], b[IF_NAMESIZE + 1];
    long rtt_us, jitter_us;
    if (strncmp(line, "quit", 4) == 0) {
        return 1;
    }
    if (strncmp(line, "stats", 5) == 0) {
        printf("stats forwarded=%ld dropped=%ld queued=%ld\n", forwarded, dropped, queued);
        fflush(stdout);
        return 0;
    }
    if (sscanf(line, "delay %16s %16s %ld %ld", a, b, &rtt_us, &jitter_us) == 4) {
        int pa = find_port(a), pb = find_port(b);
        if (pa < 0 || pb < 0 || rtt_us < 0 || jitter_us < 0 || jitter_us > rtt_us) {
            printf("error bad delay command (ports %s %s, 0 <= jitter <= rtt): %s", a, b, line);
        } else {
            // Each way: rtt/2 +- jitter/2, so the round trip stays within rtt +- jitter.
            lanes[pa][pb].one_way_ns = lanes[pb][pa].one_way_ns = (uint64_t) rtt_us * 500ULL;
            lanes[pa][pb].jitter_ns = lanes[pb][pa].jitter_ns = (uint64_t) jitter_us * 1000ULL;
            printf("ok\n");
        }
        fflush(stdout);
        return 0;
    }
    printf("error unknown command: %s", line);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: esl-delayswitch PORT=MAC PORT=MAC [...] (at most %d ports)\n", MAX_PORTS);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    // Every lab packet passes through this loop: a real-time priority keeps a busy machine's scheduler from
    // adding milliseconds of its own. The loop sleeps in epoll_wait, so it cannot starve anything.
    struct sched_param rt = {.sched_priority = 10};
    if (sched_setscheduler(0, SCHED_FIFO, &rt) < 0) {
        fprintf(stderr, "esl-delayswitch: no real-time priority (%s); delays may carry scheduling noise\n", strerror(errno));
    }
    rng_state ^= (uint64_t) getpid() << 17 ^ now_ns();
    for (int i = 1; i < argc; i++) {
        if (port_count == MAX_PORTS) {
            fprintf(stderr, "esl-delayswitch: at most %d ports\n", MAX_PORTS);
            return 2;
        }
        char *eq = strchr(argv[i], '=');
        if (!eq || (size_t) (eq - argv[i]) >= IF_NAMESIZE || parse_mac(eq + 1, ports[port_count].mac) < 0) {
            fprintf(stderr, "esl-delayswitch: bad port spec '%s', expected IFNAME=aa:bb:cc:dd:ee:ff\n", argv[i]);
            return 2;
        }
        memcpy(ports[port_count].name, argv[i], (size_t) (eq - argv[i]));
        if (open_port(&ports[port_count]) < 0) {
            return 1;
        }
        port_count++;
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (ep < 0 || timer_fd < 0) {
        fprintf(stderr, "esl-delayswitch: epoll/timerfd: %s\n", strerror(errno));
        return 1;
    }
    struct epoll_event ev = {.events = EPOLLIN};
    for (int i = 0; i < port_count; i++) {
        ev.data.u32 = (uint32_t) i;
        epoll_ctl(ep, EPOLL_CTL_ADD, ports[i].fd, &ev);
    }
    ev.data.u32 = 1000;
    epoll_ctl(ep, EPOLL_CTL_ADD, timer_fd, &ev);
    ev.data.u32 = 1001;
    epoll_ctl(ep, EPOLL_CTL_ADD, STDIN_FILENO, &ev);

    unsigned char *buf = malloc(FRAME_MAX);
    char line[256];
    size_t line_len = 0;
    printf("ready\n");
    for (;;) {
        struct epoll_event events[32];
        int n = epoll_wait(ep, events, 32, -1);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            fprintf(stderr, "esl-delayswitch: epoll_wait: %s\n", strerror(errno));
            return 1;
        }
        for (int i = 0; i < n; i++) {
            uint32_t id = events[i].data.u32;
            if (id < (uint32_t) port_count) {
                receive_from((int) id, buf);
            } else if (id == 1000) {
                uint64_t expirations;
                ssize_t ignored = read(timer_fd, &expirations, sizeof expirations);
                (void) ignored;
            } else if (id == 1001) {
                ssize_t r = read(STDIN_FILENO, line + line_len, sizeof line - 1 - line_len);
                if (r <= 0) {
                    return 0;   // the lab went away: stop forwarding, the namespaces are about to go
                }
                line_len += (size_t) r;
                line[line_len] = 0;
                char *nl;
                while ((nl = strchr(line, '\n')) != NULL) {
                    *nl = 0;
                    char cmd[sizeof line + 2];
                    snprintf(cmd, sizeof cmd, "%s\n", line);
                    memmove(line, nl + 1, line_len - (size_t) (nl + 1 - line) + 1);
                    line_len = strlen(line);
                    if (handle_command(cmd)) {
                        return 0;
                    }
                }
                if (line_len >= sizeof line - 1) {
                    line_len = 0;   // overlong garbage line: drop it
                }
            }
        }
        arm(timer_fd, deliver_due());
    }
}

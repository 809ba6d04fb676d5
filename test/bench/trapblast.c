/*
 * trapblast: send pre-encoded SNMPv2c traps over UDP at a paced rate.
 *
 *   trapblast -p PORT [-r RATE] [-n COUNT | -t SECONDS] [-g NUPS]
 *             [-s ADDRESS] [-o TRAPOID]...
 *
 * Packets go out in 1 ms batches so that the pace holds at rates far above
 * what a sleep per packet allows. Sources: -s ADDRESS (default 127.0.0.2,
 * an address no UPS has) or -g N, the first N UPS addresses genpolicy
 * hands out, taken in turn. Trap OIDs (-o, repeatable) alternate per
 * round over the sources, so two OIDs make every source flap. One socket
 * sends for every source through IP_PKTINFO. Prints what it sent and at
 * what rate; RATE 0 means as fast as the socket takes them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_OIDS	8
#define PKT_MAX		256

struct packet {
	unsigned char	 bytes[PKT_MAX];
	size_t		 len;
};

static size_t
ber_len(unsigned char *p, size_t n)
{
	if (n < 128) {
		p[0] = n;
		return 1;
	}
	p[0] = 0x81;
	p[1] = n;
	return 2;
}

/* Wraps body (already at out + 4) in tag/length; returns the TLV size. */
static size_t
ber_wrap(unsigned char *out, unsigned char tag, const unsigned char *body,
    size_t n)
{
	unsigned char	 hdr[3];
	size_t		 h;

	hdr[0] = tag;
	h = 1 + ber_len(hdr + 1, n);
	memmove(out + h, body, n);
	memcpy(out, hdr, h);
	return h + n;
}

static size_t
ber_oid(unsigned char *out, const char *dotted)
{
	unsigned char	 body[128];
	unsigned long	 part[64];
	size_t		 n = 0, k = 0, i;
	char		*end;
	int		 j;

	while (*dotted && k < 64) {
		part[k++] = strtoul(dotted, &end, 10);
		dotted = *end == '.' ? end + 1 : end;
		if (*end != '.' && *end != '\0')
			return 0;
	}
	if (k < 2)
		return 0;
	body[n++] = 40 * part[0] + part[1];
	for (i = 2; i < k && n + 5 < sizeof(body); i++) {
		for (j = 28; j > 0; j -= 7)
			if (part[i] >> j)
				body[n++] = 0x80 | ((part[i] >> j) & 0x7f);
		body[n++] = part[i] & 0x7f;
	}
	return ber_wrap(out, 0x06, body, n);
}

/* sysUpTime.0 and snmpTrapOID.0, community "public". */
static int
packet_build(struct packet *p, const char *trapoid)
{
	unsigned char	 vb1[64], vb2[160], vbl[240], pdu[PKT_MAX];
	unsigned char	 msg[PKT_MAX], tmp[PKT_MAX];
	size_t		 n, m;

	n = ber_oid(tmp, "1.3.6.1.2.1.1.3.0");
	memcpy(tmp + n, "\x43\x01\x01", 3);
	m = ber_wrap(vb1, 0x30, tmp, n + 3);
	n = ber_oid(tmp, "1.3.6.1.6.3.1.1.4.1.0");
	if ((m = ber_oid(tmp + n, trapoid)) == 0 || n + m > 140)
		return -1;
	n = ber_wrap(vb2, 0x30, tmp, n + m);
	memcpy(tmp, vb1, vb1[1] + 2);
	memcpy(tmp + vb1[1] + 2, vb2, n);
	n = ber_wrap(vbl, 0x30, tmp, vb1[1] + 2 + n);
	memcpy(tmp, "\x02\x01\x01\x02\x01\x00\x02\x01\x00", 9);
	memcpy(tmp + 9, vbl, n);
	n = ber_wrap(pdu, 0xa7, tmp, 9 + n);
	memcpy(tmp, "\x02\x01\x01\x04\x06public", 11);
	memcpy(tmp + 11, pdu, n);
	n = ber_wrap(msg, 0x30, tmp, 11 + n);
	memcpy(p->bytes, msg, n);
	p->len = n;
	return 0;
}

static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
send_one(int s, const struct sockaddr_in *to, struct in_addr src,
    const struct packet *p)
{
	char			 cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct iovec		 iov = { (void *)p->bytes, p->len };
	struct msghdr		 mh;
	struct cmsghdr		*c;
	struct in_pktinfo	*pi;

	memset(&mh, 0, sizeof(mh));
	memset(cbuf, 0, sizeof(cbuf));
	mh.msg_name = (void *)to;
	mh.msg_namelen = sizeof(*to);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(*pi));
	pi = (struct in_pktinfo *)CMSG_DATA(c);
	pi->ipi_spec_dst = src;
	return sendmsg(s, &mh, 0) == -1 ? -1 : 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: trapblast -p port [-r rate] [-n count | -t "
	    "seconds] [-g nups | -s address] [-o trapoid]...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct packet		 pkt[MAX_OIDS];
	struct sockaddr_in	 to;
	struct in_addr		 one, *src = &one;
	double			 rate = 0, secs = 0, start, due, t;
	long			 count = -1, sent = 0, nsrc = 1, k, lost = 0;
	int			 ch, s, noid = 0, port = 0;

	inet_pton(AF_INET, "127.0.0.2", &one);
	while ((ch = getopt(argc, argv, "p:r:n:t:g:s:o:")) != -1) {
		switch (ch) {
		case 'p':
			port = atoi(optarg);
			break;
		case 'r':
			rate = atof(optarg);
			break;
		case 'n':
			count = atol(optarg);
			break;
		case 't':
			secs = atof(optarg);
			break;
		case 'g':
			nsrc = atol(optarg);
			if (nsrc < 1 || (src = calloc(nsrc, sizeof(*src))) ==
			    NULL)
				usage();
			for (k = 0; k < nsrc; k++)
				src[k].s_addr = htonl(0x7f010000 |
				    (k / 250) << 8 | (k % 250 + 1));
			break;
		case 's':
			if (inet_pton(AF_INET, optarg, &one) != 1)
				usage();
			break;
		case 'o':
			if (noid == MAX_OIDS ||
			    packet_build(&pkt[noid++], optarg) == -1)
				usage();
			break;
		default:
			usage();
		}
	}
	if (port <= 0 || (count < 0 && secs <= 0))
		usage();
	if (noid == 0)
		packet_build(&pkt[noid++], "1.3.6.1.4.1.935.0.5");
	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) == -1) {
		perror("trapblast: socket");
		return 1;
	}
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons(port);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	start = now_s();
	for (;;) {
		t = now_s() - start;
		if (secs > 0 && t >= secs)
			break;
		due = rate > 0 ? rate * (t + 0.001) : sent + 1000;
		if (count >= 0 && due > count)
			due = count;
		while (sent < due) {
			k = sent % nsrc;
			if (send_one(s, &to, src[k],
			    &pkt[(sent / nsrc) % noid]) == -1) {
				if (errno != ENOBUFS && errno != EAGAIN) {
					perror("trapblast: sendmsg");
					return 1;
				}
				lost++;
			}
			sent++;
		}
		if (count >= 0 && sent >= count)
			break;
		if (rate > 0) {
			struct timespec	 ts = { 0, 1000000 };

			nanosleep(&ts, NULL);
		}
	}
	t = now_s() - start;
	printf("sent %ld traps in %.3f s: %.0f/s, %ld refused by the "
	    "socket\n", sent, t, t > 0 ? sent / t : 0.0, lost);
	return 0;
}

/*
 * The index of card addresses: every trap is looked up by its UDP source,
 * so a policy with a thousand cards is searched, not scanned. Built once
 * when a policy is loaded; the plugin and the trap fuzzer both use it.
 */
#include <stdlib.h>
#include <string.h>

#include "policy.h"

static int
addr_cmp(const void *a, const void *b)
{
	const struct policy_addr	*x = a, *y = b;

	if (x->family != y->family)
		return x->family - y->family;
	return memcmp(x->bytes, y->bytes, sizeof(x->bytes));
}

int
policy_index_addrs(struct policy *p)
{
	struct policy_addr_entry	*a;
	size_t				 i, j, k = 0, total = 0;

	for (i = 0; i < p->nups; i++)
		total += p->ups[i].naddrs;
	if ((a = calloc(total + 1, sizeof(*a))) == NULL)
		return -1;
	for (i = 0; i < p->nups; i++)
		for (j = 0; j < p->ups[i].naddrs; j++) {
			a[k].addr = p->ups[i].addrs[j];
			a[k++].ups = i;
		}
	qsort(a, k, sizeof(*a), addr_cmp);
	free(p->addr_index);
	p->addr_index = a;
	p->naddr_index = k;
	return 0;
}

long
policy_ups_by_addr(const struct policy *p, const struct policy_addr *addr)
{
	const struct policy_addr_entry	*e;

	if (p->addr_index == NULL)
		return -1;
	e = bsearch(addr, p->addr_index, p->naddr_index,
	    sizeof(*p->addr_index), addr_cmp);
	return e ? (long)e->ups : -1;
}

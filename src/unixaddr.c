// SPDX-License-Identifier: GPL-2.0-or-later
/* A socket's name on the command line: a path, or @NAME in the abstract namespace. */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "unixaddr.h"

bool unix_abstract(const char *name)
{
	return name[0] == '@';
}

bool unix_address(const char *name, struct sockaddr_un *addr, socklen_t *len)
{
	size_t n = strlen(name);

	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (n == 0 || n >= sizeof(addr->sun_path))
		return false;
	memcpy(addr->sun_path, name, n);
	/* the abstract namespace: a leading NUL, and the length says where the name ends */
	if (unix_abstract(name))
		addr->sun_path[0] = '\0';
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + !unix_abstract(name));
	return true;
}

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A client of setlastpid --serve, written from setlastpid-wire(7) alone.

It follows that page and nothing else of setlastpid (no header, no
source): it is the proof that the page is enough to speak the protocol.
Python's standard library only (socket, struct, os, sys).

    client.py [-t SECONDS] SOCKET set [OPTION...] VALUE...
    client.py [-t SECONDS] SOCKET plain VALUE

SOCKET is a path, or @NAME in the abstract namespace.

set: an SLP1 request for the vector VALUE... (level 0 first; a value may
be negative: the server must refuse it, not this client). Prints the
reply, "SLP1 status S level L errnum E: MESSAGE", and exits with S.
Options, each to make a request the server must refuse:
  --dry-run          flag 1, WIRE_DRY_RUN
  --command=NAME     flag 2, WIRE_COMMAND: a process named NAME follows;
                     a refusal's message names it in the place of COMMAND
  --at-least         flag 4, WIRE_AT_LEAST: a floor, no level lowered
  --flags=N          the flags field as N, whatever the options above say
  --magic=TEXT       the 4 bytes in place of "SLP1"
  --nr=N             the nr field as N, not the number of values
  --extra=N          N zero bytes after the vector

plain: set_ns_last_pid's request, 4 bytes (VALUE as an unsigned 32-bit
integer: -1 goes as 4294967295). Prints "reply 1 byte: B" and exits
with B.

A reply of neither protocol, none within the timeout (30 s, as the page
says), or an error: a line on stderr, exit 71. A 1-byte reply to an SLP1
request (a server of set_ns_last_pid's protocol alone) is printed as
plain's and exits with its byte.
"""

import os
import socket
import struct
import sys

MAGIC = b"SLP1"
WIRE_DRY_RUN = 1
WIRE_COMMAND = 2
WIRE_AT_LEAST = 4
# setlastpid-wire(7): 16 + 511 + 1, the longest reply
REPLY_MAX = 528
EXIT_OWN = 71


def die(text):
    sys.stderr.write("client.py: %s\n" % text)
    sys.exit(EXIT_OWN)


def address(name):
    """A path, or @NAME: a NUL, then NAME's bytes, and nothing after."""
    if name.startswith("@"):
        return b"\0" + os.fsencode(name[1:])
    return name


def slp1_request(values, flags, nr=None, magic=MAGIC, extra=0):
    """magic, flags, nr, then nr int32 values: native order, no padding."""
    data = magic + struct.pack("=II", flags, len(values) if nr is None else nr)
    data += struct.pack("=%di" % len(values), *values)
    return data + bytes(extra)


def exchange(sock_name, request, timeout):
    """One request, one reply, on a socket of its own (a late reply to
    another request cannot be taken for this one's)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        # an empty address: the kernel picks an abstract one (autobind)
        sock.bind(b"")
        sock.settimeout(timeout)
        sock.connect(address(sock_name))
        sock.send(request)
        return sock.recv(REPLY_MAX + 1)
    except socket.timeout:
        die("no reply from %s in %g s: what it did is unknown" % (sock_name, timeout))
    except OSError as err:
        die("%s: %s" % (sock_name, err.strerror or err))
    finally:
        sock.close()


def print_line(text):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def plain_reply(reply):
    print_line("reply 1 byte: %d" % reply[0])
    return reply[0]


def slp1_reply(reply, command):
    if len(reply) == 1:
        return plain_reply(reply)
    if len(reply) < 17 or reply[:4] != MAGIC:
        die("a reply of %d bytes in neither protocol" % len(reply))
    status, level, errnum = struct.unpack_from("=iii", reply, 4)
    message = reply[16:].split(b"\0", 1)[0].decode("utf-8", "replace")
    # one line: nothing the server sends moves the terminal
    message = "".join(c if c >= " " and c != "\x7f" else "?" for c in message)
    if command is not None:
        message = message.replace("COMMAND", command, 1)
    print_line("SLP1 status %d level %d errnum %d: %s" % (status, level, errnum, message))
    if status < 0 or status > 255:
        die("status %d, which no exit status is" % status)
    return status


def integer(text, what):
    try:
        return int(text, 0)
    except ValueError:
        die("%s: not an integer: '%s'" % (what, text))
    return None


def main(argv):
    timeout = 30.0
    if len(argv) >= 2 and argv[0] == "-t":
        timeout = float(argv[1])
        argv = argv[2:]
    if len(argv) < 3 or argv[1] not in ("set", "plain"):
        die("usage: client.py [-t SECONDS] SOCKET set [OPTION...] VALUE... | SOCKET plain VALUE")
    sock_name, verb, args = argv[0], argv[1], argv[2:]
    if verb == "plain":
        if len(args) != 1:
            die("plain takes one VALUE")
        request = struct.pack("=I", integer(args[0], "VALUE") & 0xFFFFFFFF)
        reply = exchange(sock_name, request, timeout)
        if len(reply) != 1:
            die("a reply of %d bytes, not set_ns_last_pid's 1" % len(reply))
        return plain_reply(reply)
    flags, command, forced_flags, nr, magic, extra = 0, None, None, None, MAGIC, 0
    while args and args[0].startswith("--"):
        opt, _, value = args.pop(0).partition("=")
        if opt == "--":
            break
        if opt == "--dry-run":
            flags |= WIRE_DRY_RUN
        elif opt == "--command":
            flags |= WIRE_COMMAND
            command = value
        elif opt == "--at-least":
            flags |= WIRE_AT_LEAST
        elif opt == "--flags":
            forced_flags = integer(value, opt)
        elif opt == "--nr":
            nr = integer(value, opt)
        elif opt == "--magic":
            magic = value.encode()
        elif opt == "--extra":
            extra = integer(value, opt)
        else:
            die("unknown option %s" % opt)
    values = [integer(v, "VALUE") for v in args]
    request = slp1_request(values, flags if forced_flags is None else forced_flags,
                           nr, magic, extra)
    return slp1_reply(exchange(sock_name, request, timeout), command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

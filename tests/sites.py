"""Driving tests/sites_target.c: its commands, its probe sites' addresses
(from its stapsdt notes) and their bytes in the live process."""

import os
import re
import struct
import subprocess
import time

import tracing
from tracing import check

NOPS = {1: bytes([0x90]), 5: bytes.fromhex("0f1f440000"), 10: bytes.fromhex("662e0f1f840000000000")}


def stapsdt_sites(path, provider):
    """{probe name: [address of each site]} of provider's notes in an ELF file
    (addresses as linked, after the .stapsdt.base adjustment)."""
    data = open(path, "rb").read()
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize) for i in range(shnum)]
    names_at = sections[shstrndx][4]

    def name(section):
        return data[names_at + section[0]:data.index(b"\0", names_at + section[0])].decode()

    by_name = {name(s): s for s in sections}
    base_address = by_name[".stapsdt.base"][3]
    _, _, _, _, offset, size = by_name[".note.stapsdt"]
    sites, at = {}, offset
    while at < offset + size:
        namesz, descsz, _ = struct.unpack_from("<III", data, at)
        desc = at + 12 + (namesz + 3) // 4 * 4
        pc, base, _ = struct.unpack_from("<QQQ", data, desc)
        strings = data[desc + 24:desc + descsz].split(b"\0")
        if strings[0].decode() == provider:
            sites.setdefault(strings[1].decode(), []).append(pc + base_address - base)
        at = desc + (descsz + 3) // 4 * 4
    return sites


class SitesTarget:
    """A running sites_target."""

    def __init__(self, binary, directory, *args):
        self.binary = os.path.abspath(binary)
        self.proc = subprocess.Popen([self.binary, directory, *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        match = re.match(r"ready pid=(\d+)", line)
        check(match is not None, f"sites_target did not start: {line!r}")
        self.pid = int(match.group(1))
        info = self.command("info")
        self.info = dict(word.split("=", 1) for word in info.split())
        self.site = int(self.info.get("site", "1"))

    def command(self, text, wait_for=None):
        """Send a command; its reply line (the line starting with wait_for)."""
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        while True:
            line = self.proc.stdout.readline()
            if not line:
                tracing.fail(f"sites_target exited after {text!r} ({self.proc.wait()})")
            if wait_for is None or line.startswith(wait_for):
                return line.strip()

    def semaphores(self):
        return [int(v) for v in self.command("sem").split(":")[1].split()]

    def fire(self, n):
        costs = self.command(f"fire {n}", "cost").split()[1:]
        self.command("", "fired")
        return {costs[i]: float(costs[i + 1]) for i in range(0, len(costs), 2)}

    def fork(self, n, kind=""):
        """Fork a child that fires the kit's probes (or the site kind) n
        times: how it ended, "exit=0" when it fired them all."""
        return self.command(f"fork {n} {kind}", "forked").split()[1]

    def load_base(self):
        """Where the binary's first mapping starts (PIE)."""
        for line in open(f"/proc/{self.pid}/maps"):
            fields = line.split()
            if len(fields) >= 6 and fields[5] == self.binary and fields[2] == "00000000":
                return int(fields[0].split("-")[0], 16)
        check(False, f"{self.binary} not in /proc/{self.pid}/maps")

    def read(self, address, size):
        with open(f"/proc/{self.pid}/mem", "rb") as mem:
            mem.seek(address)
            return mem.read(size)

    def wait_semaphores(self, want, indexes, seconds=30):
        """Poll until the semaphores at indexes are all nonzero (want) or all
        zero; the last values read."""
        deadline = time.monotonic() + seconds
        while True:
            values = self.semaphores()
            if all(bool(values[i]) == want for i in indexes) or time.monotonic() > deadline:
                return values
            time.sleep(0.1)

    def quit(self):
        self.proc.stdin.write("quit\n")
        self.proc.stdin.flush()
        self.proc.wait(timeout=tracing.TIMEOUT)
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def ip_counts(output, name):
    """{address: count} of a map @name[reg("ip")] in bpftrace's output."""
    return {int(k): int(v) for k, v in re.findall(rf"^@{name}\[(\d+)\]: (\d+)$", output, re.M)}


def same_nop(before, after):
    """Whether after is the nop before was: the same bytes, or for the 10-byte
    nop `nopw %cs:disp32(base,index,scale)` the same first five (7.2 restores
    only those on detach, leaving its call's bytes as the SIB byte and
    displacement of the same nop) and the same bytes after it."""
    if before.startswith(NOPS[10]):
        return after[:5] == before[:5] and after[10:] == before[10:]
    return after == before


def kind_of(code):
    """What a traced site's first bytes are now."""
    if code[:1] == b"\xcc":
        return "int3"
    if code[:1] == b"\xe8":
        return "call"
    if code[:4] == bytes.fromhex("488d6424"):
        return "lea+call"
    return code.hex()

/**
 * Every test file runs as the leader of a process group of its own, so whatever it
 * spawns (coordinators, private servers) can be found and killed with it.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The processes (pid and command line) whose process group is `pgid`. */
export function processesInGroup(pgid) {
  const found = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      // pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid || fields[0] === 'Z') continue;
      const command = readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0').join(' ');
      found.push({ pid: Number(name), command: command.trim() });
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** SIGKILLs the whole group; a group already gone is fine. */
export function killGroup(pgid) {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // nothing left in it
  }
}

// Loaded with `node --import` into a benchmarked child: when it exits, its own peak RSS and CPU
// time go to $EXIT_STATS_FILE (the kernel's figures via process.resourceUsage(), so nothing is
// missed between two polls of /proc and nothing depends on catching the process before it is gone).
import { writeFileSync } from 'node:fs';

const file = process.env.EXIT_STATS_FILE;
if (file) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRssMiB: u.maxRSS / 1024, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, uptimeMs: process.uptime() * 1000 }));
  });
}

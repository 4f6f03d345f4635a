package org.gbmixed.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How much of the machine other processes used while a measurement ran: (machine busy CPU time from /proc/stat
 * minus this process's CPU time) / (wall time x cores), in percent. The machine is shared; a figure above ~10%
 * means the timing was slowed by someone else and the report flags it.
 */
final class CpuWatch {
    private static final double HZ = 100.0;   // USER_HZ of /proc/stat
    private double busy0, proc0, wall0;

    void start() {
        busy0 = machineBusySeconds();
        proc0 = processCpuSeconds();
        wall0 = System.nanoTime() / 1e9;
    }

    /** Other processes' share of the machine since {@link #start()}, percent (NaN without /proc/stat). */
    double othersPercent() {
        double wall = System.nanoTime() / 1e9 - wall0;
        double others = (machineBusySeconds() - busy0) - (processCpuSeconds() - proc0);
        int cores = Runtime.getRuntime().availableProcessors();
        return Math.max(0, 100 * others / (wall * cores));
    }

    static double machineBusySeconds() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            double total = 0;
            for (int i = 1; i <= 8 && i < f.length; i++) total += Double.parseDouble(f[i]);
            double idle = Double.parseDouble(f[4]) + Double.parseDouble(f[5]);
            return (total - idle) / HZ;
        } catch (Exception e) {
            return Double.NaN;
        }
    }

    static double processCpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime() / 1e9;
    }
}
